package interop

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iris-contrib/websocket"
	"github.com/kataras/iris/v12"
)

// Our end of the connections: the net/http Upgrader, the iris Server and the
// Dialer, each on a connection that counts and records what crosses the wire.

// topology says which side of the connection is ours.
type topology struct {
	name string
	// ours is "net/http" or "iris" for our servers (the peer is the
	// client), "dialer" for our client (the peer is the server).
	ours string
}

var topologies = []topology{
	{name: "net-http-server", ours: "net/http"},
	{name: "iris-server", ours: "iris"},
	{name: "dialer", ours: "dialer"},
}

// weAreServer reports whether the peer is the client.
func (tp topology) weAreServer() bool { return tp.ours != "dialer" }

// ourOptions configures our side of a connection.
type ourOptions struct {
	subprotocols      []string
	enableCompression bool
	compression       *websocket.CompressionOptions
}

// smallWriteBuffer makes NextWriter send a message as many frames; the iris
// Server keeps the defaults instead, so both paths are covered.
const smallWriteBuffer = 512

// connect opens one connection between our side and a new peer process
// started with peerCfg, and returns it once both ends are open.
func connect(t *testing.T, tp topology, rt *runtime, ours ourOptions, peerCfg map[string]any) *session {
	t.Helper()
	if tp.weAreServer() {
		srv := startOurServer(t, tp.ours, ours)
		peerCfg["url"] = srv.url
		p := startPeer(t, rt, "client", peerCfg)
		select {
		case c := <-srv.conns:
			p.event(t, "open")
			return newSession(t, c, p, true)
		case <-p.exited:
			t.Fatalf("%s client exited without connecting", rt.name)
		case <-time.After(peerTimeout):
			t.Fatalf("%s client did not connect within %v", rt.name, peerTimeout)
		}
		return nil
	}
	p := startPeer(t, rt, "server", peerCfg)
	d := &websocket.Dialer{
		HandshakeTimeout:  peerTimeout,
		WriteBufferSize:   smallWriteBuffer,
		Subprotocols:      ours.subprotocols,
		EnableCompression: ours.enableCompression,
		Compression:       ours.compression,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c}, nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	c, resp, err := d.DialContext(ctx, p.url(), nil)
	if err != nil {
		t.Fatalf("dial %s server: %v (response %v)", rt.name, err, resp)
	}
	return newSession(t, c, p, false)
}

// ourServer is one of our servers on 127.0.0.1; each accepted connection
// arrives on conns.
type ourServer struct {
	url   string
	conns chan *websocket.Conn
}

// startOurServer serves WebSocket connections with our net/http Upgrader or
// our iris Server until the test ends.
func startOurServer(t *testing.T, kind string, ours ourOptions) *ourServer {
	t.Helper()
	s := &ourServer{conns: make(chan *websocket.Conn, 1)}
	var handler http.Handler
	switch kind {
	case "net/http":
		up := &websocket.Upgrader{
			WriteBufferSize:   smallWriteBuffer,
			Subprotocols:      ours.subprotocols,
			EnableCompression: ours.enableCompression,
			Compression:       ours.compression,
		}
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, err := up.Upgrade(w, r, nil); err == nil {
				s.conns <- c
			}
		})
	case "iris":
		// The Server closes the connection when its Handler returns: hold
		// the Handler until the test is over.
		released := make(chan struct{})
		t.Cleanup(func() { close(released) })
		srv := websocket.New(func(c *websocket.Conn) {
			s.conns <- c
			<-released
		})
		srv.Subprotocols = ours.subprotocols
		srv.EnableCompression = ours.enableCompression
		srv.Compression = ours.compression
		app := iris.New()
		app.Logger().SetLevel("disable")
		app.Get("/ws", srv.Serve)
		if err := app.Build(); err != nil {
			t.Fatalf("iris Build: %v", err)
		}
		handler = app
	default:
		t.Fatalf("unknown server kind %q", kind)
	}
	hs := httptest.NewUnstartedServer(handler)
	hs.Listener = countingListener{hs.Listener}
	hs.Start()
	t.Cleanup(hs.Close)
	s.url = "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	return s
}

// countingListener hands out countingConns.
type countingListener struct{ net.Listener }

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c}, nil
}

// maxHeadSize bounds the bytes a countingConn keeps of each direction.
const maxHeadSize = 16 << 10

// countingConn counts the bytes read and written, and keeps the first bytes
// of each direction up to the end of the HTTP head: with them a test reads
// the handshake exactly as it crossed the wire, whichever side is ours.
type countingConn struct {
	net.Conn
	read, written atomic.Int64

	mu                  sync.Mutex
	readHead, writeHead []byte
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	c.keepHead(&c.readHead, p[:n])
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	c.keepHead(&c.writeHead, p[:n])
	return n, err
}

func (c *countingConn) keepHead(head *[]byte, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(*head) < maxHeadSize && !bytes.Contains(*head, []byte("\r\n\r\n")) {
		*head = append(*head, p[:min(len(p), maxHeadSize-len(*head))]...)
	}
}

// handshake parses the request and the response as they crossed the wire.
func (c *countingConn) handshake(t *testing.T, weAreServer bool) (*http.Request, *http.Response) {
	t.Helper()
	c.mu.Lock()
	reqHead, respHead := c.writeHead, c.readHead
	if weAreServer {
		reqHead, respHead = c.readHead, c.writeHead
	}
	reqHead, respHead = bytes.Clone(reqHead), bytes.Clone(respHead)
	c.mu.Unlock()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(reqHead)))
	if err != nil {
		t.Fatalf("parse the handshake request %q: %v", reqHead, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(respHead)), req)
	if err != nil {
		t.Fatalf("parse the handshake response %q: %v", respHead, err)
	}
	return req, resp
}

// traffic is what crossed the wire during one exchange.
type traffic struct{ sent, received int64 }

func (c *countingConn) snapshot() traffic {
	return traffic{sent: c.written.Load(), received: c.read.Load()}
}

func (c *countingConn) since(before traffic) traffic {
	now := c.snapshot()
	return traffic{sent: now.sent - before.sent, received: now.received - before.received}
}
