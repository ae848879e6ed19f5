package websocket

import (
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// The compressors and decompressors of permessage-deflate (RFC 7692 section 7.2).

// maxWindowSize is the largest deflate window, the one compress/flate uses.
const maxWindowSize = 1 << maxWindowBits

var errBadDeflateTail = errors.New("websocket: compressor did not end with a sync flush")

// tailTrimmer passes compressed bytes on to dst but always holds back the
// last four, so that the 0x00 0x00 0xff 0xff that ends each sync flush can be
// dropped at the end of a message (RFC 7692 section 7.2.1).
type tailTrimmer struct {
	dst  io.Writer
	held [len(deflateTail)]byte
	n    int
}

func (t *tailTrimmer) Write(p []byte) (int, error) {
	total := len(p)
	if excess := t.n + len(p) - len(t.held); excess > 0 {
		fromHeld := min(excess, t.n)
		if _, err := t.dst.Write(t.held[:fromHeld]); err != nil {
			return 0, err
		}
		t.n = copy(t.held[:], t.held[fromHeld:t.n])
		if _, err := t.dst.Write(p[:excess-fromHeld]); err != nil {
			return 0, err
		}
		p = p[excess-fromHeld:]
	}
	t.n += copy(t.held[t.n:], p)
	return total, nil
}

// finish drops the held tail, which must be the sync flush marker.
func (t *tailTrimmer) finish() error {
	ok := t.n == len(t.held) && t.held == deflateTail
	t.n = 0
	if !ok {
		return errBadDeflateTail
	}
	return nil
}

// deflater compresses messages. For a window under 32 KiB it starts a fresh
// compressor every window's worth of input: a compressor never refers back
// further than the input it was given since its last reset, so each
// reference stays inside the window (RFC 7692 section 7.1.2).
type deflater struct {
	fw      *flate.Writer
	trim    tailTrimmer
	level   int
	window  int // bytes
	inChunk int // input since the last reset, when window < maxWindowSize
}

// deflaterPools holds idle deflaters by compression level (HuffmanOnly, -2, first).
var deflaterPools [flate.BestCompression - flate.HuffmanOnly + 1]sync.Pool

func newDeflater(level, windowBits int) *deflater {
	d, _ := deflaterPools[level-flate.HuffmanOnly].Get().(*deflater)
	if d == nil {
		d = &deflater{level: level}
		// The level was validated by SetCompressionLevel.
		d.fw, _ = flate.NewWriter(&d.trim, level)
	} else {
		d.fw.Reset(&d.trim)
	}
	d.window = 1 << windowBits
	d.inChunk = 0
	return d
}

// release returns d to its pool; d must not be used after.
func (d *deflater) release() {
	d.trim.dst = nil
	deflaterPools[d.level-flate.HuffmanOnly].Put(d)
}

// write compresses p into the current message.
func (d *deflater) write(p []byte) error {
	for len(p) > 0 {
		n := len(p)
		if d.window < maxWindowSize {
			if d.inChunk == d.window {
				if err := d.fw.Flush(); err != nil {
					return err
				}
				d.fw.Reset(&d.trim)
				d.inChunk = 0
			}
			n = min(n, d.window-d.inChunk)
			d.inChunk += n
		}
		if _, err := d.fw.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// endMessage flushes the message and drops its tail. The compressor keeps its
// window for the next message; resetting it is up to the caller.
func (d *deflater) endMessage() error {
	if err := d.fw.Flush(); err != nil {
		return err
	}
	return d.trim.finish()
}

// compressMessage deflates data into dst with the connection's parameters.
func (c *Conn) compressMessage(dst io.Writer, data []byte) error {
	d := c.acquireDeflater()
	d.trim.dst = dst
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
	if c.deflater == nil || c.deflater.level != level {
		// A new compressor only forgets the old window; the peer's
		// decompressor keeps its own, so the stream stays valid.
		if c.deflater != nil {
			c.deflater.release()
		}
		c.deflater = newDeflater(level, c.compression.writeWindowBits)
	}
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
