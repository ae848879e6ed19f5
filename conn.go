package websocket

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	iriscontext "github.com/kataras/iris/v12/context"
)

// Message types: the opcodes of RFC 6455 section 11.8, used as the
// messageType of the read and write methods.
const (
	// TextMessage is a data message that carries UTF-8 text. A received one is
	// checked as it arrives; the sender must keep what it sends valid.
	TextMessage = 1

	// BinaryMessage is a data message that carries bytes the application
	// gives a meaning to.
	BinaryMessage = 2

	// CloseMessage is the control message that starts or answers the close
	// handshake. Its payload is empty or a status code and a reason; build
	// it with FormatCloseMessage.
	CloseMessage = 8

	// PingMessage is the control message that asks the peer for a pong. Its
	// payload, 125 bytes at most, is application data; the peer echoes it.
	PingMessage = 9

	// PongMessage is the control message that answers a ping, or that a side
	// sends unasked as a heartbeat. Its payload, 125 bytes at most, is
	// application data.
	PongMessage = 10
)

const (
	// defaultBufferSize is the read and write buffer size when none is given.
	defaultBufferSize = 4096
	// controlWriteWait bounds the writes the connection makes on its own: the
	// pong of the default ping handler, the echo of a close frame and the close
	// frame that fails a connection.
	controlWriteWait = time.Second
	// closeWaitTimeout bounds how long a client's Close waits for the server to
	// close the TCP connection after the close handshake (RFC 6455 section 7.1.1).
	closeWaitTimeout = time.Second
)

// Conn is one end of a WebSocket connection, client or server. Servers get one
// from Upgrader.Upgrade or Server.Upgrade, clients from Dialer.Dial.
//
// One goroutine at a time may call the read methods. The write methods
// WriteMessage, WriteJSON and WritePreparedMessage may be called from several
// goroutines at once; Close and WriteControl may be called at any time.
// The package documentation explains the rules.
type Conn struct {
	conn        net.Conn
	isServer    bool
	subprotocol string

	// Writing. messageMu is held for the whole of a data message; frame is
	// held while the bytes of one frame go to the network, so control frames
	// may come between the frames of a fragmented message but never inside a
	// frame.
	messageMu        sync.Mutex
	frame            frameLock
	writePool        BufferPool
	writeBufferSize  int                          // payload bytes a write buffer holds
	writeDeadline    atomic.Int64                 // UnixNano of SetWriteDeadline, 0 for none
	writeFailure     atomic.Pointer[writeFailure] // the sticky error of the write side
	closeSent        atomic.Bool
	compressWrites   atomic.Bool
	compressionLevel atomic.Int32
	openWriter       atomic.Pointer[messageWriter]
	// Guarded by frame; controlFrame also holds the header of a large
	// server frame.
	appliedDeadline int64 // the write deadline last set on conn
	controlFrame    [maxFrameHeaderSize + maxControlFramePayload]byte
	vector          [2][]byte
	buffers         net.Buffers

	// Reading: one goroutine at a time.
	input           readBuffer
	readErr         error
	readMessageType byte   // opcode of the message whose frames arrive, 0 between messages
	readText        bool   // the message being delivered is text, checked as UTF-8
	readCompressed  bool   // the message being delivered is compressed (RSV1)
	readInflating   bool   // a compressed message has output left to deliver
	readFinal       bool   // the current frame is the last of its message
	readRemaining   uint64 // payload bytes of the current frame not yet read
	readMaskKey     [maskKeySize]byte
	readMaskPos     int
	readLength      int64 // decompressed bytes of the compressed message delivered so far
	readRawLength   int64 // bytes of the message received so far, compressed or not
	readLimit       int64
	readSeq         uint64
	readers         [readerSlots]messageReader // in turn, so a stale reader is detected
	readUTF8        utf8Validator
	controlPayload  [maxControlFramePayload]byte
	closeReceived   atomic.Bool

	// permessage-deflate; compression is nil when it was not negotiated.
	compression *deflateParams
	deflater    *deflater // guarded by messageMu; the compressor kept under context takeover
	inflater    *inflater // the decompressor of the message being read, or kept under context takeover

	// irisContext is the copy of the request's context that a Server gave the conn.
	irisContext *iriscontext.Context

	pingHandler  func(appData string) error
	pongHandler  func(appData string) error
	closeHandler func(code int, text string) error
}

// writeFailure boxes the error that ended the write side of a connection.
type writeFailure struct{ err error }

// newConn wraps an established connection. pending holds bytes of the
// connection read already, past the handshake.
func newConn(conn net.Conn, isServer bool, pending []byte, readBufferSize, writeBufferSize int, writePool BufferPool) *Conn {
	if readBufferSize <= 0 {
		readBufferSize = defaultBufferSize
	}
	if writeBufferSize <= 0 {
		writeBufferSize = defaultBufferSize
	}
	if writePool == nil {
		writePool = defaultWriteBufferPool(writeBufferSize)
	}
	c := &Conn{
		conn:            conn,
		isServer:        isServer,
		writePool:       writePool,
		writeBufferSize: writeBufferSize,
	}
	c.input.init(conn, readBufferSize, pending)
	for i := range c.readers {
		c.readers[i].c = c
	}
	c.compressWrites.Store(true)
	c.compressionLevel.Store(defaultCompressionLevel)
	c.SetPingHandler(nil)
	c.SetPongHandler(nil)
	c.SetCloseHandler(nil)
	return c
}

