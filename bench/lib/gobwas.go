package lib

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/gobwas/httphead"
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

func (gobwasLib) DialDeflate(url string, _ DeflateMode, dial DialFunc) (MessageConn, error) {
	d := ws.Dialer{
		NetDial:    func(ctx context.Context, network, addr string) (net.Conn, error) { return dial(ctx, network, addr) },
		Extensions: []httphead.Option{gobwasParams.Option()},
	}
	ctx, cancel := dialContext()
	defer cancel()
	conn, br, hs, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	var accepted []string
	for _, e := range hs.Extensions {
		accepted = append(accepted, string(e.Name))
	}
	if err := checkDeflate(strings.Join(accepted, ", ")); err != nil {
		conn.Close()
		return nil, err
	}
	c := &gobwasConn{conn: conn}
	var src io.Reader = conn
	if br != nil {
		// The server spoke first; its bytes are in br.
		src = io.MultiReader(br, conn)
	}
	c.fr = wsflate.NewReader(nil, func(r io.Reader) wsflate.Decompressor { return flate.NewReader(r) })
	c.fw = wsflate.NewWriter(nil, func(w io.Writer) wsflate.Compressor {
		f, _ := flate.NewWriter(w, flate.BestSpeed)
		return f
	})
	c.control = wsutil.ControlFrameHandler(conn, ws.StateClientSide)
	c.rd = &wsutil.Reader{
		Source:         bufio.NewReader(src),
		State:          ws.StateClientSide | ws.StateExtended,
		Extensions:     []wsutil.RecvExtension{&c.in},
		OnIntermediate: c.control,
	}
	c.wr = wsutil.NewWriter(conn, ws.StateClientSide|ws.StateExtended, ws.OpText)
	c.wr.SetExtensions(&c.out)
	c.out.SetCompressed(true)
	return c, nil
}

type gobwasConn struct {
	conn    net.Conn
	rd      *wsutil.Reader
	wr      *wsutil.Writer
	fr      *wsflate.Reader
	fw      *wsflate.Writer
	in, out wsflate.MessageState
	control wsutil.FrameHandlerFunc
	buf     bytes.Buffer
}

func (c *gobwasConn) Send(p []byte) error {
	c.wr.ResetOp(ws.OpText)
	c.fw.Reset(c.wr)
	if _, err := c.fw.Write(p); err != nil {
		return err
	}
	if err := c.fw.Close(); err != nil {
		return err
	}
	return c.wr.Flush()
}

func (c *gobwasConn) Receive() ([]byte, error) {
	for {
		h, err := c.rd.NextFrame()
		if err != nil {
			return nil, err
		}
		if h.OpCode.IsControl() {
			if h.OpCode == ws.OpClose {
				return nil, errors.New("gobwas: connection closed by the server")
			}
			if err := c.control(h, c.rd); err != nil {
				return nil, err
			}
			continue
		}
		c.buf.Reset()
		var src io.Reader = c.rd
		if c.in.IsCompressed() {
			c.fr.Reset(c.rd)
			src = c.fr
		}
		if _, err := c.buf.ReadFrom(src); err != nil {
			return nil, err
		}
		return c.buf.Bytes(), nil
	}
}

func (c *gobwasConn) Close() error { return c.conn.Close() }
