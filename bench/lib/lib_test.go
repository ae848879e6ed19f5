package lib

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/discard"
	"github.com/iris-contrib/websocket/bench/internal/payload"
	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

// testTimeout bounds every network wait of these tests.
const testTimeout = 10 * time.Second

// pattern returns n bytes that differ from their neighbours, so a masking
// or reassembly error shows.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31 + i>>8)
	}
	return p
}

// clientMessage decodes what a client wrote: masked frames (RFC 6455
// section 5.3) of one binary message, possibly fragmented. It returns the
// unmasked payload and the number of frames.
func clientMessage(b []byte) ([]byte, int, error) {
	var msg []byte
	for frames := 1; ; frames++ {
		if len(b) < 2 {
			return nil, 0, errors.New("truncated header")
		}
		first, second := b[0], b[1]
		if first&0x70 != 0 {
			return nil, 0, fmt.Errorf("frame %d: RSV bits %#x", frames, first&0x70)
		}
		opcode := first & 0x0f
		if want := map[bool]byte{true: 0x2, false: 0x0}[frames == 1]; opcode != want {
			return nil, 0, fmt.Errorf("frame %d: opcode %#x, want %#x", frames, opcode, want)
		}
		if second&0x80 == 0 {
			return nil, 0, fmt.Errorf("frame %d: not masked", frames)
		}
		n := uint64(second & 0x7f)
		b = b[2:]
		switch n {
		case 126:
			n, b = uint64(binary.BigEndian.Uint16(b)), b[2:]
		case 127:
			n, b = binary.BigEndian.Uint64(b), b[8:]
		}
		key := [4]byte(b[:4])
		b = b[4:]
		if uint64(len(b)) < n {
			return nil, 0, fmt.Errorf("frame %d: %d payload bytes, header says %d", frames, len(b), n)
		}
		for i := range n {
			msg = append(msg, b[i]^key[i&3])
		}
		b = b[n:]
		if first&0x80 != 0 {
			if len(b) != 0 {
				return nil, 0, fmt.Errorf("%d bytes after the final frame", len(b))
			}
			return msg, frames, nil
		}
	}
}

func TestDialWriterSendsOneMaskedMessage(t *testing.T) {
	sizes := []int{16, 125, 126, 1 << 10, 16 << 10, 70000}
	for _, l := range All() {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s/%d", l.Name(), size), func(t *testing.T) {
				conn := discard.NewRecording()
				defer conn.Close()
				write, err := l.DialWriter(conn)
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				want := pattern(size)
				sent := bytes.Clone(want)
				if err := write(sent); err != nil {
					t.Fatalf("write: %v", err)
				}
				if !bytes.Equal(sent, want) {
					t.Errorf("the write changed the caller's bytes")
				}
				got, _, err := clientMessage(conn.Recorded())
				if err != nil {
					t.Fatalf("decoding the frames written: %v", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("the frames carry %d bytes that differ from the %d sent", len(got), len(want))
				}
				if calls, _ := conn.Counts(); calls == 0 {
					t.Errorf("no Write call counted")
				}
			})
		}
	}
}

func TestEchoHandlerEchoesTheRawClient(t *testing.T) {
	sizes := []int{32, 125, 1 << 10, 64 << 10, 70000}
	type handler struct {
		name string
		h    http.Handler
	}
	var handlers []handler
	for _, l := range Servers() {
		handlers = append(handlers, handler{l.Name(), l.EchoHandler(nil)})
		if d, ok := l.(Detachable); ok {
			handlers = append(handlers, handler{l.Name() + "/detached", d.DetachedEchoHandler()})
		}
	}
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) { echoEachSize(t, h.h, sizes) })
	}
}

