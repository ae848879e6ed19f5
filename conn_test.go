package websocket

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kataras/iris/v12"
)

// startIrisServer serves srv at /ws of an iris app on 127.0.0.1 and returns
// the ws:// URL.
func startIrisServer(t testing.TB, srv *Server) string {
	t.Helper()
	app := iris.New()
	app.Get("/ws", srv.Serve)
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(app)
	t.Cleanup(hs.Close)
	return httpToWS(hs.URL) + "/ws"
}

// testPayload returns n bytes of the given message type: valid UTF-8 text
// with multi-byte characters, or arbitrary binary.
func testPayload(messageType, n int) []byte {
	p := make([]byte, n)
	if messageType == BinaryMessage {
		for i := range p {
			p[i] = byte(rand.Uint32())
		}
		return p
	}
	const text = "héllo wörld ✓ 日本語 "
	p = p[:0]
	for len(p) < n {
		for _, r := range text {
			if len(p)+utf8.RuneLen(r) > n {
				// Pad with ASCII so the message ends on a character boundary.
				p = append(p, bytes.Repeat([]byte{'x'}, n-len(p))...)
				break
			}
			p = utf8.AppendRune(p, r)
		}
	}
	return p
}

var roundTripSizes = []int{0, 1, 125, 126, 65535, 65536, 1 << 20}

func TestRoundTrip(t *testing.T) {
	servers := map[string]func(t *testing.T) string{
		"net/http": func(t *testing.T) string { return startServer(t, nil, echo) },
		"iris":     func(t *testing.T) string { return startIrisServer(t, New(echo)) },
	}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			c := dial(t, nil, start(t))
			c.SetReadDeadline(time.Now().Add(testTimeout))
			for _, messageType := range []int{TextMessage, BinaryMessage} {
				for _, n := range roundTripSizes {
					want := testPayload(messageType, n)
					if err := c.WriteMessage(messageType, want); err != nil {
						t.Fatalf("write type %d, %d bytes: %v", messageType, n, err)
					}
					gotType, got, err := c.ReadMessage()
					if err != nil {
						t.Fatalf("read type %d, %d bytes: %v", messageType, n, err)
					}
					if gotType != messageType || !bytes.Equal(got, want) {
						t.Fatalf("echo of type %d, %d bytes: got type %d, %d bytes, equal %v", messageType, n, gotType, len(got), bytes.Equal(got, want))
					}
				}
			}
		})
	}
}