// Subprotocol returns the subprotocol both sides agreed on in the handshake
// (the Sec-WebSocket-Protocol header), or "" when they agreed on none.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// LocalAddr returns the address of this side of the connection.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the address of the peer.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// NetConn returns the net.Conn that c runs on, for settings of the socket.
// Bytes read from it or written to it bypass the framing of c and break the
// WebSocket stream.
func (c *Conn) NetConn() net.Conn { return c.conn }

// UnderlyingConn returns the same net.Conn as NetConn. It is kept for
// programs written against older gorilla/websocket releases.
//
// Deprecated: NetConn returns the same value under the current name.
func (c *Conn) UnderlyingConn() net.Conn { return c.conn }

// Close shuts the network connection at once. It takes no part in the close
// handshake: it sends no close frame and waits for none. To end a connection
// cleanly, send a CloseMessage with WriteControl first.
//
// One exception, from RFC 6455 section 7.1.1: on a client whose close
// handshake is complete (a close frame was both sent and received), Close
// first waits, at most one second, for the server to close the TCP connection,
// so that the server, not the client, holds the TIME_WAIT state.
func (c *Conn) Close() error {
	c.releaseOwnDeflater()
	if !c.isServer && c.closeSent.Load() && c.closeReceived.Load() {
		if c.conn.SetReadDeadline(time.Now().Add(closeWaitTimeout)) == nil {
			// Reading the socket directly, not c.input, keeps Close safe to call
			// while another goroutine reads; the bytes left are of no use.
			_, _ = io.Copy(io.Discard, c.conn)
		}
	}
	return c.conn.Close()
}

// SetReadDeadline sets the time by which reads from the network must be done.
// The zero time removes the limit. A read that times out leaves a frame cut in
// two, so the read side is failed: every later read returns the same error.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the time by which writes to the network must be done;
// it applies from the next frame written and always returns nil. The zero time
// removes the limit. A write that times out may leave a frame half sent, so
// the write side is failed: every later write returns the same error.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	var d int64
	if !t.IsZero() {
		d = t.UnixNano()
	}
	c.writeDeadline.Store(d)
	return nil
}

// SetReadLimit caps the size in bytes of the messages the peer may send; zero
// or less, the default, means no cap. A compressed message counts by its size
// once decompressed. A longer message fails the connection: the peer gets a
// close frame with CloseMessageTooBig and the read returns ErrReadLimit.
func (c *Conn) SetReadLimit(limit int64) { c.readLimit = limit }

// CloseHandler returns the function that SetCloseHandler installed, or the
// default one.
func (c *Conn) CloseHandler() func(code int, text string) error { return c.closeHandler }

// SetCloseHandler installs h to run when the peer's close frame arrives; nil
// restores the default, which answers with a close frame of the same code.
// h gets the peer's status code, CloseNoStatusReceived when the frame had
// none, and its reason.
//
// h runs inside the read methods (NextReader, ReadMessage, AppendMessage,
// ReadJSON and the Read of a message reader), so a close frame is only seen
// by an application that keeps reading; see Control messages in the package
// documentation.
//
// After h returns, the read returns a *CloseError with the peer's code, or
// the error of h when it is not nil. That error ends a read loop like any
// other, so most programs keep the default. A custom h suits work that has to
// happen before the reply; it then sends the reply itself, since the
// default no longer runs.
func (c *Conn) SetCloseHandler(h func(code int, text string) error) {
	if h == nil {
		h = c.echoClose
	}
	c.closeHandler = h
}

// echoClose is the default close handler: it answers with the received code
// (RFC 6455 section 5.5.1). The answer is best effort: when this side sent a
// close first, or its write side failed, the read still reports the peer's
// close, as a *CloseError.
func (c *Conn) echoClose(code int, _ string) error {
	_ = c.WriteControl(CloseMessage, FormatCloseMessage(code, ""), time.Now().Add(controlWriteWait))
	return nil
}

// PingHandler returns the function that SetPingHandler installed, or the
// default one.
func (c *Conn) PingHandler() func(appData string) error { return c.pingHandler }

// SetPingHandler installs h to run for each ping from the peer; nil restores
// the default, which answers with a pong that echoes the payload. h gets the
// payload of the ping. An error from h fails the read side and is returned by
// the read.
//
// h runs inside the read methods (NextReader, ReadMessage, AppendMessage,
// ReadJSON and the Read of a message reader), so pings are only answered
// while the application reads; see Control messages in the package
// documentation.
func (c *Conn) SetPingHandler(h func(appData string) error) {
	if h == nil {
		h = c.answerPing
	}
	c.pingHandler = h
}

// answerPing is the default ping handler (RFC 6455 section 5.5.2).
func (c *Conn) answerPing(appData string) error {
	err := c.WriteControl(PongMessage, []byte(appData), time.Now().Add(controlWriteWait))
	var netErr net.Error
	if err == ErrCloseSent || errors.As(err, &netErr) {
		// After a close frame no pong is due; a pong the network refuses is
		// not worth failing the read side for: the read will see the failure.
		return nil
	}
	return err
}

// PongHandler returns the function that SetPongHandler installed, or the
// default one.
func (c *Conn) PongHandler() func(appData string) error { return c.pongHandler }

// SetPongHandler installs h to run for each pong from the peer; nil restores
// the default, which ignores pongs. h gets the payload of the pong. An error
// from h fails the read side and is returned by the read. A program that
// sends pings to check the peer is alive sets one, for example to move the
// read deadline on.
//
// h runs inside the read methods (NextReader, ReadMessage, AppendMessage,
// ReadJSON and the Read of a message reader), so pongs are only seen while
// the application reads; see Control messages in the package documentation.
func (c *Conn) SetPongHandler(h func(appData string) error) {
	if h == nil {
		h = ignorePong
	}
	c.pongHandler = h
}

func ignorePong(string) error { return nil }
