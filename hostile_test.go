package websocket

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Hostile and slow clients against a server on 127.0.0.1. Each ends with
// the close code or the error that fits, while a well-behaved client of the
// same server exchanges messages during the attack and after it.

// hostileServer serves /echo to the well-behaved client and /hostile to the
// client under test, whose handler reports the error that ended it.
type hostileServer struct {
	wsBase  string
	httpSrv *httptest.Server
	results chan error
}

// startHostileServer starts a hostileServer; handler runs on each /hostile
// connection, behind upgrader. configure, when not nil, sets up the
// http.Server before it starts.
func startHostileServer(t *testing.T, upgrader *Upgrader, handler func(*Conn) error, configure func(*http.Server)) *hostileServer {
	t.Helper()
	s := &hostileServer{results: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c, err := (&Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		echo(c)
	})
	mux.HandleFunc("/hostile", func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, hostileResponseHeader(r))
		if err != nil {
			s.results <- fmt.Errorf("upgrade: %w", err)
			return
		}
		defer c.Close()
		s.results <- handler(c)
	})
	s.httpSrv = httptest.NewUnstartedServer(mux)
	if configure != nil {
		configure(s.httpSrv.Config)
	}
	s.httpSrv.Start()
	t.Cleanup(s.httpSrv.Close)
	s.wsBase = httpToWS(s.httpSrv.URL)
	return s
}

// hostileResponseHeader pads the 101 response when the request asks for it
// with an X-Pad header (its value in KiB).
func hostileResponseHeader(r *http.Request) http.Header {
	var kib int
	if _, err := fmt.Sscan(r.Header.Get("X-Pad"), &kib); err != nil {
		return nil
	}
	return http.Header{"X-Pad": {strings.Repeat("p", kib<<10)}}
}

// result waits, bounded, for the error that ended the /hostile handler.
func (s *hostileServer) result(t *testing.T) error {
	t.Helper()
	return awaitValue(t, s.results)
}

// goodClient is the well-behaved client: it sends numbered messages and
// checks their echoes.
type goodClient struct {
	t *testing.T
	c *Conn
	n int
}

func dialGood(t *testing.T, s *hostileServer) *goodClient {
	t.Helper()
	return &goodClient{t: t, c: dial(t, nil, s.wsBase+"/echo")}
}

// exchange sends a few messages and checks each echo, with bounded waits.
func (g *goodClient) exchange(when string) {
	g.t.Helper()
	for range 3 {
		g.n++
		sent := fmt.Sprintf("message %d, %s", g.n, when)
		g.c.SetWriteDeadline(time.Now().Add(testTimeout))
		g.c.SetReadDeadline(time.Now().Add(testTimeout))
		if err := g.c.WriteMessage(TextMessage, []byte(sent)); err != nil {
			g.t.Fatalf("well-behaved client, %s: write: %v", when, err)
		}
		_, got, err := g.c.ReadMessage()
		if err != nil || string(got) != sent {
			g.t.Fatalf("well-behaved client, %s: echo %q, %v; want %q", when, got, err, sent)
		}
	}
}

// dialHostile completes a handshake by hand on /hostile, with extra request
// header lines ("Name: value"), and returns the client as a rawPeer with the
// server's response.
func dialHostile(t *testing.T, s *hostileServer, extraHeaders ...string) (*rawPeer, *http.Response) {
	t.Helper()
	return readUpgradeResponse(t, sendRawHandshake(t, s.wsBase+"/hostile", extraHeaders...))
}

// expectEnd reads from conn until it ends and fails the test if it ends by
// the client's own deadline, that is if the server left it open.
func expectEnd(t *testing.T, conn net.Conn, r io.Reader) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(testTimeout))
	_, err := io.Copy(io.Discard, r)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("the server did not close the connection: %v", err)
	}
}

// waitFor polls cond until it holds or testTimeout passes.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// isTimeout reports whether err is a net.Error that timed out.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// setSocketBuffers shrinks the kernel buffers of a TCP connection, so a
// peer that does not read blocks the writer after a few KiB.
func setSocketBuffers(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetReadBuffer(4096)
		tcp.SetWriteBuffer(4096)
	}
}

