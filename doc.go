// Package websocket is a WebSocket (RFC 6455) client and server for Go. It
// is a drop-in replacement for github.com/gorilla/websocket (v1.5.3), with a
// native layer for the iris web framework.
//
// A program written against gorilla/websocket compiles and behaves the same
// with only its import path changed. Where this package goes further (writes
// from several goroutines, strict validation of what the peer sends) a correct
// gorilla program does not notice, except where this page says so.
//
// # Overview
//
// Each open WebSocket is a *Conn. With iris, a Server runs a Handler on every
// connection:
//
//	app := iris.New()
//	app.Get("/ws", websocket.New(func(c *websocket.Conn) {
//		for {
//			messageType, p, err := c.ReadMessage()
//			if err != nil {
//				return
//			}
//			if err := c.WriteMessage(messageType, p); err != nil {
//				return
//			}
//		}
//	}).Serve)
//
// With net/http, an Upgrader turns a request into a *Conn:
//
//	var upgrader = websocket.Upgrader{}
//
//	func serveWS(w http.ResponseWriter, req *http.Request) {
//		ws, err := upgrader.Upgrade(w, req, nil)
//		if err != nil {
//			return // Upgrade has already answered with an HTTP error
//		}
//		defer ws.Close()
//		// ... use ws
//	}
//
// A client connects with a Dialer: websocket.DefaultDialer.Dial("ws://host/ws", nil).
//
// Messages are sent and received whole with WriteMessage and ReadMessage, or
// streamed with NextWriter (an io.WriteCloser whose Close ends the message)
// and NextReader (an io.Reader that returns io.EOF at the end of the message).
// WriteJSON and ReadJSON carry JSON values. ReadMessage returns a new slice
// for every message; AppendMessage(buf[:0]) reads into a buffer the caller
// reuses, which a busy read loop allocates once.
//
// # The iris layer
//
// New(handler) returns a *Server with the default options; Custom(handler,
// readBufferSize, writeBufferSize) sets the buffer sizes. Server embeds
// Upgrader, so every handshake option (Subprotocols, CheckOrigin,
// EnableCompression, HandshakeTimeout, WriteBufferPool) is a field of the
// Server. DontCheckOrigin accepts cross-origin requests.
//
// Build one Server per endpoint, at start-up, and route it with its Serve
// method, an iris.Handler: app.Get("/ws", srv.Serve). Serve answers the
// handshake, starts the Handler on a goroutine of its own and returns, so
// that iris and net/http free what they hold for the request (an idle
// connection costs about 6 KB instead of 17 KB). The Handler reads the
// request through Conn.IrisContext, a copy of the iris.Context that iris
// never recycles: route parameters, the URL query, the session and values
// set by middleware, and the request, whose context lasts until the Handler
// returns:
//
//	app.Get("/rooms/{room}", websocket.New(func(c *websocket.Conn) {
//		room := c.IrisContext().Params().Get("room")
//		// ...
//	}).Serve)
//
// Server.Upgrade(ctx) does the handshake too, but runs the Handler before
// it returns, and returns the handshake error: for a route that does more
// around the connection, or a Handler built inside the route that uses the
// route's ctx.
//
// A Server is an iris citizen. The 101 response carries the headers
// middleware set on the iris response (cookies of a new session, CORS, a
// request id), without those that describe a body, so iris's compression
// middleware and response recorder stay out of its way. Serve hands the
// chain on to the done handlers, and the access log records status 101. A
// panic in a Handler closes its connection with 1011 (internal error) and
// is logged by the app's logger with its stack; iris's recover middleware,
// which would answer 500 on a connection that is no longer HTTP, never sees
// it. The app's Shutdown, and iris's interrupt handling (Ctrl-C), close
// every connection with 1001 (going away) and wait for the Handlers; a
// Server's own Shutdown does it for one Server, with a context of yours.
//
// # Concurrency
//
// A connection supports one reader at a time: one goroutine may call
// NextReader, ReadMessage, AppendMessage, ReadJSON, SetReadDeadline,
// SetReadLimit and the Set*Handler methods, and read from the reader
// NextReader returned.
//
// Writing goes further than gorilla/websocket, whose connections panic with
// "concurrent write to websocket connection" when two goroutines write at
// once. Here WriteMessage, WriteJSON and WritePreparedMessage may be called
// from any number of goroutines at once: each message goes out whole, never
// interleaved with another. A writer from NextWriter holds the connection
// until its Close: WriteMessage calls from other goroutines wait for it. One
// difference follows for a program that calls WriteMessage on the same
// goroutine while its own NextWriter is still open: gorilla would close the
// open writer, here the call waits for it, forever. Close the writer first, as
// a correct program does. NextWriter itself keeps gorilla's rule and closes a
// writer the application left open; it is for one goroutine at a time.
//
// Close and WriteControl may be called at any time, from any goroutine. A
// control frame (ping, pong, close) may go between the frames of a message
// that another goroutine is sending, as RFC 6455 section 5.4 allows.
//
// # Control messages
//
// Received control messages are handled inside the read methods: a ping calls
// the ping handler (by default it answers with a pong), a pong calls the pong
// handler (by default nothing), and a close message calls the close handler
// (by default it echoes the close code) and ends the read with a *CloseError.
// The application must therefore keep reading, even when it has no use for
// the messages, or it will not see pings and the close handshake:
//
//	go func() {
//		defer c.Close()
//		var err error
//		for err == nil {
//			_, _, err = c.NextReader() // each call skips the previous message
//		}
//	}()
//
// A client whose close handshake is complete waits in Close, at most a second,
// for the server to close the TCP connection (RFC 6455 section 7.1.1).
//
// # Validation of what the peer sends
//
// Every frame is checked as it arrives (RFC 6455 sections 5 and 7): masking
// by role, reserved bits and opcodes, control frame size and fragmentation,
// continuation order, minimal length encoding, close codes and reasons. Text
// messages are checked for valid UTF-8 as their frames arrive, so a bad byte
// fails the connection on the frame that carries it, even when the
// application has not read the message yet. A violation sends a close frame
// with the code the RFC names (1002 protocol error, 1007 invalid data, 1009
// message too big) and the read returns a *ProtocolError naming the rule (or
// ErrReadLimit for a message over SetReadLimit). The connection is then failed:
// close it.
//
// # Buffers
//
// A connection reads through a buffer of ReadBufferSize bytes (4096 by
// default) and builds frames in a write buffer of WriteBufferSize bytes. A
// message that fits the write buffer leaves as one frame in one system call.
// A larger message from WriteMessage leaves as one frame too. A server writes
// the header and the payload with one writev call. A client must mask the
// payload without changing the caller's bytes, so it masks a copy, one chunk
// at a time: chunks of 64 KiB from a pool the package shares when the write
// buffer is smaller than that, the write buffer itself otherwise. A
// NextWriter message is sent as a frame each time the buffer fills.
//
// A connection holds its write buffer only while it writes a message: buffers
// come from WriteBufferPool when it is set and otherwise from a pool of the
// package, so an idle connection holds none (gorilla keeps one per connection
// unless a pool is set). Its read buffer comes from a pool of the package
// too, while bytes arrive faster than they are read; a connection that waits
// for the peer holds only 256 bytes of its own, enough for control frames and
// short messages. The buffer sizes do not limit message sizes; use
// SetReadLimit for that.
//
// The net/http server keeps its own buffers and the request for as long as
// the handler runs. A server with many idle connections saves most of that by
// returning from the handler after the upgrade and reading on a goroutine of
// its own (go readLoop(conn)); a handler that reads until the connection ends,
// like Server's, is simpler and keeps the request, and with it the
// iris.Context, valid.
//
// # Checking the origin
//
// Browsers let any page open a WebSocket to any host, with the user's cookies.
// The Upgrader and the Server check the Origin header: by default a request
// whose Origin host differs from its Host is refused with 403. Set
// CheckOrigin, or call DontCheckOrigin on a Server, to decide otherwise.
//
// # Compression
//
// Setting EnableCompression on an Upgrader, a Server or a Dialer negotiates
// permessage-deflate (RFC 7692). Received compressed messages are
// decompressed by the read methods; WriteMessage, WriteJSON and
// WritePreparedMessage compress messages of 128 bytes or more, NextWriter
// every message. EnableWriteCompression turns compression of written
// messages off and on, SetCompressionLevel sets the level, -2 to 9 as in
// compress/flate (1 by default, 2 when the connection keeps its window: the
// window then holds many earlier messages, and trying a few candidates among
// them finds longer matches). The compressor and the decompressor are this
// package's own; the decompressor accepts and rejects what compress/flate
// does.
//
// Unlike gorilla/websocket, every parameter of the RFC is supported, on both
// sides, through the Compression field (a *CompressionOptions):
//
//	upgrader := websocket.Upgrader{
//		EnableCompression: true,
//		Compression: &websocket.CompressionOptions{
//			ClientContextTakeover: true, // the client may keep its window
//			ServerMaxWindowBits:   12,   // the server compresses in 4 KiB windows
//			Threshold:             256,  // smaller messages go uncompressed
//		},
//	}
//
// The defaults suit a server with many connections: each message is
// compressed on its own (no context takeover), so compressors and
// decompressors come from pools and an idle connection holds none. Context
// takeover compresses a stream of small similar messages much better, at a
// price per connection: about 210 KiB for the compressor that keeps the
// server's window (its hash tables and the window itself), about 65 KiB for
// the decompressor and window that follow the client's. A window smaller than
// 32 KiB bounds how far back the compressor's matches reach; it saves the
// peer's memory more than ours. The README lists the measured figures.
//
// The read limit of SetReadLimit counts decompressed bytes, so a small
// compressed message cannot inflate past it; it fails with 1009 before the
// inflated bytes are kept anywhere.
package websocket
