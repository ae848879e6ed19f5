package websocket

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// The interval is short, so the tests see many pings; the timeout is short
// where the peer is silent, and long where it answers, so that a loaded
// machine does not fail the connection. Nothing asserts how long anything
// took.
const (
	keepAliveInterval      = 20 * time.Millisecond
	keepAliveSilentTimeout = 500 * time.Millisecond
	keepAliveTimeout       = testTimeout / 2
)

// answeringPeer is a raw peer that answers the first n pings with pongs,
// then reads on and answers nothing. It reports the pings it saw when its
// connection ends.
func answeringPeer(p *rawPeer, n int) <-chan int {
	pings := make(chan int, 1)
	go func() {
		seen := 0
		for {
			f, err := p.readFrame()
			if err != nil {
				pings <- seen
				return
			}
			if f.opcode() != pingFrame {
				continue
			}
			seen++
			if seen <= n {
				p.conn.Write(encodeTestFrame(finalBit|pongFrame, f.payload, p.masked))
			}
		}
	}()
	return pings
}

// keepAliveHandler is a server handler with KeepAlive on, and a pong
// handler of its own set before; it reports how its read ended.
type keepAliveHandler struct {
	timeout   time.Duration
	userPongs atomic.Int64
	result    chan keepAliveResult
}

type keepAliveResult struct {
	readErr, stopErr error
}

func (h *keepAliveHandler) serve(c *Conn) {
	c.SetPongHandler(func(string) error {
		h.userPongs.Add(1)
		return nil
	})
	stop := c.KeepAlive(keepAliveInterval, h.timeout)
	defer stop()
	var err error
	for err == nil {
		_, _, err = c.ReadMessage()
	}
	h.result <- keepAliveResult{readErr: err, stopErr: stop()}
}

func (h *keepAliveHandler) wait(t *testing.T) keepAliveResult {
	t.Helper()
	return awaitValue(t, h.result)
}

func TestKeepAliveFailsSilentPeer(t *testing.T) {
	cases := []struct {
		name    string
		answers int // pings the peer answers before it stops
	}{
		{"never answers", 0},
		{"stops answering after 3 pings", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &keepAliveHandler{timeout: keepAliveSilentTimeout, result: make(chan keepAliveResult, 1)}
			p := dialRaw(t, startServer(t, nil, h.serve))
			pings := answeringPeer(p, tc.answers)
			r := h.wait(t)
			if r.stopErr != ErrKeepAliveTimeout {
				t.Errorf("stop returned %v, want ErrKeepAliveTimeout", r.stopErr)
			}
			if r.readErr == nil || IsCloseError(r.readErr, CloseNormalClosure) {
				t.Errorf("the read ended with %v, want the error of a closed connection", r.readErr)
			}
			if n := h.userPongs.Load(); n != int64(tc.answers) {
				t.Errorf("the application's pong handler saw %d pongs, want %d", n, tc.answers)
			}
			select {
			case n := <-pings:
				if n <= tc.answers {
					t.Errorf("the peer saw %d pings, want more than the %d it answered", n, tc.answers)
				}
			case <-time.After(testTimeout):
				t.Error("the peer's connection was not closed")
			}
		})
	}
}

func TestKeepAliveAnsweringPeer(t *testing.T) {
	const pongs = 5
	h := &keepAliveHandler{timeout: keepAliveTimeout, result: make(chan keepAliveResult, 1)}
	client := dial(t, nil, startServer(t, nil, h.serve))
	clientRead := make(chan error, 1)
	go func() {
		for {
			// The default ping handler answers every ping.
			if _, _, err := client.ReadMessage(); err != nil {
				clientRead <- err
				return
			}
		}
	}()
	if !waitFor(func() bool { return h.userPongs.Load() >= pongs }) {
		t.Fatalf("the application's pong handler saw %d pongs, want %d", h.userPongs.Load(), pongs)
	}
	client.WriteControl(CloseMessage, FormatCloseMessage(CloseNormalClosure, ""), time.Now().Add(testTimeout))
	r := h.wait(t)
	if !IsCloseError(r.readErr, CloseNormalClosure) {
		t.Errorf("the read ended with %v, want close 1000", r.readErr)
	}
	if r.stopErr != nil {
		t.Errorf("stop returned %v for a peer that answered", r.stopErr)
	}
	if err := <-clientRead; !IsCloseError(err, CloseNormalClosure) {
		t.Errorf("the client's read ended with %v, want close 1000", err)
	}
}

// TestKeepAliveClientStop runs KeepAlive on a client, against a raw server
// that answers, and checks that no ping is written once stop returned.
func TestKeepAliveClientStop(t *testing.T) {
	wsURL, peers := serveRaw(t)
	client := dial(t, nil, wsURL)
	p := awaitValue(t, peers) // serveRaw closes peers when its handshake fails
	var pongs atomic.Int64
	client.SetPongHandler(func(string) error { pongs.Add(1); return nil })
	stop := client.KeepAlive(keepAliveInterval, keepAliveTimeout)
	clientRead := make(chan error, 1)
	go func() {
		_, _, err := client.ReadMessage()
		clientRead <- err
	}()
	for range 3 {
		f, err := p.readFrame()
		if err != nil || f.opcode() != pingFrame {
			t.Fatalf("read %+v, %v; want a ping", f, err)
		}
		p.writeFrame(finalBit|pongFrame, f.payload)
	}
	if !waitFor(func() bool { return pongs.Load() == 3 }) {
		t.Fatalf("the client saw %d pongs, want 3", pongs.Load())
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	// At most the ping sent before stop, never answered, can still come.
	p.conn.SetReadDeadline(time.Now().Add(5 * keepAliveInterval))
	for n := 0; ; n++ {
		f, err := p.readFrame()
		if isTimeout(err) {
			break
		}
		if err != nil || f.opcode() != pingFrame || n > 0 {
			t.Fatalf("after stop: frame %+v, %v (frame %d)", f, err, n)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("stop called again: %v", err)
	}
	p.writeFrame(finalBit|closeFrame, FormatCloseMessage(CloseNormalClosure, ""))
	if err := <-clientRead; !IsCloseError(err, CloseNormalClosure) {
		t.Errorf("the client's read ended with %v, want close 1000", err)
	}
	p.conn.Close() // the client's Close waits for it (RFC 6455 section 7.1.1)
}

func TestKeepAliveRejectsNonPositive(t *testing.T) {
	server, _ := connPair(t, 0, 0)
	cases := []struct{ interval, timeout time.Duration }{{0, time.Second}, {time.Second, 0}, {-1, -1}}
	for _, tc := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("KeepAlive(%v, %v) did not panic", tc.interval, tc.timeout)
				}
			}()
			server.KeepAlive(tc.interval, tc.timeout)
		}()
	}
}

// TestKeepAliveAfterWriteTimeout checks that a write that timed out before
// KeepAlive started is not taken for a ping that went unanswered.
func TestKeepAliveAfterWriteTimeout(t *testing.T) {
	_, client := connPair(t, 0, 0)
	client.SetWriteDeadline(time.Now().Add(-time.Second))
	var netErr net.Error
	if err := client.WriteMessage(TextMessage, []byte("late")); !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("write past its deadline: %v, want a timeout", err)
	}
	stop := client.KeepAlive(keepAliveInterval, keepAliveInterval)
	time.Sleep(5 * keepAliveInterval)
	if err := stop(); err != nil {
		t.Errorf("stop: %v, want nil: the keepalive sent no ping to time out", err)
	}
}