// TestHostileHandshake shows which timeout bounds a handshake that never
// finishes. The request is read by net/http before any handler runs, so the
// Upgrader cannot see a request whose headers never end: the http.Server's
// ReadHeaderTimeout (or ReadTimeout) bounds it, and without one the
// connection stays open. HandshakeTimeout bounds what the Upgrader does
// itself, writing the 101 response, as in gorilla/websocket: it ends a
// handshake whose client does not read the response. An iris application
// runs on a net/http server too: give it one with ReadHeaderTimeout set,
// app.Run(iris.Server(&http.Server{Addr: addr, ReadHeaderTimeout: d})).
func TestHostileHandshake(t *testing.T) {
	const timeout = 200 * time.Millisecond
	handler := func(c *Conn) error { return errors.New("the handler ran") }
	cases := []struct {
		name     string
		server   func(*http.Server)
		upgrader Upgrader
		// run is the client; it consumes the server's result if it expects one.
		run func(t *testing.T, s *hostileServer, good *goodClient)
	}{
		{
			name:   "request headers never end, ReadHeaderTimeout closes",
			server: func(srv *http.Server) { srv.ReadHeaderTimeout = timeout },
			run: func(t *testing.T, s *hostileServer, good *goodClient) {
				conn := halfRequest(t, s)
				good.exchange("while a request is half sent")
				expectEnd(t, conn, conn)
			},
		},
		{
			name:     "request headers never end, HandshakeTimeout does not apply",
			upgrader: Upgrader{HandshakeTimeout: timeout},
			run: func(t *testing.T, s *hostileServer, good *goodClient) {
				conn := halfRequest(t, s)
				good.exchange("while a request is half sent")
				// Several times HandshakeTimeout later, the server still
				// waits for the rest of the request.
				conn.SetReadDeadline(time.Now().Add(5 * timeout))
				if n, err := conn.Read(make([]byte, 1)); !isTimeout(err) {
					t.Fatalf("read %d bytes, %v; want the client's own timeout", n, err)
				}
			},
		},
		{
			name:     "response never read, HandshakeTimeout ends the write",
			upgrader: Upgrader{HandshakeTimeout: timeout},
			server: func(srv *http.Server) {
				srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
					setSocketBuffers(c)
					return ctx
				}
			},
			run: func(t *testing.T, s *hostileServer, good *goodClient) {
				// A 101 response padded to 4 MiB stands for any response
				// larger than what the socket buffers hold.
				conn := sendRawHandshake(t, s.wsBase+"/hostile", "X-Pad: 4096")
				setSocketBuffers(conn)
				good.exchange("while a response is not read")
				err := s.result(t)
				if !isTimeout(err) {
					t.Fatalf("Upgrade returned %v, want a timeout", err)
				}
				expectEnd(t, conn, conn)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startHostileServer(t, &tc.upgrader, handler, tc.server)
			good := dialGood(t, s)
			good.exchange("before")
			tc.run(t, s, good)
			good.exchange("after")
			select {
			case err := <-s.results:
				t.Fatalf("the hostile request reached the Upgrader: %v", err)
			default:
			}
		})
	}
}