// echoEachSize serves h, connects the raw client to it and echoes a message
// of each size three times. It returns the connection, which is closed with
// the server when the test ends.
func echoEachSize(t *testing.T, h http.Handler, sizes []int) *wsraw.Conn {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := wsraw.Dial(srv.Listener.Addr().String(), "/", testTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	for _, size := range sizes {
		c.SetMessage(pattern(size))
		for i := range 3 {
			if err := c.Echo(); err != nil {
				t.Fatalf("%d bytes, round trip %d: %v", size, i, err)
			}
		}
	}
	return c
}

// deflateEcho connects the raw client to h, a deflate echo handler of mode,
// and checks the negotiation. It returns the connection, closed when the test
// ends, and an Inflater for what the server sends.
func deflateEcho(tb testing.TB, h http.Handler, mode DeflateMode) (*wsraw.Conn, *wsraw.Inflater) {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	c, err := wsraw.DialExtensions(srv.Listener.Addr().String(), "/", mode.Offer(), testTimeout)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	takeover, err := c.CheckDeflate()
	if err != nil {
		tb.Fatal(err)
	}
	if takeover != mode.ContextTakeover {
		tb.Fatalf("server context takeover %v in mode %s (Sec-WebSocket-Extensions: %q)", takeover, mode, c.Extensions())
	}
	return c, wsraw.NewInflater(takeover)
}

func TestEchoHandlerReassemblesEmptyFragments(t *testing.T) {
	// The tiny frames of the runner, fewer: a message of empty fragments
	// and a last one that carries the payload.
	last := pattern(16)
	frames := wsraw.FragmentedMessage(10000, last)
	for _, l := range Servers() {
		t.Run(l.Name(), func(t *testing.T) {
			c := echoEachSize(t, l.EchoHandler(nil), []int{32})
			if err := c.Write(frames); err != nil {
				t.Fatalf("write: %v", err)
			}
			echo, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(echo, last) {
				t.Fatalf("echo %q, want %q", echo, last)
			}
		})
	}
}

func TestDeflateEchoOfPrecompressedFrames(t *testing.T) {
	msgs := append(payload.Documents(2), payload.Events(50)...)
	frames := make([][]byte, len(msgs))
	for i, m := range msgs {
		var err error
		if frames[i], err = wsraw.CompressedFrame(m, flate.DefaultCompression); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range Servers() {
		for _, mode := range l.DeflateModes() {
			t.Run(l.Name()+"/"+mode.Key, func(t *testing.T) {
				c, inflater := deflateEcho(t, l.EchoHandler(&mode), mode)
				c.SetDeadline(time.Now().Add(testTimeout))
				wire, total := 0, 0
				for i, m := range msgs {
					if err := c.Write(frames[i]); err != nil {
						t.Fatalf("message %d: write: %v", i, err)
					}
					echo, err := c.ReadCompressed()
					if err != nil {
						t.Fatalf("message %d: read: %v", i, err)
					}
					if !echo.Compressed {
						t.Errorf("message %d: the echo of %d bytes is not compressed", i, len(m))
					}
					got, err := inflater.Inflate(echo, len(m))
					if err != nil {
						t.Fatalf("message %d: inflate: %v", i, err)
					}
					if !bytes.Equal(got, m) {
						t.Fatalf("message %d: echo of %d bytes differs from the %d sent", i, len(got), len(m))
					}
					wire += echo.Wire
					total += len(m)
				}
				if wire >= total/2 {
					t.Errorf("the server sent %d bytes on the wire for %d bytes of JSON", wire, total)
				}
			})
		}
	}
}

func TestByNameAndRenamed(t *testing.T) {
	for _, l := range append(Servers(), Floor) {
		got, ok := ByName(l.Name())
		if !ok || got.Name() != l.Name() {
			t.Errorf("ByName(%q) = %v, %v", l.Name(), got, ok)
		}
	}
	if _, ok := ByName("no such library"); ok {
		t.Errorf("ByName found a library that does not exist")
	}
	g, _ := ByName("gorilla")
	r := Renamed(g, "gorilla (again)")
	if r.Name() != "gorilla (again)" || len(r.DeflateModes()) != len(g.DeflateModes()) {
		t.Errorf("Renamed: name %q, %d modes", r.Name(), len(r.DeflateModes()))
	}
}

func TestDeflateModeString(t *testing.T) {
	tests := []struct {
		mode DeflateMode
		want string
	}{
		{NoTakeover15, "no context takeover"},
		{Takeover15, "server context takeover"},
	}
	for _, tt := range tests {
		if got := tt.mode.String(); got != tt.want {
			t.Errorf("%s: String() = %q, want %q", tt.mode.Key, got, tt.want)
		}
		if offer := tt.mode.Offer(); strings.Contains(offer, "server_no_context_takeover") == tt.mode.ContextTakeover {
			t.Errorf("%s: Offer() = %q", tt.mode.Key, offer)
		}
		if strings.ContainsAny(tt.mode.Key, "/ ") {
			t.Errorf("key %q does not fit a URL path segment", tt.mode.Key)
		}
	}
}

func TestFloorEchoesTheRawClient(t *testing.T) {
	// Lengths around each header size and around the key block, and the
	// largest frame the floor's buffer holds.
	c := echoEachSize(t, Floor.EchoHandler(nil), []int{0, 1, 5, 125, 126, 4095, 4097, 65535, 64 << 10})
	// A frame larger than its buffer ends the connection.
	c.SetMessage(pattern(64<<10 + 64))
	if err := c.Echo(); err == nil {
		t.Fatal("a frame larger than the floor's buffer was echoed")
	}
}
