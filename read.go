package websocket

import (
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// maxReadPrealloc caps the room AppendMessage makes up front from a frame's
// announced length, so a peer cannot make it allocate what it never sends.
const maxReadPrealloc = 64 << 10

// readerSlots is how many messageReaders a connection hands out in turn: a
// reader from up to readerSlots-1 messages back is known to be stale.
const readerSlots = 16

// messageReader is the reader NextReader returns.
type messageReader struct {
	c   *Conn
	seq uint64 // the NextReader call it belongs to
}

// NextReader waits for the peer's next text or binary message and returns
// its type, TextMessage or BinaryMessage, and a reader of its payload.
// Control frames that arrive meanwhile go to the ping, pong and close
// handlers.
//
// Only the latest reader reads. A new call drops what is left of the
// previous message, still checking it, and the old reader then returns
// io.EOF.
//
// An error ends reading for good: every later call returns it again. A read
// loop stops at the first error.
func (c *Conn) NextReader() (messageType int, r io.Reader, err error) {
	c.readSeq++
	if c.readMessageType != 0 || c.readInflating {
		if err := c.discardMessage(); err != nil {
			return 0, nil, err
		}
	}
	if c.readErr == nil && c.input.buffered() == 0 {
		// Wait for the peer here, with few frames on the stack: a goroutine
		// whose stack stays within its first 2 KiB while it waits keeps
		// that size, and an idle connection costs that much less.
		if err := c.input.fill(); err != nil {
			return 0, nil, c.setReadErr(err)
		}
	}
	opcode, err := c.nextDataFrame()
	if err != nil {
		return 0, nil, err
	}
	if c.readCompressed {
		c.startInflating()
		c.readInflating = true
	}
	mr := &c.readers[c.readSeq%readerSlots]
	mr.seq = c.readSeq
	return int(opcode), mr, nil
}

// ReadMessage reads the next message whole, through NextReader, and returns
// its type and its payload in a new slice. AppendMessage reuses a buffer
// instead.
func (c *Conn) ReadMessage() (messageType int, p []byte, err error) {
	return c.AppendMessage(nil)
}

// AppendMessage reads the next data message as ReadMessage does, but appends
// its payload to dst and returns the extended slice, so that a loop that
// passes the same buffer each time (buf[:0]) reads without allocating once
// the buffer has grown to the largest message. On an error, p holds dst and
// the part of the message read before it.
func (c *Conn) AppendMessage(dst []byte) (messageType int, p []byte, err error) {
	// The reading is in a function of its own, whose locals are not on the
	// stack while NextReader waits for the peer.
	messageType, r, err := c.NextReader()
	if err != nil {
		return messageType, dst, err
	}
	p, err = c.appendPayload(dst, r)
	return messageType, p, err
}

// appendPayload appends the message that r reads to dst.
func (c *Conn) appendPayload(dst []byte, r io.Reader) (p []byte, err error) {
	// The first frame's length is a good first guess of the message size;
	// a compressed one usually inflates to a few times its size.
	guess := c.readRemaining
	if c.readCompressed {
		guess *= 4
	}
	p = slices.Grow(dst, int(min(guess, maxReadPrealloc)))
	for {
		if len(p) == cap(p) {
			p = slices.Grow(p, c.readGrowth(len(p)))
		}
		n, err := r.Read(p[len(p):cap(p)])
		p = p[:len(p)+n]
		if err == io.EOF || (err == nil && c.readMessageType == 0 && !c.readInflating) {
			// Done: the last frame is read (and, if compressed, inflated).
			return p, nil
		}
		if err != nil {
			return p, err
		}
	}
}

// minReadGrowth is the least room AppendMessage adds to a full buffer.
const minReadGrowth = 512

// readGrowth is the room AppendMessage adds to its full buffer of n bytes:
// n more, so that a peer makes it allocate at most about twice what it has
// sent, but no more than the final frame still holds when that is known.
func (c *Conn) readGrowth(n int) int {
	grow := max(n, minReadGrowth)
	if c.readFinal && !c.readCompressed && c.readRemaining > 0 {
		grow = int(min(uint64(grow), c.readRemaining))
	}
	return grow
}

// Read implements io.Reader. It returns io.EOF at the end of the message.
func (r *messageReader) Read(p []byte) (int, error) {
	c := r.c
	switch {
	case r.seq != c.readSeq:
		// The message is gone; gorilla/websocket answers io.EOF here too.
		return 0, io.EOF
	case c.readErr != nil:
		return 0, c.readErr
	case c.readInflating:
		return c.readInflated(p)
	case c.readCompressed:
		return 0, io.EOF
	}
	return c.readRawMessage(p)
}

// readRawMessage reads payload bytes of the current message as they came on
// the wire (unmasked), frame after frame, and returns io.EOF at its end.
func (c *Conn) readRawMessage(p []byte) (int, error) {
	for c.readErr == nil {
		if c.readRemaining > 0 {
			return c.readPayload(p)
		}
		if c.readMessageType == 0 {
			return 0, io.EOF
		}
		if _, err := c.nextDataFrame(); err != nil {
			return 0, err
		}
	}
	return 0, c.readErr
}

// readPayload reads bytes of the current frame into p.
func (c *Conn) readPayload(p []byte) (int, error) {
	if uint64(len(p)) > c.readRemaining {
		p = p[:c.readRemaining]
	}
	n, err := c.input.Read(p)
	p = p[:n]
	c.readRemaining -= uint64(n)
	if c.isServer {
		c.readMaskPos = maskBytes(c.readMaskKey, c.readMaskPos, p)
	}
	if c.readText && !c.readCompressed && !c.readUTF8.write(p) {
		return 0, c.fail(CloseInvalidFramePayloadData, "invalid UTF-8 in text message")
	}
	if c.readRemaining == 0 && c.readFinal {
		if err := c.endMessage(); err != nil {
			return 0, err
		}
	}
	if err != nil {
		return n, c.setReadErr(err)
	}
	return n, nil
}

// endMessage closes the message in progress after its last payload byte.
// The text of a compressed message is checked as it is decompressed.
func (c *Conn) endMessage() error {
	if c.readText && !c.readCompressed && !c.readUTF8.complete() {
		return c.fail(CloseInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
	}
	c.readMessageType = 0
	return nil
}

// discardMessage reads and drops the rest of the message in progress. Its
// bytes are still checked: RFC 6455 section 8.1 requires failing on invalid
// UTF-8 whether or not the application reads the text.
func (c *Conn) discardMessage() error {
	mr := &c.readers[c.readSeq%readerSlots]
	mr.seq = c.readSeq
	_, err := io.Copy(io.Discard, mr)
	return err
}

// nextDataFrame reads frames, handling control frames as they come, up to the
// header of the next data frame, and returns its opcode.
func (c *Conn) nextDataFrame() (byte, error) {
	for c.readErr == nil {
		h, err := c.readFrameHeader()
		if err != nil {
			return 0, c.setReadErr(err)
		}
		if err := c.checkFrameHeader(&h); err != nil {
			return 0, err
		}
		if isControlOpcode(h.opcode) {
			if err := c.handleControlFrame(&h); err != nil {
				return 0, err
			}
			continue
		}
		if h.opcode != continuationFrame {
			c.readMessageType = h.opcode
			c.readText = h.opcode == textFrame
			c.readCompressed = h.rsv&rsv1Bit != 0
			c.readLength, c.readRawLength = 0, 0
			c.readUTF8.reset()
		}
		if limit := c.rawReadLimit(); limit > 0 && h.payloadLength > uint64(limit-c.readRawLength) {
			return 0, c.failWith(ErrReadLimit, CloseMessageTooBig, "message exceeds the read limit of "+strconv.FormatInt(c.readLimit, 10)+" bytes")
		}
		c.readRawLength += int64(h.payloadLength)
		c.readFinal = h.final
		c.readRemaining = h.payloadLength
		c.readMaskKey = h.maskKey
		c.readMaskPos = 0
		if h.payloadLength == 0 && h.final {
			if err := c.endMessage(); err != nil {
				return 0, err
			}
		}
		return h.opcode, nil
	}
	return 0, c.readErr
}

// rawReadLimit is the most payload bytes a message may have on the wire. A
// compressed message is limited by its decompressed size, checked as it is
// read, and on the wire by the limit plus what deflate's framing can add to
// data that does not compress.
func (c *Conn) rawReadLimit() int64 {
	if c.readLimit <= 0 || !c.readCompressed {
		return c.readLimit
	}
	// Generous: a sender with a small window flushes every few hundred
	// bytes, about 4% more for data that does not compress.
	return c.readLimit + c.readLimit>>3 + 1024
}

// readFrameHeader reads and decodes the next frame header.
func (c *Conn) readFrameHeader() (frameHeader, error) {
	p, err := c.input.peek(minFrameHeaderSize)
	if err != nil {
		return frameHeader{}, err
	}
	n := encodedHeaderSize(p[1])
	if p, err = c.input.peek(n); err != nil {
		return frameHeader{}, err
	}
	h := decodeFrameHeader(p)
	c.input.discard(n)
	return h, nil
}

// checkFrameHeader applies the rules of RFC 6455 section 5 to a header, and
// fails the connection on the first one broken.
func (c *Conn) checkFrameHeader(h *frameHeader) error {
	switch {
	case h.rsv&(rsv2Bit|rsv3Bit) != 0:
		// RFC 6455 section 5.2: nonzero only when an extension defines it.
		return c.fail(CloseProtocolError, "reserved bits: RSV2 or RSV3 set")
	case h.rsv&rsv1Bit != 0 && c.compression == nil:
		return c.fail(CloseProtocolError, "reserved bits: RSV1 set without a negotiated extension")
	case h.opcode > binaryFrame && h.opcode < closeFrame, h.opcode > pongFrame:
		return c.fail(CloseProtocolError, "reserved opcode "+strconv.Itoa(int(h.opcode)))
	case c.isServer && !h.masked:
		// RFC 6455 section 5.1: a client masks every frame, a server none.
		return c.fail(CloseProtocolError, "unmasked client frame")
	case !c.isServer && h.masked:
		return c.fail(CloseProtocolError, "masked server frame")
	case h.payloadLength > math.MaxInt64:
		return c.fail(CloseProtocolError, "payload length with the most significant bit set")
	case !h.minimalLength:
		return c.fail(CloseProtocolError, "payload length not in its minimal encoding")
	}
	if isControlOpcode(h.opcode) {
		switch {
		case h.rsv != 0:
			// RFC 7692 section 6: RSV1 marks a compressed data message only.
			return c.fail(CloseProtocolError, "reserved bits: RSV1 set on a control frame")
		case !h.final:
			return c.fail(CloseProtocolError, "fragmented control frame")
		case h.payloadLength > maxControlFramePayload:
			return c.fail(CloseProtocolError, "control frame payload longer than 125 bytes")
		}
		return nil
	}
	switch {
	case h.opcode == continuationFrame && c.readMessageType == 0:
		return c.fail(CloseProtocolError, "continuation frame with no message to continue")
	case h.opcode != continuationFrame && c.readMessageType != 0:
		return c.fail(CloseProtocolError, "new data frame inside a fragmented message")
	case h.opcode == continuationFrame && h.rsv != 0:
		// RFC 7692 section 6.1: only the first frame of a message carries RSV1.
		return c.fail(CloseProtocolError, "reserved bits: RSV1 set on a continuation frame")
	}
	return nil
}

// handleControlFrame reads the payload of a control frame and acts on it
// (RFC 6455 section 5.5).
func (c *Conn) handleControlFrame(h *frameHeader) error {
	payload := c.controlPayload[:h.payloadLength]
	if _, err := io.ReadFull(&c.input, payload); err != nil {
		return c.setReadErr(err)
	}
	if c.isServer {
		maskBytes(h.maskKey, 0, payload)
	}
	switch h.opcode {
	case pingFrame:
		if err := c.pingHandler(string(payload)); err != nil {
			return c.setReadErr(err)
		}
	case pongFrame:
		if err := c.pongHandler(string(payload)); err != nil {
			return c.setReadErr(err)
		}
	case closeFrame:
		code, text, perr := parseClosePayload(payload)
		if perr != nil {
			return c.failWith(perr, perr.Code, perr.Rule)
		}
		c.closeReceived.Store(true)
		if err := c.closeHandler(code, text); err != nil {
			return c.setReadErr(err)
		}
		return c.setReadErr(&CloseError{Code: code, Text: text})
	}
	return nil
}

// setReadErr makes err the permanent result of every read. A connection that
// ends without a close frame reports CloseAbnormalClosure, as RFC 6455
// section 7.1.5 describes.
func (c *Conn) setReadErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = &CloseError{Code: CloseAbnormalClosure, Text: io.ErrUnexpectedEOF.Error()}
	}
	c.readErr = err
	return err
}

// fail fails the connection for a broken rule (RFC 6455 section 7.1.7).
func (c *Conn) fail(code int, rule string) error {
	return c.failWith(newProtocolError(code, rule), code, rule)
}

// failWith sends a close frame with code and reason, then makes err the
// permanent result of every read.
func (c *Conn) failWith(err error, code int, reason string) error {
	if c.readErr != nil {
		// Failed already, with a close frame that named the first reason.
		return c.readErr
	}
	// The close frame is best effort: the peer may be gone already.
	_ = c.WriteControl(CloseMessage, FormatCloseMessage(code, truncateCloseReason(reason)), time.Now().Add(controlWriteWait))
	c.readErr = err
	return err
}

// truncateCloseReason keeps a reason within the 123 bytes a close frame has
// room for; reasons are ASCII.
func truncateCloseReason(reason string) string {
	const maxReason = maxControlFramePayload - closeCodeSize
	if len(reason) > maxReason {
		return reason[:maxReason]
	}
	return reason
}