// halfRequest sends the first lines of a request to /hostile and stops.
func halfRequest(t *testing.T, s *hostileServer) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(s.wsBase, "ws://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "GET /hostile HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\n"); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestHostileClients(t *testing.T) {
	cases := []struct {
		name string
		// handler runs on the hostile connection and returns what ended it.
		handler func(c *Conn) error
		// attack is the hostile client; it exchanges with good during the
		// attack and returns when the attack is over.
		attack func(t *testing.T, s *hostileServer, good *goodClient)
		// check judges the handler's error.
		check func(t *testing.T, err error)
	}{
		{
			name:    "never reads, the write deadline unblocks the writer",
			handler: writeUntilError,
			attack: func(t *testing.T, s *hostileServer, good *goodClient) {
				p, _ := dialHostile(t, s)
				setSocketBuffers(p.conn)
				good.exchange("while the server's writes are blocked")
			},
			check: func(t *testing.T, err error) {
				if !isTimeout(err) {
					t.Errorf("the blocked write ended with %v, want a timeout", err)
				}
			},
		},
		{
			name:    "length of 2^63, 1002",
			handler: readUntilError(0),
			attack: func(t *testing.T, s *hostileServer, good *goodClient) {
				p, _ := dialHostile(t, s)
				p.write(frameHeaderWithLength(binaryFrame|finalBit, 1<<63))
				good.exchange("after a 2^63 length")
				if code := p.expectClose(); code != CloseProtocolError {
					t.Errorf("close code %d, want 1002", code)
				}
			},
			check: wantProtocolError(CloseProtocolError),
		},
		{
			name:    "length of 2^63-1 over the read limit, 1009",
			handler: readUntilError(1 << 20),
			attack: func(t *testing.T, s *hostileServer, good *goodClient) {
				p, _ := dialHostile(t, s)
				p.write(frameHeaderWithLength(binaryFrame|finalBit, 1<<63-1))
				good.exchange("after a 2^63-1 length")
				if code := p.expectClose(); code != CloseMessageTooBig {
					t.Errorf("close code %d, want 1009", code)
				}
			},
			check: wantError(ErrReadLimit),
		},
		{
			name:    "fragmented message that never ends, the read limit, 1009",
			handler: readUntilError(64 << 10),
			attack: func(t *testing.T, s *hostileServer, good *goodClient) {
				p, _ := dialHostile(t, s)
				sent := sendFragmentsUntilClosed(p.conn, 1024, 4<<10)
				good.exchange("while fragments arrive")
				if code := p.expectClose(); code != CloseMessageTooBig {
					t.Errorf("close code %d, want 1009", code)
				}
				<-sent
			},
			check: wantError(ErrReadLimit),
		},
		{
			name: "fragmented message that never ends, the read deadline",
			handler: func(c *Conn) error {
				c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				_, _, err := c.ReadMessage()
				return err
			},
			attack: func(t *testing.T, s *hostileServer, good *goodClient) {
				p, _ := dialHostile(t, s)
				p.writeFrame(textFrame, []byte("the first fragment and nothing more"))
				good.exchange("while a message is left unfinished")
				expectEnd(t, p.conn, p.br)
			},
			check: func(t *testing.T, err error) {
				if !isTimeout(err) {
					t.Errorf("the read ended with %v, want a timeout", err)
				}
			},
		},
		{
			name:    "ping flood, every ping answered, memory bounded",
			handler: readUntilError(0),
			attack:  pingFlood,
			check:   wantCloseError(CloseNormalClosure),
		},
		{
			name:    "decompression bomb, 1009 without inflating it",
			handler: readUntilError(256 << 10),
			attack:  decompressionBomb,
			check:   wantError(ErrReadLimit),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startHostileServer(t, &Upgrader{EnableCompression: true}, tc.handler, nil)
			good := dialGood(t, s)
			good.exchange("before")
			tc.attack(t, s, good)
			tc.check(t, s.result(t))
			good.exchange("after")
		})
	}
}

// writeUntilError is a handler that writes 32 KiB messages with a write
// deadline until a write fails, then checks that the failure sticks.
func writeUntilError(c *Conn) error {
	payload := make([]byte, 32<<10)
	for range 1 << 13 { // 256 MiB: a client that never reads absorbs far less
		c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		if err := c.WriteMessage(BinaryMessage, payload); err != nil {
			if again := c.WriteMessage(BinaryMessage, payload); again == nil {
				return errors.New("a write after the failed one succeeded")
			}
			return err
		}
	}
	return errors.New("the client absorbed 256 MiB without reading")
}

// readUntilError is a handler that reads messages with the read limit set
// until a read fails, and returns the error.
func readUntilError(limit int64) func(c *Conn) error {
	return func(c *Conn) error {
		c.SetReadLimit(limit)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return err
			}
		}
	}
}

func wantProtocolError(code int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != code {
			t.Errorf("the handler's read ended with %v, want a ProtocolError with code %d", err, code)
		}
	}
}

func wantError(want error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		if err != want {
			t.Errorf("the handler's read ended with %v, want %v", err, want)
		}
	}
}

func wantCloseError(code int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		if !IsCloseError(err, code) {
			t.Errorf("the handler's read ended with %v, want close %d", err, code)
		}
	}
}

// frameHeaderWithLength encodes a masked frame header announcing length
// bytes in the 64-bit form, with the zero mask key.
func frameHeaderWithLength(first byte, length uint64) []byte {
	h := []byte{first, maskBit | payloadLength64}
	h = binary.BigEndian.AppendUint64(h, length)
	return append(h, 0, 0, 0, 0)
}

// sendFragmentsUntilClosed sends, from a goroutine, the first frame of a
// binary message and then continuations of size bytes each, at most frames
// in all, none final, until a write fails. It reports how many it sent.
func sendFragmentsUntilClosed(conn net.Conn, frames, size int) <-chan int {
	sent := make(chan int, 1)
	payload := bytes.Repeat([]byte{'f'}, size)
	go func() {
		n := 0
		for ; n < frames; n++ {
			opcode := byte(continuationFrame)
			if n == 0 {
				opcode = binaryFrame
			}
			if _, err := conn.Write(encodeTestFrame(opcode, payload, true)); err != nil {
				break
			}
		}
		sent <- n
	}()
	return sent
}

