package lib

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

// Floor is not a library: its echo handler does the least any server must
// do for the benchmark's client, with nothing a library adds (no control
// frames, no fragments, no limits, no checks beyond the frame's length), and
// reads with one buffer as large as the largest message. Measured beside the
// libraries, it shows the floor of the machine: the system calls, the
// scheduler and the copies that no library's code can take away.
var Floor Library = floor{}

// errNotALibrary answers the client calls of the floor, which has a server only.
var errNotALibrary = errors.New("the floor has an echo server only")

// floorBufferSize holds the largest echoed frame whole: 64 KiB of payload
// and a header.
const floorBufferSize = 64<<10 + 64

type floor struct{}

func (floor) Name() string { return "floor" }

func (floor) DialWriter(net.Conn) (WriteFunc, error) { return nil, errNotALibrary }

func (floor) DeflateModes() []DeflateMode { return nil }

func (floor) EchoHandler(mode *DeflateMode) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode != nil {
			http.Error(w, errNotALibrary.Error(), http.StatusNotImplemented)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, err = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: "+wsraw.AcceptKey(r.Header.Get("Sec-WebSocket-Key"))+"\r\n\r\n")
		if err != nil {
			return
		}
		buf := make([]byte, floorBufferSize)
		n, _ := rw.Reader.Read(buf[:rw.Reader.Buffered()])
		floorEcho(conn, buf, n)
	})
}

// floorEcho sends back each masked frame read from conn, unmasked, until
// the connection fails or a frame does not fit buf. The first n bytes of buf
// were read already.
func floorEcho(conn net.Conn, buf []byte, n int) {
	keys := make([]byte, floorKeyBlock)
	for {
		header, length, ok := floorFrame(buf[:n])
		for !ok || header+length > n {
			if length < 0 || header+length > len(buf) {
				return
			}
			m, err := conn.Read(buf[n:])
			if err != nil {
				return
			}
			n += m
			header, length, ok = floorFrame(buf[:n])
		}
		unmask(buf[header:header+length], buf[header-4:header], keys)
		// The server's header is the client's without the mask bit and the
		// mask key: it is moved up to end where the payload starts.
		copy(buf[4:header], buf[:header-4])
		buf[5] &^= 0x80
		if _, err := conn.Write(buf[4 : header+length]); err != nil {
			return
		}
		n = copy(buf, buf[header+length:n])
	}
}

// floorKeyBlock is the size of the repeated mask key unmask XORs at a time.
const floorKeyBlock = 4 << 10

// unmask XORs p with key repeated: keys, as much of it as p needs, is
// filled with the key, then XORed into p a block at a time with
// crypto/subtle's vectorised XORBytes.
func unmask(p, key, keys []byte) {
	keys = keys[:min(len(keys), (len(p)+3)&^3)]
	copy(keys, key)
	for k := 4; k < len(keys); k *= 2 {
		copy(keys[k:], keys[:k])
	}
	for len(p) > 0 {
		n := subtle.XORBytes(p, p, keys)
		p = p[n:]
	}
}

// floorFrame parses the header at the start of b: the header's length
// (with its mask key) and the payload's, ok false while b holds less than
// the header.
func floorFrame(b []byte) (header, length int, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	switch size := int(b[1] & 0x7f); size {
	case 126:
		if len(b) < 8 {
			return 0, 0, false
		}
		return 8, int(binary.BigEndian.Uint16(b[2:])), true
	case 127:
		if len(b) < 14 {
			return 0, 0, false
		}
		return 14, int(binary.BigEndian.Uint64(b[2:])), true
	default:
		if len(b) < 6 {
			return 0, 0, false
		}
		return 6, size, true
	}
}
