package websocket

import (
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/valyala/bytebufferpool"
)

// newMaskKey returns a fresh masking key. RFC 6455 section 5.3 asks for keys
// an attacker cannot predict; math/rand/v2's global generator is ChaCha8,
// seeded from the operating system, and costs no system call.
func newMaskKey() [maskKeySize]byte {
	k := rand.Uint32()
	return [maskKeySize]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
}

// writeErr returns the error that ended the write side, if any.
func (c *Conn) writeErr() error {
	if f := c.writeFailure.Load(); f != nil {
		return f.err
	}
	return nil
}

// failWrites makes err the answer to every later write.
func (c *Conn) failWrites(err error) {
	c.writeFailure.CompareAndSwap(nil, &writeFailure{err})
}

// writeLocked writes frame, followed by rest when it is not empty, to the
// network with the write deadline d (UnixNano, 0 for none). The caller holds
// the frame lock. An error ends the write side: a frame may be half sent.
func (c *Conn) writeLocked(d int64, frame, rest []byte) error {
	if err := c.writeErr(); err != nil {
		return err
	}
	if d != c.appliedDeadline {
		var t time.Time
		if d != 0 {
			t = time.Unix(0, d)
		}
		if err := c.conn.SetWriteDeadline(t); err != nil {
			c.failWrites(err)
			return err
		}
		c.appliedDeadline = d
	}
	var err error
	if len(rest) == 0 {
		_, err = c.conn.Write(frame)
	} else {
		// One writev system call for the header and a payload that is too
		// large to copy into the write buffer.
		c.vector = [2][]byte{frame, rest}
		c.buffers = c.vector[:]
		_, err = c.buffers.WriteTo(c.conn)
		c.vector = [2][]byte{}
	}
	if err != nil {
		c.failWrites(err)
	}
	return err
}

// WriteControl sends a close, ping or pong message (CloseMessage,
// PingMessage or PongMessage) as a single frame, by deadline. The payload is
// at most 125 bytes. Once a close message is sent, every later write returns
// ErrCloseSent.
//
// WriteControl may be called at any time, also while another goroutine writes
// a data message: the control frame goes between two of its frames. The
// deadline bounds both the wait for the connection and the write; a zero
// deadline means the one set by SetWriteDeadline.
func (c *Conn) WriteControl(messageType int, data []byte, deadline time.Time) error {
	if messageType != CloseMessage && messageType != PingMessage && messageType != PongMessage {
		return errBadMessageType
	}
	if len(data) > maxControlFramePayload {
		return errControlTooLong
	}
	return c.writeControl(byte(messageType), data, deadline)
}

func (c *Conn) writeControl(opcode byte, data []byte, deadline time.Time) error {
	if err := c.frame.lock(deadline); err != nil {
		return err
	}
	defer c.frame.unlock()

	key, masked := c.frameMaskKey()
	headerSize := frameHeaderSize(len(data), masked)
	frame := c.controlFrame[:headerSize+len(data)]
	putFrameHeader(frame[:headerSize], finalBit|opcode, len(data), masked, key)
	copyPayload(frame[headerSize:], data, masked, key)
	d := c.writeDeadline.Load()
	if !deadline.IsZero() {
		d = deadline.UnixNano()
	}
	if err := c.writeLocked(d, frame, nil); err != nil {
		return err
	}
	if opcode == closeFrame {
		// RFC 6455 section 5.5.1: nothing more may be sent after a close frame.
		c.closeSent.Store(true)
		c.failWrites(ErrCloseSent)
	}
	return nil
}

// frameMaskKey returns the masking key of a frame about to be sent and
// whether the frame is masked at all: a client masks every frame with a
// fresh key, a server masks none (RFC 6455 section 5.3).
func (c *Conn) frameMaskKey() (key [maskKeySize]byte, masked bool) {
	if c.isServer {
		return key, false
	}
	return newMaskKey(), true
}

