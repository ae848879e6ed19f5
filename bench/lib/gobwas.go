package lib

import (
	"compress/flate"
	"io"
	"net"
	"net/http"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
)

// gobwasLib is github.com/gobwas/ws, used through its wsutil helpers as its
// documentation shows; for compression, wsflate's reader and writer as its
// README shows, at flate.BestSpeed like the other libraries' default (its
// example uses level 9).
type gobwasLib struct{}

func (gobwasLib) Name() string { return "gobwas" }

func (gobwasLib) DialWriter(conn net.Conn) (WriteFunc, error) {
	d := ws.Dialer{NetDial: connDialer(conn)}
	ctx, cancel := dialContext()
	defer cancel()
	c, br, _, err := d.Dial(ctx, benchURL)
	if err != nil {
		return nil, err
	}
	if br != nil {
		ws.PutReader(br)
	}
	// WriteClientMessage copies p before masking it, so p is left intact.
	return func(p []byte) error { return wsutil.WriteClientMessage(c, ws.OpBinary, p) }, nil
}

// gobwasParams is the only mode this adapter implements: wsflate leaves
// context takeover and small windows to the compressor the user supplies,
// and compress/flate can do neither directly.
var gobwasParams = wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}

func (gobwasLib) EchoHandler(mode *DeflateMode) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode != nil {
			gobwasDeflateEcho(w, r)
			return
		}
		conn, rw, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		defer conn.Close()
		// Read through the buffered reader of the hijacked connection;
		// control frames are answered on the connection itself.
		src := struct {
			io.Reader
			io.Writer
		}{rw.Reader, conn}
		for {
			p, op, err := wsutil.ReadClientData(src)
			if err != nil {
				return
			}
			if err := wsutil.WriteServerMessage(rw.Writer, op, p); err != nil {
				return
			}
			if err := rw.Writer.Flush(); err != nil {
				return
			}
		}
	})
}

func gobwasDeflateEcho(w http.ResponseWriter, r *http.Request) {
	ext := wsflate.Extension{Parameters: gobwasParams}
	u := ws.HTTPUpgrader{Negotiate: ext.Negotiate}
	conn, rw, _, err := u.Upgrade(r, w)
	if err != nil {
		return
	}
	defer conn.Close()
	fr := wsflate.NewReader(nil, func(r io.Reader) wsflate.Decompressor { return flate.NewReader(r) })
	fw := wsflate.NewWriter(nil, func(w io.Writer) wsflate.Compressor {
		f, _ := flate.NewWriter(w, flate.BestSpeed)
		return f
	})
	var msg wsflate.MessageState
	control := wsutil.ControlFrameHandler(conn, ws.StateServerSide)
	rd := &wsutil.Reader{
		Source:         rw.Reader,
		State:          ws.StateServerSide | ws.StateExtended,
		Extensions:     []wsutil.RecvExtension{&msg},
		OnIntermediate: control,
	}
	wr := wsutil.NewWriter(conn, ws.StateServerSide|ws.StateExtended, 0)
	wr.SetExtensions(&msg)
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return
		}
		if h.OpCode.IsControl() {
			if control(h, rd) != nil {
				return
			}
			continue
		}
		wr.ResetOp(h.OpCode)
		if msg.IsCompressed() {
			fr.Reset(rd)
			fw.Reset(wr)
			if _, err := io.Copy(fw, fr); err != nil {
				return
			}
			if err := fw.Close(); err != nil {
				return
			}
		} else if _, err := io.Copy(wr, rd); err != nil {
			return
		}
		if err := wr.Flush(); err != nil {
			return
		}
	}
}

func (gobwasLib) DeflateModes() []DeflateMode { return []DeflateMode{NoTakeover15} }
