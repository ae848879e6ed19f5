package websocket

import (
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// The compressors and decompressors of permessage-deflate (RFC 7692 section 7.2).

// maxWindowSize is the largest deflate window.
const maxWindowSize = 1 << maxWindowBits

// deflater compresses messages with the encoder of deflate_block.go and
// lz77.go. Between messages it keeps the last window of input, which the
// next message refers back to under context takeover; a deflater that is
// not to take over its context is reset by newDeflater.
type deflater struct {
	dst    io.Writer // where the compressed bytes go
	level  int
	window int // the longest distance a match may reach back

	// buf holds up to window bytes already compressed, then from pending on
	// the input not yet compressed.
	buf     []byte
	pending int
	// base is the absolute position of buf[0]; table and chain hold
	// absolute positions (see lz77.go). inserted is the first index of buf
	// the chained matcher has not hashed yet.
	base     int
	inserted int
	table    [1 << hashBits]int32 // the last position of each hash
	chain    []int32              // the position before, by position; levels 2 to 9

	block *blockWriter // while a message is being compressed
}

var deflaterPool sync.Pool

// newDeflater returns a deflater with an empty window.
func newDeflater(level, windowBits int) *deflater {
	d, _ := deflaterPool.Get().(*deflater)
	if d == nil {
		d = &deflater{base: 1} // the zero entries of table are then before buf
	}
	d.forget()
	d.setLevel(level)
	d.window = 1 << windowBits
	return d
}

// release returns d to its pool; d must not be used after.
func (d *deflater) release() {
	if d.block != nil {
		blockWriterPool.Put(d.block)
		d.block = nil
	}
	d.dst = nil
	deflaterPool.Put(d)
}

// setLevel changes the level of the next input; the window stays.
func (d *deflater) setLevel(level int) {
	if level == flate.DefaultCompression {
		level = defaultFlateLevel
	}
	d.level = level
}

// forget empties the window: the stale table entries now point before buf.
func (d *deflater) forget() {
	d.base += len(d.buf)
	d.buf = d.buf[:0]
	d.pending, d.inserted = 0, 0
}

// write compresses p into the current message.
func (d *deflater) write(p []byte) error {
	for len(p) > 0 {
		n := min(len(p), maxBlockInput-(len(d.buf)-d.pending))
		d.buf = append(d.buf, p[:n]...)
		p = p[n:]
		if len(d.buf)-d.pending == maxBlockInput {
			if err := d.compressPending(); err != nil {
				return err
			}
		}
	}
	return nil
}

// endMessage compresses what is left of the message and ends it with a sync
// flush, whose last four bytes 0x00 0x00 0xff 0xff are left out (RFC 7692
// section 7.2.1): an empty stored block, of which only the three header
// bits and the padding to a byte are written.
func (d *deflater) endMessage() error {
	if d.pending < len(d.buf) {
		if err := d.compressPending(); err != nil {
			return err
		}
	}
	b := d.blockWriter()
	b.bits.writeBits(storedBlockHeader, blockHeaderBits)
	b.bits.alignToByte()
	err := d.writeOutput()
	blockWriterPool.Put(b)
	d.block = nil
	return err
}

func (d *deflater) blockWriter() *blockWriter {
	if d.block == nil {
		d.block = blockWriterPool.Get().(*blockWriter)
	}
	return d.block
}

// compressPending compresses buf[pending:] as one block.
func (d *deflater) compressPending() error {
	if d.base+len(d.buf) > maxAbsolutePosition {
		// Start the positions again; the matches into the window are lost
		// until it is hashed anew.
		clear(d.table[:])
		clear(d.chain)
		d.base, d.inserted = 1, len(d.buf)
	}
	b := d.blockWriter()
	start, end := d.pending, len(d.buf)
	switch {
	case d.level == flate.NoCompression:
	case d.level == flate.HuffmanOnly:
		b.literals(d.buf[start:end])
	case d.level == flate.BestSpeed:
		d.matchGreedy(b, start, end)
	default:
		d.matchChained(b, start, end, efforts[d.level])
	}
	b.writeBlock(d.buf[start:end], d.level == flate.NoCompression)
	d.pending = end
	d.slide()
	return d.writeOutput()
}

// slide drops the input that fell out of the window, once a quarter window
// of it has piled up, so that most blocks move nothing.
func (d *deflater) slide() {
	if d.pending <= d.window+d.window/4 {
		return
	}
	drop := d.pending - d.window
	d.buf = d.buf[:copy(d.buf, d.buf[drop:])]
	d.base += drop
	d.pending -= drop
	d.inserted = max(d.inserted-drop, 0)
}

// writeOutput writes the whole bytes of compressed output to dst.
func (d *deflater) writeOutput() error {
	out := d.block.bits.takeBytes()
	if len(out) == 0 {
		return nil
	}
	_, err := d.dst.Write(out)
	return err
}

// compressMessage deflates data into dst with the connection's parameters.
func (c *Conn) compressMessage(dst io.Writer, data []byte) error {
	d := c.acquireDeflater()
	d.dst = dst
	err := d.write(data)
	if err == nil {
		err = d.endMessage()
	}
	c.releaseDeflater(d, err)
	return err
}

// acquireDeflater returns the connection's own deflater under context
// takeover, or one from the pool. The caller holds messageMu.
func (c *Conn) acquireDeflater() *deflater {
	level := int(c.compressionLevel.Load())
	if !c.compression.writeContextTakeover {
		return newDeflater(level, c.compression.writeWindowBits)
	}
	if c.deflater == nil {
		c.deflater = newDeflater(level, c.compression.writeWindowBits)
	}
	// A new level applies from the next block on; the window stays valid.
	c.deflater.setLevel(level)
	return c.deflater
}

// releaseDeflater gives a pooled deflater back. After an error the
// connection's own deflater is in an unknown state, so it is dropped too.
func (c *Conn) releaseDeflater(d *deflater, err error) {
	if d != c.deflater {
		d.release()
		return
	}
	if err != nil {
		c.deflater = nil
	}
}

// releaseOwnDeflater gives the compressor a connection keeps under context
// takeover back to the pool, so that the next connection does not allocate
// one. A message being written keeps it; the connection is then dropped
// whole, compressor included, by the garbage collector.
func (c *Conn) releaseOwnDeflater() {
	if !c.messageMu.TryLock() {
		return
	}
	if c.deflater != nil {
		c.deflater.release()
		c.deflater = nil
	}
	c.messageMu.Unlock()
}

// inflater decompresses the messages of one connection: one at a time, read
// from compressedSource.
type inflater struct {
	fr      io.ReadCloser // a flate reader, also a flate.Resetter
	src     compressedSource
	history []byte // the last window of output, for context takeover
}

var inflaterPool sync.Pool

// compressedSource feeds a flate reader the payload of one message and then
// the tail its sender removed. It is an io.ByteReader, so the flate reader
// reads no further than it needs and wraps it in no buffer of its own.
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
	}
	if s.tailSent {
		return io.EOF
	}
	s.tailSent = true
	s.w = copy(s.buf[:], deflateTail[:])
	return nil
}

