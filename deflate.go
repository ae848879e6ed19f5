package websocket

import (
	"compress/flate"
	"io"
	"sync"
)

// The compression of permessage-deflate messages (RFC 7692 section 7.2.1).

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
	d.putBlockWriter()
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
	d.putBlockWriter()
	return err
}

// blockWriter returns the block writer of the message being compressed,
// taken from the pool when the message starts.
func (d *deflater) blockWriter() *blockWriter {
	if d.block == nil {
		d.block = blockWriterPool.Get().(*blockWriter)
		// A message that failed to write gave its writer back with the bits
		// of an unfinished byte, which must not start another message.
		d.block.bits = bitWriter{out: d.block.bits.out[:0]}
	}
	return d.block
}

// putBlockWriter gives the block writer of the message back to the pool.
func (d *deflater) putBlockWriter() {
	if d.block != nil {
		blockWriterPool.Put(d.block)
		d.block = nil
	}
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
	if d.level == flate.NoCompression {
		b.writeStored(d.buf[start:end])
	} else {
		d.tokenize(b, start, end)
		b.writeBlock(d.buf[start:end])
	}
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