// copyPayload copies data into payload, which must not overlap it, masked
// with key when masked. Masking while copying reads and writes each byte
// once, and leaves data, the caller's bytes, as they were.
func copyPayload(payload, data []byte, masked bool, key [maskKeySize]byte) {
	if masked {
		maskCopy(key, 0, payload, data)
		return
	}
	copy(payload, data)
}

// writeDataFrame sends the n payload bytes that follow the header room of buf
// as one frame whose first header byte is first. A client masks them in
// place.
func (c *Conn) writeDataFrame(buf []byte, n int, first byte) error {
	key, masked := c.frameMaskKey()
	if masked {
		maskBytes(key, 0, buf[maxFrameHeaderSize:maxFrameHeaderSize+n])
	}
	return c.sendDataFrame(buf, n, first, masked, key)
}

// copyDataFrame sends data as one frame whose first header byte is first,
// copied into buf behind its header room, where it fits. A client masks it
// as it copies.
func (c *Conn) copyDataFrame(buf, data []byte, first byte) error {
	key, masked := c.frameMaskKey()
	copyPayload(buf[maxFrameHeaderSize:], data, masked, key)
	return c.sendDataFrame(buf, len(data), first, masked, key)
}

// sendDataFrame puts the frame header in front of the n payload bytes that
// follow the header room of buf, already masked with key when masked, and
// sends the frame.
func (c *Conn) sendDataFrame(buf []byte, n int, first byte, masked bool, key [maskKeySize]byte) error {
	start := maxFrameHeaderSize - frameHeaderSize(n, masked)
	putFrameHeader(buf[start:maxFrameHeaderSize], first, n, masked, key)

	c.frame.lock(time.Time{})
	defer c.frame.unlock()
	return c.writeLocked(c.writeDeadline.Load(), buf[start:maxFrameHeaderSize+n], nil)
}

// WriteMessage sends data as one complete message of type messageType. A
// close, ping or pong message goes out as WriteControl sends it, with the
// deadline of SetWriteDeadline.
//
// Unlike gorilla/websocket, WriteMessage may be called from several goroutines
// at once: each message goes out whole, never interleaved with another, and a
// message is one frame written with one system call when it fits the write
// buffer.
func (c *Conn) WriteMessage(messageType int, data []byte) error {
	switch messageType {
	case TextMessage, BinaryMessage:
	case CloseMessage, PingMessage, PongMessage:
		return c.WriteControl(messageType, data, time.Time{})
	default:
		return errBadMessageType
	}
	c.messageMu.Lock()
	defer c.messageMu.Unlock()
	if c.shouldCompress(len(data)) {
		return c.writeCompressedLocked(byte(messageType), data)
	}
	return c.writeMessageLocked(finalBit|byte(messageType), data)
}

// compressing reports whether messages are to be compressed.
func (c *Conn) compressing() bool {
	return c.compression != nil && c.compressWrites.Load()
}

// shouldCompress reports whether a message of size bytes goes compressed.
func (c *Conn) shouldCompress(size int) bool {
	return c.compressing() && size >= c.compression.threshold
}

// writeCompressedLocked deflates data and sends it as one frame with RSV1
// (RFC 7692 section 6). The caller holds messageMu.
func (c *Conn) writeCompressedLocked(opcode byte, data []byte) error {
	if err := c.writeErr(); err != nil {
		return err
	}
	compressed := bytebufferpool.Get()
	defer bytebufferpool.Put(compressed)
	if err := c.compressMessage(compressed, data); err != nil {
		return err
	}
	return c.writeMessageLocked(finalBit|rsv1Bit|opcode, compressed.B)
}

// writeMessageLocked sends data as one frame whose first header byte is
// first. The caller holds messageMu.
func (c *Conn) writeMessageLocked(first byte, data []byte) error {
	if err := c.writeErr(); err != nil {
		return err
	}
	if len(data) > c.writeBufferSize {
		return c.writeLargeMessageLocked(first, data)
	}
	buf := c.acquireWriteBuffer()
	defer c.releaseWriteBuffer(buf)
	return c.copyDataFrame(buf.data, data, first)
}