// TestNextWriterFragments checks that a message written in pieces larger
// than the write buffer leaves as several frames and arrives whole.
func TestNextWriterFragments(t *testing.T) {
	const writeBufferSize = 1024
	url, peers := serveRaw(t)
	c := dial(t, &Dialer{WriteBufferSize: writeBufferSize}, url)
	peer := <-peers

	want := testPayload(BinaryMessage, 5*writeBufferSize+17)
	w, err := c.NextWriter(BinaryMessage)
	if err != nil {
		t.Fatal(err)
	}
	for p := want; len(p) > 0; {
		n := min(len(p), 700)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	var got []byte
	for frames := 0; ; frames++ {
		f, err := peer.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		wantOpcode := byte(continuationFrame)
		if frames == 0 {
			wantOpcode = binaryFrame
		}
		if f.opcode() != wantOpcode {
			t.Fatalf("frame %d has opcode %d, want %d", frames, f.opcode(), wantOpcode)
		}
		if len(f.payload) > writeBufferSize {
			t.Fatalf("frame %d carries %d bytes, more than the %d-byte buffer", frames, len(f.payload), writeBufferSize)
		}
		got = append(got, f.payload...)
		if f.first&finalBit != 0 {
			if frames < 5 {
				t.Fatalf("message left in %d frames, want at least 6", frames+1)
			}
			break
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatal("fragments do not add up to the message")
	}
}

// TestStreamCopy echoes through NextReader and NextWriter, the streaming API.
func TestStreamCopy(t *testing.T) {
	url := startServer(t, &Upgrader{ReadBufferSize: 512, WriteBufferSize: 512}, streamEcho)
	c := dial(t, nil, url)
	c.SetReadDeadline(time.Now().Add(testTimeout))
	for _, n := range []int{0, 511, 512, 513, 100_000} {
		want := testPayload(TextMessage, n)
		if err := c.WriteMessage(TextMessage, want); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: got %d bytes, err %v", n, len(got), err)
		}
	}
}

// TestConcurrentWriteMessage writes from many goroutines at once, which
// gorilla/websocket forbids; every message must arrive whole.
func TestConcurrentWriteMessage(t *testing.T) {
	const (
		writers  = 16
		messages = 50
	)
	server, client := connPair(t, 0, 512)
	received := make(chan map[string]bool, 1)
	go func() {
		seen := make(map[string]bool)
		server.SetReadDeadline(time.Now().Add(testTimeout))
		for len(seen) < writers*messages {
			_, p, err := server.ReadMessage()
			if err != nil {
				t.Errorf("read after %d messages: %v", len(seen), err)
				break
			}
			seen[string(p)] = true
		}
		received <- seen
	}()

	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range messages {
				// Sizes around the buffer size mix one-frame and multi-write messages.
				body := bytes.Repeat([]byte{byte('a' + g)}, 400+(g*m)%300)
				msg := fmt.Sprintf("%02d-%03d-%s", g, m, body)
				var err error
				switch m % 3 {
				case 0:
					err = client.WriteMessage(TextMessage, []byte(msg))
				case 1:
					err = client.WriteJSON(msg)
				default:
					var pm *PreparedMessage
					if pm, err = NewPreparedMessage(TextMessage, []byte(msg)); err == nil {
						err = client.WritePreparedMessage(pm)
					}
				}
				if err != nil {
					t.Errorf("writer %d message %d: %v", g, m, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := <-received
	for g := range writers {
		for m := range messages {
			body := bytes.Repeat([]byte{byte('a' + g)}, 400+(g*m)%300)
			msg := fmt.Sprintf("%02d-%03d-%s", g, m, body)
			if m%3 == 1 {
				msg = fmt.Sprintf("%q\n", msg)
			}
			if !seen[msg] {
				t.Fatalf("message %d of writer %d did not arrive whole", m, g)
			}
		}
	}
}

// TestWriteControlDuringFragmentedMessage sends a ping from another goroutine
// while a NextWriter message is half written: the ping goes between two
// frames and the message still arrives whole.
func TestWriteControlDuringFragmentedMessage(t *testing.T) {
	server, client := connPair(t, 0, 256)
	w, err := client.NextWriter(BinaryMessage)
	if err != nil {
		t.Fatal(err)
	}
	first := testPayload(BinaryMessage, 600)
	w.Write(first)
	if err := client.WriteControl(PingMessage, []byte("between"), time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	second := testPayload(BinaryMessage, 300)
	w.Write(second)
	w.Close()

	pinged := make(chan string, 1)
	server.SetPingHandler(func(appData string) error { pinged <- appData; return nil })
	server.SetReadDeadline(time.Now().Add(testTimeout))
	_, got, err := server.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(first, second...)) {
		t.Fatal("message damaged by the control frame")
	}
	if ping := <-pinged; ping != "between" {
		t.Fatalf("ping payload %q", ping)
	}
}

// TestNextWriterClosesPrevious keeps gorilla's rule: a second NextWriter
// closes the writer the application left open, and the old one then fails.
func TestNextWriterClosesPrevious(t *testing.T) {
	server, client := connPair(t, 0, 0)
	w1, _ := client.NextWriter(TextMessage)
	io.WriteString(w1, "first")
	w2, err := client.NextWriter(TextMessage)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w1.Write([]byte("late")); err != errWriteClosed {
		t.Fatalf("write to the replaced writer: %v, want errWriteClosed", err)
	}
	io.WriteString(w2, "second")
	w2.Close()
	server.SetReadDeadline(time.Now().Add(testTimeout))
	for _, want := range []string{"first", "second"} {
		if _, got, err := server.ReadMessage(); err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
}

// TestWriteAfterClose checks ErrCloseSent after this side sent a close frame.
func TestWriteAfterClose(t *testing.T) {
	_, client := connPair(t, 0, 0)
	if err := client.WriteMessage(CloseMessage, FormatCloseMessage(CloseNormalClosure, "")); err != nil {
		t.Fatal(err)
	}
	if err := client.WriteMessage(TextMessage, []byte("x")); err != ErrCloseSent {
		t.Fatalf("WriteMessage after close: %v, want ErrCloseSent", err)
	}
	if _, err := client.NextWriter(TextMessage); err != ErrCloseSent {
		t.Fatalf("NextWriter after close: %v, want ErrCloseSent", err)
	}
}

// TestCloseHandshake runs the close handshake from each side.
func TestCloseHandshake(t *testing.T) {
	server, client := connPair(t, 0, 0)
	serverErr := make(chan error, 1)
	go func() {
		server.SetReadDeadline(time.Now().Add(testTimeout))
		_, _, err := server.ReadMessage()
		serverErr <- err
		server.Close() // the server closes TCP first (RFC 6455 section 7.1.1)
	}()
	if err := client.WriteControl(CloseMessage, FormatCloseMessage(CloseGoingAway, "bye"), time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(testTimeout))
	_, _, err := client.ReadMessage()
	if !IsCloseError(err, CloseGoingAway) {
		t.Fatalf("client read: %v, want the echoed close 1001", err)
	}
	if err := <-serverErr; !IsCloseError(err, CloseGoingAway) || err.(*CloseError).Text != "bye" {
		t.Fatalf("server read: %v", err)
	}
	// The handshake is complete: Close waits for the server's TCP close,
	// which already happened, then returns.
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteDeadline unblocks a writer whose peer never reads.
func TestWriteDeadline(t *testing.T) {
	_, client := connPair(t, 0, 0)
	client.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	big := make([]byte, 1<<20)
	var err error
	for i := 0; i < 64 && err == nil; i++ {
		err = client.WriteMessage(BinaryMessage, big)
	}
	if err == nil {
		t.Fatal("64 MiB written to a peer that never reads")
	}
	if err2 := client.WriteMessage(BinaryMessage, []byte("x")); err2 != err {
		t.Fatalf("write after a timeout: %v, want the same error %v", err2, err)
	}
}

// TestJSON round-trips values and checks gorilla's io.ErrUnexpectedEOF for an
// empty message.
func TestJSON(t *testing.T) {
	server, client := connPair(t, 0, 0)
	type point struct{ X, Y int }
	if err := client.WriteJSON(point{1, 2}); err != nil {
		t.Fatal(err)
	}
	client.WriteMessage(TextMessage, nil)
	server.SetReadDeadline(time.Now().Add(testTimeout))
	var p point
	if err := server.ReadJSON(&p); err != nil || p != (point{1, 2}) {
		t.Fatalf("ReadJSON: %v, %+v", err, p)
	}
	if err := ReadJSON(server, &p); err != io.ErrUnexpectedEOF {
		t.Fatalf("ReadJSON of an empty message: %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestJoinMessages reads messages as one stream with a terminator.
func TestJoinMessages(t *testing.T) {
	server, client := connPair(t, 0, 0)
	for _, m := range []string{"a", "", "bc"} {
		client.WriteMessage(TextMessage, []byte(m))
	}
	client.WriteMessage(CloseMessage, FormatCloseMessage(CloseNormalClosure, ""))
	server.SetReadDeadline(time.Now().Add(testTimeout))
	got, err := io.ReadAll(JoinMessages(server, "\n"))
	if string(got) != "a\n\nbc\n" || !IsCloseError(err, CloseNormalClosure) {
		t.Fatalf("got %q, %v", got, err)
	}
}

// TestIrisContext reads a route parameter and a query value through the
// connection's iris.Context, inside the Handler.
func TestIrisContext(t *testing.T) {
	app := iris.New()
	app.Get("/ws/{room}", New(func(c *Conn) {
		ctx := c.IrisContext()
		c.WriteMessage(TextMessage, []byte(ctx.Params().Get("room")+" "+ctx.URLParam("name")))
	}).Serve)
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(app)
	defer hs.Close()
	c := dial(t, nil, httpToWS(hs.URL)+"/ws/lobby?name=ann")
	c.SetReadDeadline(time.Now().Add(testTimeout))
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "lobby ann" {
		t.Fatalf("got %q, %v", p, err)
	}
	if server, _ := connPair(t, 0, 0); server.IrisContext() != nil {
		t.Fatal("a connection made without iris has an iris context")
	}
}

// TestCloseAfterWriteFailure reports the peer's close as a *CloseError even
// when the echo of the close cannot be written.
func TestCloseAfterWriteFailure(t *testing.T) {
	server, client := connPair(t, 0, 0)
	server.SetWriteDeadline(time.Now().Add(-time.Second))
	if err := server.WriteMessage(TextMessage, []byte("x")); err == nil {
		t.Fatal("a write past its deadline succeeded")
	}
	client.WriteMessage(CloseMessage, FormatCloseMessage(CloseNormalClosure, "bye"))
	server.SetReadDeadline(time.Now().Add(testTimeout))
	if _, _, err := server.ReadMessage(); !IsCloseError(err, CloseNormalClosure) {
		t.Fatalf("read %v (%T), want *CloseError 1000", err, err)
	}
}

// TestExpiredControlDeadline fails the control frame only: later writes work.
func TestExpiredControlDeadline(t *testing.T) {
	server, client := connPair(t, 0, 0)
	if err := server.WriteControl(PingMessage, nil, time.Now().Add(-time.Millisecond)); err == nil {
		t.Fatal("a control frame past its deadline was accepted")
	}
	if err := server.WriteMessage(TextMessage, []byte("after")); err != nil {
		t.Fatalf("WriteMessage after an expired WriteControl: %v", err)
	}
	client.SetReadDeadline(time.Now().Add(testTimeout))
	if _, p, err := client.ReadMessage(); err != nil || string(p) != "after" {
		t.Fatalf("got %q, %v", p, err)
	}
}

// TestStaleWriterAndReader checks that a writer or a reader of an earlier
// message cannot touch the current one.
func TestStaleWriterAndReader(t *testing.T) {
	server, client := connPair(t, 0, 0)
	w1, _ := server.NextWriter(TextMessage)
	w1.Close()
	w2, _ := server.NextWriter(TextMessage)
	w2.Close()
	w3, _ := server.NextWriter(TextMessage)
	if _, err := w1.Write([]byte("stale")); err != errWriteClosed {
		t.Errorf("write through a closed writer: %v, want errWriteClosed", err)
	}
	if err := w1.Close(); err != errWriteClosed {
		t.Errorf("second Close of a writer: %v, want errWriteClosed", err)
	}
	io.WriteString(w3, "three")
	if err := w3.Close(); err != nil {
		t.Fatal(err)
	}

	for _, m := range []string{"one", "two", "three"} {
		client.WriteMessage(TextMessage, []byte(m))
	}
	server.SetReadDeadline(time.Now().Add(testTimeout))
	_, r1, _ := server.NextReader()
	server.NextReader()
	_, r3, _ := server.NextReader()
	if n, err := r1.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("read from a reader two messages back: %d bytes, %v; want io.EOF", n, err)
	}
	if p, err := io.ReadAll(r3); err != nil || string(p) != "three" {
		t.Errorf("current reader: %q, %v", p, err)
	}
}

// slowConn delays every write, like a slow but healthy peer.
type slowConn struct {
	net.Conn
	delay time.Duration
}

func (s *slowConn) Write(p []byte) (int, error) {
	time.Sleep(s.delay)
	return s.Conn.Write(p)
}

// TestControlNotStarvedByDataFrames sends pings, each with a deadline far
// beyond one frame's time, while another goroutine writes frames back to
// back: each ping must get its turn between two frames.
func TestControlNotStarvedByDataFrames(t *testing.T) {
	a, b := tcpPair(t)
	go io.Copy(io.Discard, b)
	server := newConn(&slowConn{Conn: a, delay: 2 * time.Millisecond}, true, nil, 0, 0, nil)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := server.NextWriter(BinaryMessage)
		if err != nil {
			return
		}
		chunk := make([]byte, 4096)
		for !stop.Load() {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Close()
	}()
	defer func() { stop.Store(true); <-done }()
	time.Sleep(10 * time.Millisecond) // let the frames flow
	for i := range 5 {
		if err := server.WriteControl(PingMessage, nil, time.Now().Add(2*time.Second)); err != nil {
			t.Fatalf("ping %d behind 2 ms data frames: %v", i, err)
		}
	}
}
