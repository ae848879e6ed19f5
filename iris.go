package websocket

import (
	"net/http"

	iriscontext "github.com/kataras/iris/v12/context"
)

// Handler serves one WebSocket connection. Server.Upgrade runs it on the new
// connection and closes the connection when it returns.
type Handler func(*Conn)

// Server upgrades iris requests to WebSocket connections and runs its Handler
// on each. The embedded Upgrader holds every handshake option: buffer sizes,
// subprotocols, CheckOrigin, EnableCompression, HandshakeTimeout.
//
//	app.Get("/ws", websocket.New(func(c *websocket.Conn) { ... }).Serve)
type Server struct {
	Upgrader
	// Handler runs once per connection, on the goroutine that serves the request.
	Handler Handler
}

// New returns a Server that runs h on each connection, with the default
// options: buffers of 4096 bytes and the same-origin check of Upgrader.
func New(h Handler) *Server {
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

// Upgrade performs the handshake on the request of ctx (an iris.Context),
// then runs the Handler on the new connection and closes the connection when
// the Handler returns. It returns when the connection is done, so the iris
// context stays valid for the whole life of the Handler.
//
// A failed handshake writes the HTTP error response and returns the error.
func (s *Server) Upgrade(ctx *iriscontext.Context) error {
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
	conn, err := s.Upgrader.Upgrade(w, ctx.Request(), nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.irisContext = ctx
	if s.Handler != nil {
		s.Handler(conn)
	}
	return nil
}

// Serve is Upgrade as an iris.Handler: app.Get("/ws", srv.Serve). A failed
// handshake is answered with its HTTP error and logged at debug level.
func (s *Server) Serve(ctx *iriscontext.Context) {
	if err := s.Upgrade(ctx); err != nil {
		ctx.Application().Logger().Debugf("%v", err)
	}
}

// IrisContext returns the iris.Context of the request that Server.Upgrade
// turned into c, so a Handler can read its route parameters, URL query,
// session or values:
//
//	websocket.New(func(c *websocket.Conn) {
//		room := c.IrisContext().Params().Get("room")
//		...
//	})
//
// It is valid while the Handler runs; iris recycles the context after. It
// returns nil for a connection that Server.Upgrade did not make.
func (c *Conn) IrisContext() *iriscontext.Context { return c.irisContext }