// writeLargeMessageLocked sends data, larger than the write buffer, as one
// frame whose first header byte is first. The caller holds messageMu.
func (c *Conn) writeLargeMessageLocked(first byte, data []byte) error {
	switch {
	case c.isServer:
		// The payload goes out as it is, behind the header, in one writev;
		// the header is built in the frame lock's own buffer.
		c.frame.lock(time.Time{})
		defer c.frame.unlock()
		header := c.controlFrame[:frameHeaderSize(len(data), false)]
		putFrameHeader(header, first, len(data), false, [maskKeySize]byte{})
		return c.writeLocked(c.writeDeadline.Load(), header, data)
	case c.writeBufferSize < largeChunkSize:
		// Fewer, larger writes for a large message: a shared chunk is
		// held only while this message is written.
		chunk := largeChunks.Get().(*[maxFrameHeaderSize + largeChunkSize]byte)
		defer largeChunks.Put(chunk)
		return c.writeLargeMaskedFrame(chunk[:], first, data)
	default:
		buf := c.acquireWriteBuffer()
		defer c.releaseWriteBuffer(buf)
		return c.writeLargeMaskedFrame(buf.data, first, data)
	}
}

// largeChunkSize is the payload a client masks and writes at a time for a
// message larger than its write buffer: one write up to 64 KiB, 16 for 1 MiB.
const largeChunkSize = 64 << 10

var largeChunks = sync.Pool{New: func() any { return new([maxFrameHeaderSize + largeChunkSize]byte) }}

// writeLargeMaskedFrame sends data, larger than buf, as one masked frame:
// the payload is masked into buf a buffer at a time, since the caller's bytes
// must not change. buf has room for a frame header before the payload.
func (c *Conn) writeLargeMaskedFrame(buf []byte, first byte, data []byte) error {
	key := newMaskKey()
	start := maxFrameHeaderSize - frameHeaderSize(len(data), true)
	putFrameHeader(buf[start:maxFrameHeaderSize], first, len(data), true, key)

	c.frame.lock(time.Time{})
	defer c.frame.unlock()
	d := c.writeDeadline.Load()
	pos := 0
	for len(data) > 0 {
		n := min(len(data), len(buf)-maxFrameHeaderSize)
		pos = maskCopy(key, pos, buf[maxFrameHeaderSize:], data[:n])
		data = data[n:]
		if err := c.writeLocked(d, buf[start:maxFrameHeaderSize+n], nil); err != nil {
			return err
		}
		start = maxFrameHeaderSize // the header went with the first chunk
	}
	return nil
}

// NextWriter starts a message of type messageType and returns the writer of
// its payload. The message is complete once the writer is closed: a text or
// binary message leaves a frame each time the write buffer fills, and the
// last frame on Close; a close, ping or pong message, at most 125 bytes,
// leaves whole on Close.
//
// A writer from an earlier call that is still open is closed first. While a
// writer is open, WriteMessage, WriteJSON and WritePreparedMessage called
// from other goroutines wait for its Close.
func (c *Conn) NextWriter(messageType int) (io.WriteCloser, error) {
	switch messageType {
	case TextMessage, BinaryMessage, CloseMessage, PingMessage, PongMessage:
	default:
		return nil, errBadMessageType
	}
	if w := c.openWriter.Load(); w != nil {
		w.Close()
	}
	if err := c.writeErr(); err != nil {
		return nil, err
	}
	c.messageMu.Lock()
	// A writer of its own per message, so that a stale one can only fail.
	w := &messageWriter{c: c, opcode: byte(messageType), control: isControlOpcode(byte(messageType)), buf: c.acquireWriteBuffer()}
	w.raw.w = w
	if !w.control && c.compressing() {
		// The size is not known in advance, so the threshold does not apply.
		w.rsv = rsv1Bit
		w.deflater = c.acquireDeflater()
		w.deflater.dst = &w.raw
	}
	c.openWriter.Store(w)
	return w, nil
}

