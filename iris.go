package websocket

import (
	"context"
	"net/http"
	"runtime/debug"
	"time"

	iriscontext "github.com/kataras/iris/v12/context"
)

// Handler serves one WebSocket connection. A Server runs it on each new
// connection and closes the connection when it returns.
type Handler func(*Conn)

// Server upgrades iris requests to WebSocket connections and runs its Handler
// on each. The embedded Upgrader holds every handshake option: buffer sizes,
// subprotocols, CheckOrigin, EnableCompression, HandshakeTimeout.
//
// Build one Server per route, at start-up, and serve it with Serve:
//
//	app.Get("/ws", websocket.New(func(c *websocket.Conn) { ... }).Serve)
//
// A Server keeps track of its connections: the app's Shutdown (and iris's
// interrupt handling, Ctrl-C) closes them with close code 1001 and waits for
// their Handlers; see Server.Shutdown. The 101 response carries the headers
// that middleware set on the iris response (cookies, CORS, request ids),
// without the entity headers that have no place on it; a panic in the
// Handler closes its connection with 1011 and is logged by the app's logger.
//
// A Server must not be copied after its first use.
type Server struct {
	Upgrader
	// Handler runs once per connection. Through Serve it runs on a
	// goroutine of its own; through Upgrade, on the goroutine of the request.
	Handler Handler

	conns ConnSet // the connections whose Handler runs
}

// New returns a Server that runs h on each connection, with the default
// options: buffers of 4096 bytes and the same-origin check of Upgrader.
//
// New also joins iris's interrupt handling (host.RegisterOnInterrupt), once
// per process: on Ctrl-C or SIGTERM, before iris shuts its hosts down, the
// open connections of every Server are closed with 1001 and their Handlers
// waited for, at most 10 seconds. An app started with iris's interrupt
// handler disabled (iris.WithoutInterruptHandler) then handles these
// signals through iris.RegisterOnInterrupt, as iris documents for it.
func New(h Handler) *Server {
	registerInterruptOnce()
	return &Server{Handler: h}
}

// Custom returns a Server like New with the given read and write buffer sizes.
func Custom(h Handler, readBufferSize, writeBufferSize int) *Server {
	s := New(h)
	s.ReadBufferSize = readBufferSize
	s.WriteBufferSize = writeBufferSize
	return s
}

// DontCheckOrigin makes the server accept requests from any origin, and
// returns the server. Only use it when the connection carries no ambient
// authority (cookies, HTTP authentication) a cross-site page could abuse.
func (s *Server) DontCheckOrigin() *Server {
	s.CheckOrigin = func(*http.Request) bool { return true }
	return s
}

// Serve is the iris.Handler of s: app.Get("/ws", srv.Serve). It answers the
// handshake of the request, starts the Handler on a goroutine of its own and
// returns at once, so that iris and net/http free what they hold for the
// request: an idle connection costs about a third of what it would cost
// with the Handler running inside the request (see Upgrade). The Handler
// reads the request through Conn.IrisContext, never through a context
// captured from the route, which iris recycles once Serve returns.
//
// After a successful handshake Serve calls ctx.Next, so the done handlers
// of the route run (they must not write a response: the connection is a
// WebSocket now), and the access log records status 101. A failed handshake
// is answered with its HTTP error and logged at debug level; the chain stops
// there.
func (s *Server) Serve(ctx *iriscontext.Context) {
	conn, end, err := s.upgrade(ctx)
	if err != nil {
		ctx.Application().Logger().Debugf("websocket: %s: %v", ctx.Path(), err)
		return
	}
	go s.serveConn(conn, end)
	ctx.Next()
}

// Upgrade answers the handshake of the request of ctx, then runs the Handler
// on the calling goroutine and closes the connection when the Handler
// returns. It returns nil after the Handler, or the handshake error, which
// it has answered with an HTTP error response.
//
// Upgrade hides the embedded Upgrader.Upgrade(w, r, responseHeader), which
// stays reachable as s.Upgrader.Upgrade, and differs from it in lifetime:
// Upgrader.Upgrade returns the new connection, Upgrade returns when the
// connection is done. While the Handler runs, ctx stays valid, so a
// Handler built inside the route may use the route's ctx. The price is
// memory: net/http keeps the request's state (about 12 KB) alive as long as
// the Handler runs. Serve does not; prefer it.
func (s *Server) Upgrade(ctx *iriscontext.Context) error {
	conn, end, err := s.upgrade(ctx)
	if err != nil {
		return err
	}
	s.serveConn(conn, end)
	return nil
}

// Shutdown closes every open connection of s with close code 1001 (going
// away) and waits until their Handlers have returned, or until ctx ends,
// when it closes the network connections of those left and returns
// ctx.Err(). From the call on, s answers new handshakes with 503 Service
// Unavailable. The Handlers must read their connection, as every Handler
// should: the client's answer to the close frame ends the read.
//
// An iris app does not need to call it: the app's Shutdown does the same
// for the connections of every Server on the app's hosts, bounded by 10
// seconds, since net/http tells a shutdown's deadline to no one. Call
// Shutdown first, with your own ctx, for another bound, or to shut one
// Server down alone.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.conns.Shutdown(ctx)
}

// errShuttingDown answers the handshakes a Server gets during its Shutdown.
const errShuttingDown = "websocket: the server is shutting down"

