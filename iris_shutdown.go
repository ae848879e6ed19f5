package websocket

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kataras/iris/v12/core/host"
)

// How an iris app's shutdown reaches the WebSockets of its Servers.
//
// A WebSocket is a hijacked connection: http.Server.Shutdown, which iris's
// Application.Shutdown calls for each host, neither sees nor waits for it,
// and the callbacks of RegisterOnShutdown run on goroutines of their own,
// so Shutdown returns before they are done. What Shutdown does wait for is
// its listeners: it closes each, then waits until every Serve call has
// returned. So while a host has WebSockets open, it also serves a
// hostListener, which accepts nothing: its Close, the first thing Shutdown
// does, starts the close handshakes, and its Accept returns only when the
// Handlers are done. net/http tells a shutdown's deadline to no listener, so
// that wait has a bound of its own, hostShutdownTimeout.
//
// iris's interrupt handling (Ctrl-C, SIGTERM) shuts the hosts down and lets
// the program end as soon as their Serve calls return, before Shutdown is
// done; the Servers therefore also take part in it, ahead of the hosts.

// hostShutdownTimeout bounds the wait for the Handlers when an http.Server
// or the interrupt handler shuts down: the timeout of iris's own interrupt
// handler.
const hostShutdownTimeout = 10 * time.Second

// hostConns are the WebSockets that the Servers took from one http.Server.
type hostConns struct {
	conns ConnSet
	open  int           // connections in conns; guarded by hostsMu
	ln    *hostListener // served by the http.Server while open > 0
}

var (
	hostsMu sync.Mutex
	hosts   = map[*http.Server]*hostConns{}
)

// track puts c among the connections of s and of the http.Server that
// served its request; untrack takes it out.
func (s *Server) track(c *Conn) {
	s.conns.add(c)
	if srv := httpServerOf(c); srv != nil {
		joinHost(srv, c)
	}
}

func (s *Server) untrack(c *Conn) {
	s.conns.remove(c)
	if srv := httpServerOf(c); srv != nil {
		leaveHost(srv, c)
	}
}

// httpServerOf returns the http.Server that served the request of c, if
// net/http says.
func httpServerOf(c *Conn) *http.Server {
	srv, _ := c.irisContext.Request().Context().Value(http.ServerContextKey).(*http.Server)
	return srv
}

// joinHost puts c among the connections of srv, and starts to watch srv's
// shutdown with the first.
func joinHost(srv *http.Server, c *Conn) {
	hostsMu.Lock()
	h := hosts[srv]
	if h == nil {
		h = &hostConns{}
		h.ln = newHostListener(h)
		hosts[srv] = h
		go func() { _ = srv.Serve(h.ln) }()
	}
	h.open++
	hostsMu.Unlock()
	h.conns.add(c)
}

// leaveHost takes c out of the connections of srv, and ends the watch of
// srv's shutdown with the last.
func leaveHost(srv *http.Server, c *Conn) {
	hostsMu.Lock()
	h := hosts[srv]
	if h.open--; h.open == 0 {
		delete(hosts, srv)
		h.ln.retire()
	}
	hostsMu.Unlock()
	h.conns.remove(c)
}

// hostListener is the listener a host serves while it has WebSockets open.
// It accepts no connection.
type hostListener struct {
	h        *hostConns
	released chan struct{} // closed when Accept may return
	once     sync.Once
}

func newHostListener(h *hostConns) *hostListener {
	return &hostListener{h: h, released: make(chan struct{})}
}

// Accept waits until the listener is closed and, when a shutdown closed it,
// until the WebSockets are closed too.
func (l *hostListener) Accept() (net.Conn, error) {
	<-l.released
	return nil, net.ErrClosed
}

// Close is called by the http.Server's Shutdown (or Close): it closes the
// WebSockets of the host, and releases Accept when they are done.
func (l *hostListener) Close() error {
	l.once.Do(func() {
		go func() {
			shutdownHost(l.h)
			close(l.released)
		}()
	})
	return nil
}

// retire releases Accept with no shutdown: the host has no WebSocket left,
// so its Serve call on l ends.
func (l *hostListener) retire() {
	l.once.Do(func() { close(l.released) })
}

// Addr returns an address no client can reach.
func (l *hostListener) Addr() net.Addr { return hostListenerAddr{} }

type hostListenerAddr struct{}

func (hostListenerAddr) Network() string { return "websocket-shutdown" }
func (hostListenerAddr) String() string  { return "websocket-shutdown" }

// shutdownHost closes the WebSockets of h with 1001 and waits for their
// Handlers, at most hostShutdownTimeout.
func shutdownHost(h *hostConns) {
	ctx, cancel := context.WithTimeout(context.Background(), hostShutdownTimeout)
	defer cancel()
	_ = h.conns.Shutdown(ctx)
}

var interruptOnce sync.Once

// registerInterruptOnce makes iris's interrupt handler shut down the
// WebSockets of every host, before the hosts themselves.
func registerInterruptOnce() {
	interruptOnce.Do(func() { host.RegisterOnInterrupt(shutdownAllHosts) })
}

// shutdownAllHosts shuts down the WebSockets of every host at once.
func shutdownAllHosts() {
	hostsMu.Lock()
	all := make([]*hostConns, 0, len(hosts))
	for _, h := range hosts {
		all = append(all, h)
	}
	hostsMu.Unlock()
	var wg sync.WaitGroup
	for _, h := range all {
		wg.Go(func() { shutdownHost(h) })
	}
	wg.Wait()
}