// messageWriter is the writer NextWriter returns. It fills the write buffer
// and sends a frame each time the buffer is full; Close sends the last frame.
// A compressed message goes through the deflater first.
type messageWriter struct {
	c        *Conn
	opcode   byte // of the next frame: the message type, then continuation
	rsv      byte // RSV1 on the first frame of a compressed message
	control  bool // a control message, sent whole on Close
	buf      *writeBuffer
	n        int // payload bytes in buf
	err      error
	deflater *deflater // nil when the message goes uncompressed
	raw      rawWriter // the deflater's output, into buf
}

// rawWriter writes payload bytes, compressed or not, into the frames of a messageWriter.
type rawWriter struct{ w *messageWriter }

func (r *rawWriter) Write(p []byte) (int, error) { return r.w.writeRaw(p) }

// Write implements io.Writer.
func (w *messageWriter) Write(p []byte) (int, error) {
	if w.buf == nil {
		return 0, errWriteClosed
	}
	if w.deflater == nil {
		return w.writeRaw(p)
	}
	if w.err == nil {
		w.err = w.deflater.write(p)
	}
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// WriteString writes s without converting it to a byte slice first.
func (w *messageWriter) WriteString(s string) (int, error) {
	if w.buf == nil {
		return 0, errWriteClosed
	}
	if w.deflater != nil {
		return w.Write([]byte(s))
	}
	return writePayload(w, s)
}

// writeRaw copies payload bytes into the buffer, sending a frame when it fills.
func (w *messageWriter) writeRaw(p []byte) (int, error) { return writePayload(w, p) }

// writePayload copies p, bytes or a string, into the buffer of w, sending a
// frame each time the buffer fills.
func writePayload[T []byte | string](w *messageWriter, p T) (int, error) {
	written := 0
	for len(p) > 0 {
		if w.err != nil {
			return written, w.err
		}
		if w.n == w.c.writeBufferSize {
			w.flush(false)
			continue
		}
		n := copy(w.buf.data[maxFrameHeaderSize+w.n:], p)
		w.n += n
		written += n
		p = p[n:]
	}
	return written, w.err
}

// flush sends the buffered payload as a frame.
func (w *messageWriter) flush(final bool) {
	if w.control {
		// A control message cannot be fragmented (RFC 6455 section 5.5).
		if !final || w.n > maxControlFramePayload {
			w.err = errControlTooLong
			return
		}
		w.err = w.c.writeControl(w.opcode, w.buf.data[maxFrameHeaderSize:maxFrameHeaderSize+w.n], time.Time{})
		return
	}
	first := w.opcode | w.rsv
	if final {
		first |= finalBit
	}
	w.err = w.c.writeDataFrame(w.buf.data, w.n, first)
	w.opcode, w.rsv = continuationFrame, 0
	w.n = 0
}

// Close sends what is left of the message and releases the writer.
func (w *messageWriter) Close() error {
	if w.buf == nil {
		return errWriteClosed
	}
	c := w.c
	if w.deflater != nil {
		if w.err == nil {
			w.err = w.deflater.endMessage()
		}
		c.releaseDeflater(w.deflater, w.err)
		w.deflater = nil
	}
	if w.err == nil {
		w.flush(true)
	}
	c.releaseWriteBuffer(w.buf)
	w.buf = nil
	c.openWriter.CompareAndSwap(w, nil)
	c.messageMu.Unlock()
	return w.err
}

// EnableWriteCompression turns compression of the text and binary messages
// sent after the call on or off. It is on by default. Without
// permessage-deflate agreed in the handshake, the call changes nothing.
func (c *Conn) EnableWriteCompression(enable bool) {
	c.compressWrites.Store(enable)
}

// SetCompressionLevel sets the deflate level for the text and binary messages
// sent after the call: the levels of compress/flate, from flate.HuffmanOnly
// (-2) to flate.BestCompression (9), with the same trade of speed for size.
// It returns an error for any other level. Without permessage-deflate agreed
// in the handshake, the level is never used.
func (c *Conn) SetCompressionLevel(level int) error {
	if !validCompressionLevel(level) {
		return errInvalidCompressLevel
	}
	c.compressionLevel.Store(int32(level))
	return nil
}
