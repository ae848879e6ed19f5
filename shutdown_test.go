package websocket

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// shutdownServer is an echo server whose connections are in a ConnSet.
type shutdownServer struct {
	wsURL string
	set   *ConnSet
	// returned counts the handlers that returned.
	returned atomic.Int64
	// stopHTTP shuts the HTTP server down: no new connections.
	stopHTTP func(ctx context.Context) error
}

// handler echoes messages and counts its return.
func (s *shutdownServer) handler(c *Conn) {
	defer s.returned.Add(1)
	echo(c)
}

// startNetHTTPShutdownServer serves the set with net/http, adding each
// connection after the upgrade as ConnSet's documentation shows.
func startNetHTTPShutdownServer(t *testing.T) *shutdownServer {
	s := &shutdownServer{set: &ConnSet{}}
	var upgrader Upgrader
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		defer s.set.Add(c)()
		s.handler(c)
	}))
	t.Cleanup(srv.Close)
	s.wsURL = httpToWS(srv.URL) + "/ws"
	s.stopHTTP = srv.Config.Shutdown
	return s
}

// shutdownClient is a client of a shutdownServer.
type shutdownClient struct {
	c   *Conn
	end chan error
}

// dialShutdownClient connects and checks one echo.
func dialShutdownClient(t *testing.T, wsURL string) *shutdownClient {
	t.Helper()
	sc := &shutdownClient{c: dial(t, nil, wsURL), end: make(chan error, 1)}
	exchangeOnce(t, sc.c, "hello")
	return sc
}

// read starts reading on another goroutine, until an error, which
// wantGoingAway judges. The default close handler answers the close frame.
func (sc *shutdownClient) read() {
	go func() {
		for {
			if _, _, err := sc.c.ReadMessage(); err != nil {
				sc.end <- err
				return
			}
		}
	}()
}

// wantGoingAway waits, bounded, for the client's read to end with 1001.
func (sc *shutdownClient) wantGoingAway(t *testing.T) {
	t.Helper()
	select {
	case err := <-sc.end:
		if !IsCloseError(err, CloseGoingAway) {
			t.Errorf("the client's read ended with %v, want close 1001", err)
		}
	case <-time.After(testTimeout):
		t.Error("the client's read did not end")
	}
}

// exchangeOnce sends msg and reads it back, with bounded waits.
func exchangeOnce(t *testing.T, c *Conn, msg string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(testTimeout))
	if err := c.WriteMessage(TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != msg {
		t.Fatalf("echo %q, %v; want %q", p, err, msg)
	}
	c.SetReadDeadline(time.Time{})
}

// dialShutdownClients connects n clients.
func dialShutdownClients(t *testing.T, s *shutdownServer, n int) []*shutdownClient {
	t.Helper()
	clients := make([]*shutdownClient, n)
	for i := range clients {
		clients[i] = dialShutdownClient(t, s.wsURL)
	}
	if got := s.set.Len(); got != n {
		t.Fatalf("the set holds %d connections, want %d", got, n)
	}
	return clients
}

// stopHTTPServer shuts the HTTP server down and checks that the WebSocket
// connections outlive it, as hijacked connections do, while new ones are
// refused.
func stopHTTPServer(t *testing.T, s *shutdownServer, clients []*shutdownClient) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.stopHTTP(ctx); err != nil {
		t.Fatalf("HTTP server shutdown: %v", err)
	}
	for _, sc := range clients {
		exchangeOnce(t, sc.c, "still served")
	}
	if c, _, err := (&Dialer{HandshakeTimeout: testTimeout}).Dial(s.wsURL, nil); err == nil {
		c.Close()
		t.Fatal("a connection was accepted after the HTTP server's shutdown")
	}
}

// waitDrained waits, bounded, until the set is empty and n handlers returned.
func waitDrained(t *testing.T, s *shutdownServer, n int) {
	t.Helper()
	if !waitFor(func() bool { return s.set.Len() == 0 && s.returned.Load() == int64(n) }) {
		t.Fatalf("the set holds %d connections and %d of %d handlers returned", s.set.Len(), s.returned.Load(), n)
	}
}

func TestConnSetShutdown(t *testing.T) {
	servers := []struct {
		name  string
		start func(t *testing.T) *shutdownServer
	}{
		{"net/http", startNetHTTPShutdownServer},
	}
	cases := []struct {
		name string
		run  func(t *testing.T, s *shutdownServer)
	}{
		{"every peer answers", func(t *testing.T, s *shutdownServer) {
			clients := dialShutdownClients(t, s, 3)
			stopHTTPServer(t, s, clients)
			for _, sc := range clients {
				sc.read()
			}
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if err := s.set.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if n := s.set.Len(); n != 0 {
				t.Errorf("%d connections left after Shutdown", n)
			}
			if n := s.returned.Load(); n != int64(len(clients)) {
				t.Errorf("%d of %d handlers returned when Shutdown returned", n, len(clients))
			}
			for _, sc := range clients {
				sc.wantGoingAway(t)
			}
		}},
		{"a peer that never answers", func(t *testing.T, s *shutdownServer) {
			clients := dialShutdownClients(t, s, 2)
			silent := dialRaw(t, s.wsURL)
			if !waitFor(func() bool { return s.set.Len() == 3 }) {
				t.Fatalf("the set holds %d connections, want 3", s.set.Len())
			}
			stopHTTPServer(t, s, clients)
			for _, sc := range clients {
				sc.read()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := s.set.Shutdown(ctx); err != context.DeadlineExceeded {
				t.Errorf("Shutdown returned %v, want %v", err, context.DeadlineExceeded)
			}
			if code := silent.expectClose(); code != CloseGoingAway {
				t.Errorf("the silent peer got close %d, want 1001", code)
			}
			if f, err := silent.readFrame(); err == nil || isTimeout(err) {
				t.Errorf("the silent peer's connection is still open: frame %+v, %v", f, err)
			}
			for _, sc := range clients {
				sc.wantGoingAway(t)
			}
			waitDrained(t, s, 3)
		}},
		{"a connection made after Shutdown", func(t *testing.T, s *shutdownServer) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if err := s.set.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown of an empty set: %v", err)
			}
			sc := &shutdownClient{c: dial(t, nil, s.wsURL), end: make(chan error, 1)}
			sc.read()
			sc.wantGoingAway(t)
			waitDrained(t, s, 1)
		}},
	}
	for _, srv := range servers {
		for _, tc := range cases {
			t.Run(srv.name+"/"+tc.name, func(t *testing.T) {
				tc.run(t, srv.start(t))
			})
		}
	}
}

// TestConnSetRemoveTwice checks that the function Add returns may be called
// more than once, and that Len follows Add and remove.
func TestConnSetRemoveTwice(t *testing.T) {
	server, client := connPair(t, 0, 0)
	var set ConnSet
	removeServer := set.Add(server)
	removeClient := set.Add(client)
	steps := []struct {
		step func()
		want int
	}{
		{removeServer, 1},
		{removeServer, 1},
		{removeClient, 0},
		{removeClient, 0},
	}
	for i, s := range steps {
		s.step()
		if got := set.Len(); got != s.want {
			t.Fatalf("step %d: Len = %d, want %d", i, got, s.want)
		}
	}
}