// upgrade answers the handshake of the request of ctx, gives the new
// connection its iris.Context and puts it among the connections a shutdown
// closes; end, called when the Handler returns, cancels the context of the
// connection's request. This work is done on the request's goroutine, whose
// stack is large already: on the Handler's goroutine it could grow the
// stack that an idle connection keeps.
func (s *Server) upgrade(ctx *iriscontext.Context) (conn *Conn, end context.CancelFunc, err error) {
	// The 101 response goes straight to the hijacked connection; a compression
	// middleware must not wrap it, nor write a trailer when a recorder flushes
	// after the handler.
	_ = ctx.CompressWriter(false)
	// Hijack through iris's own writer, so iris knows the response is written;
	// a recorder can't hijack, but the writer it wraps can.
	var w http.ResponseWriter = ctx.ResponseWriter()
	if recorder, ok := ctx.IsRecording(); ok {
		w = recorder.ResponseWriter
	}
	registerInterruptOnce() // a Server made without New joins it at its first request
	if s.conns.isClosing() {
		_, err := s.reject(w, ctx.Request(), http.StatusServiceUnavailable, errShuttingDown)
		return nil, nil, err
	}
	// The headers middleware set go on the 101; Upgrader.Upgrade leaves out
	// those that describe a body.
	conn, err = s.Upgrader.Upgrade(w, ctx.Request(), w.Header())
	if err != nil {
		return nil, nil, err
	}
	ctx.StatusCode(http.StatusSwitchingProtocols) // what the access log records
	conn.irisContext, end = detachedContext(ctx)
	s.track(conn)
	return conn, end, nil
}

// serveConn runs the Handler on c, then closes c, takes it out of the
// connections a shutdown closes and calls end.
func (s *Server) serveConn(c *Conn, end context.CancelFunc) {
	defer end()
	defer s.untrack(c)
	defer c.Close()
	defer recoverHandler(c, time.Now())
	if s.Handler != nil {
		s.Handler(c)
	}
}

// recoverHandler, deferred around a Handler, turns its panic into a close
// frame with code 1011 (RFC 6455 section 7.4.1: an unexpected condition)
// and an error in the app's log, with the stack. The panic goes no further:
// above the Handler is either a goroutine of the Server's or iris's handler
// chain, whose recover middleware would answer 500 on the hijacked
// connection.
func recoverHandler(c *Conn, start time.Time) {
	v := recover()
	if v == nil {
		return
	}
	_ = c.WriteControl(CloseMessage, FormatCloseMessage(CloseInternalServerErr, ""), time.Now().Add(controlWriteWait))
	if v == http.ErrAbortHandler {
		return // net/http's way to abort without a log line
	}
	ctx := c.irisContext
	ctx.Application().Logger().Errorf("websocket: panic in the Handler of %s %s from %s, %s after the handshake: %v\n%s",
		ctx.Method(), ctx.Request().RequestURI, ctx.RemoteAddr(), time.Since(start).Round(time.Millisecond), v, debug.Stack())
}

// detachedContext returns a copy of ctx, made with iris's Context.Clone,
// that stays valid after iris recycles ctx: the route parameters, URL query
// and values (the session among them) of the request, the request, and a
// response writer that, like the hijacked one, writes nothing and reports
// status 101. net/http cancels the request's context when the request's
// handler returns, which through Serve is right after the handshake: the
// copy's request has a context of its own instead, with the same values,
// which end cancels.
func detachedContext(ctx *iriscontext.Context) (clone *iriscontext.Context, end context.CancelFunc) {
	clone = ctx.Clone()
	r := ctx.Request()
	connCtx, end := context.WithCancel(context.WithoutCancel(r.Context()))
	// WithContext copies the request but shares its fields, where Clone's
	// deep copy would double the memory an idle connection keeps.
	clone.ResetRequest(r.WithContext(connCtx))
	// Clone copies iris's cache of the URL query, which may still be empty
	// (and would then hide the query): the copy parses it when asked.
	clone.ResetQuery()
	w := iriscontext.AcquireResponseWriter()
	w.BeginResponse(hijackedResponse{})
	w.WriteHeader(http.StatusSwitchingProtocols)
	w.SetWritten(iriscontext.StatusCodeWritten)
	clone.ResetResponseWriter(w)
	return clone, end
}

// hijackedResponse is the http.ResponseWriter of a detached context: the
// connection belongs to the WebSocket, so every write fails as net/http's
// own writer fails after a hijack, and nothing of net/http's is kept alive.
// Its headers are a fresh map each time: nothing will send them.
type hijackedResponse struct{}

func (hijackedResponse) Header() http.Header       { return http.Header{} }
func (hijackedResponse) Write([]byte) (int, error) { return 0, http.ErrHijacked }
func (hijackedResponse) WriteHeader(int)           {}

// IrisContext returns the iris.Context of the request that a Server turned
// into c, so a Handler can read its route parameters, URL query, session or
// values:
//
//	websocket.New(func(c *websocket.Conn) {
//		room := c.IrisContext().Params().Get("room")
//		...
//	})
//
// It is a copy of the request's context, made at the handshake (iris's
// Context.Clone), which iris never recycles: it stays valid for the life of
// c and after, on any goroutine, also when the Handler hands c to another
// goroutine and returns. Its response writer writes nothing, since the
// connection is a WebSocket. It returns nil for a connection that no Server
// made.
func (c *Conn) IrisContext() *iriscontext.Context { return c.irisContext }