func (s *compressedSource) ReadByte() (byte, error) {
	for s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	b := s.buf[s.r]
	s.r++
	return b, nil
}

func (s *compressedSource) Read(p []byte) (int, error) {
	for s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	return n, nil
}

// exhausted reports whether the whole message and its tail were read.
func (s *compressedSource) exhausted() bool { return s.tailSent && s.r == s.w }

var _ flate.Reader = (*compressedSource)(nil)

// startInflating prepares the decompression of a message that begins.
func (c *Conn) startInflating() {
	inf := c.inflater
	if inf == nil {
		inf, _ = inflaterPool.Get().(*inflater)
		if inf == nil {
			inf = &inflater{}
		}
		c.inflater = inf
	}
	inf.src.reset(c)
	var dict []byte
	if c.compression.readContextTakeover {
		dict = inf.history // a longer one than the window does no harm: flate keeps its last 32 KiB
	}
	if inf.fr == nil {
		inf.fr = flate.NewReaderDict(&inf.src, dict)
	} else {
		inf.fr.(flate.Resetter).Reset(&inf.src, dict)
	}
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

// remember appends output to the history a takeover inflater keeps. The
// history may run a quarter window past the window, so that the bytes of an
// old window are moved out once per quarter window of output, not at every
// message.
func (inf *inflater) remember(p []byte, window int) {
	if len(p) >= window {
		inf.history = append(inf.history[:0], p[len(p)-window:]...)
		return
	}
	if len(inf.history)+len(p) > window+window/4 {
		inf.history = append(inf.history[:0], inf.history[len(inf.history)-window+len(p):]...)
	}
	inf.history = append(inf.history, p...)
}

// readInflated reads decompressed bytes of the current message into p.
func (c *Conn) readInflated(p []byte) (int, error) {
	inf := c.inflater
	n, err := inf.fr.Read(p)
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
		if c.compression.readContextTakeover {
			inf.remember(p[:n], 1<<c.compression.readWindowBits)
		}
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF || (err == io.ErrUnexpectedEOF && inf.src.exhausted()):
		// The flate reader ran out of input at the tail: the message is whole.
		if err := c.endInflatedMessage(); err != nil {
			return 0, err
		}
		return n, io.EOF
	}
	var corrupt flate.CorruptInputError
	if errors.As(err, &corrupt) || err == io.ErrUnexpectedEOF {
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
