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

// The message types are defined in RFC 6455, section 11.8.
const (
	// TextMessage denotes a text data message. The text message payload is
	// interpreted as UTF-8 encoded text data.
	TextMessage = 1

	// BinaryMessage denotes a binary data message.
	BinaryMessage = 2

	// CloseMessage denotes a close control message. The optional message
	// payload contains a numeric code and text. Use the FormatCloseMessage
	// function to format a close message payload.
	CloseMessage = 8

	// PingMessage denotes a ping control message. The optional message payload
	// is UTF-8 encoded text.
	PingMessage = 9

	// PongMessage denotes a pong control message. The optional message payload
	// is UTF-8 encoded text.
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

// Conn represents a WebSocket connection, on either side. Servers get one from
// Upgrader.Upgrade or Server.Upgrade, clients from Dialer.Dial.
//
// One goroutine at a time may call the read methods. The write methods
// WriteMessage, WriteJSON and WritePreparedMessage may be called from several
// goroutines at once; Close and WriteControl may be called at any time.
// The package documentation explains the rules.
type Conn struct {
	conn        net.Conn
	isServer    bool
	subprotocol string

	// Writing. messageMu is held for the whole of a data message; frameMu is
	// held while the bytes of one frame go to the network, so control frames
	// may come between the frames of a fragmented message but never inside a
	// frame.
	messageMu        sync.Mutex
	frameMu          sync.Mutex
	writePool        BufferPool
	writeBufferSize  int                          // payload bytes a write buffer holds
	writeDeadline    atomic.Int64                 // UnixNano of SetWriteDeadline, 0 for none
	writeFailure     atomic.Pointer[writeFailure] // the sticky error of the write side
	closeSent        atomic.Bool
	compressWrites   atomic.Bool
	compressionLevel atomic.Int32
	openWriter       atomic.Pointer[messageWriter]
	// Guarded by frameMu; controlFrame also holds the header of a large
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

	// irisContext is the request's context when Server.Upgrade made the conn.
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

// Subprotocol returns the negotiated protocol for the connection.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// NetConn returns the underlying connection that is wrapped by c. Note that
// writing to or reading from this connection directly will corrupt the
// WebSocket connection.
func (c *Conn) NetConn() net.Conn { return c.conn }

// UnderlyingConn returns the internal net.Conn. This can be used to further
// modifications to connection specific flags.
//
// Deprecated: Use the NetConn method.
func (c *Conn) UnderlyingConn() net.Conn { return c.conn }

// Close closes the underlying network connection without sending or waiting
// for a close message.
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

// SetReadDeadline sets the read deadline on the underlying network connection.
// After a read has timed out, the websocket connection state is corrupt and
// all future reads will return an error. A zero value for t means reads will
// not time out.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline on the underlying network
// connection. After a write has timed out, the websocket state is corrupt and
// all future writes will return an error. A zero value for t means writes will
// not time out.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	var d int64
	if !t.IsZero() {
		d = t.UnixNano()
	}
	c.writeDeadline.Store(d)
	return nil
}

// SetReadLimit sets the maximum size in bytes for a message read from the
// peer. If a message exceeds the limit, the connection sends a close message
// to the peer and returns ErrReadLimit to the application.
func (c *Conn) SetReadLimit(limit int64) { c.readLimit = limit }

// CloseHandler returns the current close handler
func (c *Conn) CloseHandler() func(code int, text string) error { return c.closeHandler }

// SetCloseHandler sets the handler for close messages received from the peer.
// The code argument to h is the received close code or CloseNoStatusReceived
// if the close message is empty. The default close handler sends a close
// message back to the peer.
//
// The handler function is called from the NextReader, ReadMessage and message
// reader Read methods. The application must read the connection to process
// close messages as described in the section on Control Messages of the
// package documentation.
//
// The connection read methods return a CloseError when a close message is
// received. Most applications should handle close messages as part of their
// normal error handling. Applications should only set a close handler when the
// application must perform some action before sending a close message back to
// the peer.
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

// PingHandler returns the current ping handler
func (c *Conn) PingHandler() func(appData string) error { return c.pingHandler }

// SetPingHandler sets the handler for ping messages received from the peer.
// The appData argument to h is the PING message application data. The default
// ping handler sends a pong to the peer.
//
// The handler function is called from the NextReader, ReadMessage and message
// reader Read methods. The application must read the connection to process
// ping messages as described in the section on Control Messages of the
// package documentation.
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

// PongHandler returns the current pong handler
func (c *Conn) PongHandler() func(appData string) error { return c.pongHandler }

// SetPongHandler sets the handler for pong messages received from the peer.
// The appData argument to h is the PONG message application data. The default
// pong handler does nothing.
//
// The handler function is called from the NextReader, ReadMessage and message
// reader Read methods. The application must read the connection to process
// pong messages as described in the section on Control Messages of the
// package documentation.
func (c *Conn) SetPongHandler(h func(appData string) error) {
	if h == nil {
		h = ignorePong
	}
	c.pongHandler = h
}

func ignorePong(string) error { return nil }