// heapInUse returns the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// totalAlloc returns the bytes allocated so far by the process.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// pingFlood sends 20,000 pings of 125 bytes as fast as the connection
// takes them, reads the pongs on another goroutine, and checks that each
// ping is answered, in order, and that the server's heap did not grow by
// more than a generous bound. Then it closes with 1000.
func pingFlood(t *testing.T, s *hostileServer, good *goodClient) {
	const (
		pings     = 20000
		heapBound = 8 << 20
	)
	p, _ := dialHostile(t, s)
	before := heapInUse()

	pongs := make(chan error, 1)
	go func() {
		for i := range pings {
			f, err := p.readFrame()
			if err != nil {
				pongs <- fmt.Errorf("pong %d: %w", i, err)
				return
			}
			if f.opcode() != pongFrame || !bytes.Equal(f.payload, pingPayload(i)) {
				pongs <- fmt.Errorf("frame %d: opcode %d payload %q, want the pong of ping %d", i, f.opcode(), f.payload, i)
				return
			}
		}
		pongs <- nil
	}()
	for i := range pings {
		if _, err := p.conn.Write(encodeTestFrame(finalBit|pingFrame, pingPayload(i), true)); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
		if i == pings/2 {
			good.exchange("during a ping flood")
		}
	}
	if err := <-pongs; err != nil {
		t.Fatal(err)
	}
	after := heapInUse()
	if after > before && after-before > heapBound {
		t.Errorf("the heap grew by %d bytes over %d pings, bound %d", after-before, pings, heapBound)
	}
	t.Logf("%d pings answered; heap in use %d -> %d bytes", pings, before, after)
	p.writeFrame(finalBit|closeFrame, FormatCloseMessage(CloseNormalClosure, ""))
	if code := p.expectClose(); code != CloseNormalClosure {
		t.Errorf("close code %d, want 1000", code)
	}
}

// pingPayload is the 125-byte payload of ping i.
func pingPayload(i int) []byte {
	p := bytes.Repeat([]byte{'.'}, maxControlFramePayload)
	copy(p, fmt.Sprintf("ping %08d", i))
	return p
}

// decompressionBomb negotiates permessage-deflate and sends one frame whose
// 64 KiB of deflate data inflates to 64 MiB, against a read limit of
// 256 KiB: the server must close with 1009 having allocated about the limit,
// not the inflated size.
func decompressionBomb(t *testing.T, s *hostileServer, good *goodClient) {
	const (
		chunk    = 1 << 20
		inflated = 64 * chunk
	)
	// A fresh compressor's output never refers back before its start, so
	// 64 copies of one chunk, each ended by a sync flush, are a valid stream.
	var compressed bytes.Buffer
	w, _ := flate.NewWriter(&compressed, flate.BestCompression)
	w.Write(make([]byte, chunk))
	w.Flush()
	bomb := bytes.TrimSuffix(bytes.Repeat(compressed.Bytes(), inflated/chunk), deflateTail[:])
	if n, err := io.Copy(io.Discard, flate.NewReader(io.MultiReader(bytes.NewReader(bomb), bytes.NewReader(deflateTail[:])))); n != inflated {
		t.Fatalf("the bomb inflates to %d bytes (%v), want %d", n, err, inflated)
	}

	p, resp := dialHostile(t, s, "Sec-WebSocket-Extensions: permessage-deflate")
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); !strings.HasPrefix(ext, "permessage-deflate") {
		t.Fatalf("permessage-deflate not negotiated: %q", ext)
	}
	frame := encodeTestFrame(finalBit|rsv1Bit|binaryFrame, bomb, true)
	runtime.GC()
	allocBefore := totalAlloc()
	p.write(frame)
	good.exchange("while a bomb goes off")
	if code := p.expectClose(); code != CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
	allocated := totalAlloc() - allocBefore
	// The whole process allocated less than an eighth of the inflated size,
	// the well-behaved client's exchange included.
	if allocated > inflated/8 {
		t.Errorf("%d bytes allocated for a %d-byte frame inflating to %d", allocated, len(bomb), inflated)
	}
	t.Logf("a %d-byte frame inflating to %d bytes: %d bytes allocated", len(bomb), inflated, allocated)
}
