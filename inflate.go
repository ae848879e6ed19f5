package websocket

import (
	"io"
	"sync"
)

// The decompression of permessage-deflate messages (RFC 7692 section 7.2.2).

// inflater decompresses the messages of one connection, one at a time, read
// from compressedSource, with the decoder of inflate_decoder.go.
type inflater struct {
	src compressedSource
	in  bitReader

	// window holds the output: up to 32 KiB that matches may copy from,
	// then window[r:w], decoded and not yet read. Under context takeover it
	// carries over to the next message, whose matches may reach back to
	// historyStart: no further than the window negotiated.
	window       []byte
	r, w         int
	historyStart int

	state  int
	final  bool // the block being decoded ends the stream
	stored int  // bytes left in a stored block
	err    error

	lit, dist                                  *huffmanDecoder // of the current block
	dynamicLit, dynamicDist, codeLengthDecoder huffmanDecoder
	tables                                     [litLenTableSize + distTableSize + codeLenTableSize]uint32
}

var inflaterPool sync.Pool

// compressedSource feeds the decoder the payload of one message and then the
// tail its sender removed.
type compressedSource struct {
	c        *Conn
	buf      [512]byte
	r, w     int
	tailSent bool
	rawDone  bool
}

func (s *compressedSource) reset(c *Conn) {
	s.c, s.r, s.w, s.tailSent, s.rawDone = c, 0, 0, false, false
}

// fill reads more compressed bytes into buf. It may read none; the callers loop.
func (s *compressedSource) fill() error {
	s.r, s.w = 0, 0
	if !s.rawDone {
		n, err := s.c.readRawMessage(s.buf[:])
		s.w = n
		if err != io.EOF {
			return err
		}
		s.rawDone = true
		if n > 0 {
			return nil // the tail follows these bytes, at the next fill
		}
	}
	if s.tailSent {
		return io.EOF
	}
	s.tailSent = true
	s.w = copy(s.buf[:], deflateTail[:])
	return nil
}

// await fills buf until it holds a byte. Once the message and its tail are
// read, the decoder wanted more than the stream holds: io.ErrUnexpectedEOF.
func (s *compressedSource) await() error {
	for s.r == s.w {
		if err := s.fill(); err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// exhausted reports whether the whole message and its tail were read.
func (s *compressedSource) exhausted() bool { return s.tailSent && s.r == s.w }

// startInflating prepares the decompression of a message that begins.
func (c *Conn) startInflating() {
	inf := c.inflater
	if inf == nil {
		inf, _ = inflaterPool.Get().(*inflater)
		if inf == nil {
			inf = newInflater()
		}
		// What a pooled inflater decoded belongs to another connection.
		inf.r, inf.w = 0, 0
		c.inflater = inf
	}
	inf.src.reset(c)
	inf.in = bitReader{}
	inf.state, inf.err = atBlockHeader, nil
	if c.compression.readContextTakeover {
		inf.historyStart = max(inf.w-1<<c.compression.readWindowBits, 0)
	} else {
		inf.r, inf.w, inf.historyStart = 0, 0, 0
	}
}

// newInflater returns an inflater whose decoders share its tables.
func newInflater() *inflater {
	inf := &inflater{}
	tables := inf.tables[:]
	inf.dynamicLit.entries, tables = tables[:litLenTableSize], tables[litLenTableSize:]
	inf.dynamicDist.entries, tables = tables[:distTableSize], tables[distTableSize:]
	inf.codeLengthDecoder.entries = tables
	return inf
}

// finishInflating ends the message: under context takeover the inflater,
// with its window, stays with the connection; otherwise it goes back to the pool.
func (c *Conn) finishInflating() {
	if c.compression.readContextTakeover || c.inflater == nil {
		return
	}
	c.inflater.src.c = nil
	inflaterPool.Put(c.inflater)
	c.inflater = nil
}

// readInflated reads decompressed bytes of the current message into p.
func (c *Conn) readInflated(p []byte) (int, error) {
	inf := c.inflater
	n, err := inf.Read(p)
	if c.readErr != nil {
		// A frame of the message broke a rule: the connection is failed,
		// and the output of the inflater is moot.
		return 0, c.readErr
	}
	if n > 0 {
		c.readLength += int64(n)
		if c.readLimit > 0 && c.readLength > c.readLimit {
			return 0, c.failWith(ErrReadLimit, CloseMessageTooBig, "message exceeds the read limit")
		}
		if c.readText && !c.readUTF8.write(p[:n]) {
			return 0, c.fail(CloseInvalidFramePayloadData, "invalid UTF-8 in text message")
		}
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF || (err == io.ErrUnexpectedEOF && inf.src.exhausted()):
		// The decoder ran out of input at the tail: the message is whole.
		if err := c.endInflatedMessage(); err != nil {
			return 0, err
		}
		return n, io.EOF
	}
	if err == errInvalidDeflate || err == io.ErrUnexpectedEOF {
		return 0, c.fail(CloseInvalidFramePayloadData, "invalid deflate data")
	}
	return n, c.setReadErr(err)
}

// endInflatedMessage closes a compressed message after its last byte.
func (c *Conn) endInflatedMessage() error {
	src := &c.inflater.src
	for !src.rawDone {
		// A block with BFINAL set ended the deflate stream before the
		// payload did (RFC 7692 section 7.2.3.3 allows it): what is left
		// is padding, read through so the frames are still checked.
		if err := src.fill(); err != nil {
			return err
		}
	}
	c.finishInflating()
	c.readInflating = false
	if c.readText && !c.readUTF8.complete() {
		return c.fail(CloseInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
	}
	return nil
}
