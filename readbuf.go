package websocket

import (
	"io"
	"sync"
)

// smallReadSize is the buffer a connection keeps of its own. It holds a
// control frame whole (125 payload bytes, 6 bytes of header) and the short
// messages of a chat, so a connection that receives those never takes a
// larger buffer.
const smallReadSize = 256

// minReadBufferSize is the smallest read buffer: room for the longest frame
// header (14 bytes), like bufio's minimum of 16.
const minReadBufferSize = 16

// readBuffer buffers the bytes a connection reads from the network.
//
// A connection that waits for the peer waits with only its small array: a
// read that finds the socket empty leaves the rest of its buffer unused,
// and on a server with many idle connections that is most of their memory.
// A buffer of the full read buffer size comes from a pool when traffic
// needs it (a read filled the small array, so more bytes are probably
// waiting), and goes back once its bytes are consumed and the last read
// found the socket drained, the sign that the next read will wait.
type readBuffer struct {
	src      io.Reader
	buf      []byte // buffered bytes are buf[r:w]; buf is small or *pooled
	r, w     int
	size     int        // the size of a pooled buffer: ReadBufferSize
	pool     *sync.Pool // the pool of buffers of that size
	pooled   *[]byte    // the pooled buffer in use, nil while small is
	lastFull bool       // the last read filled the space it was given
	small    [smallReadSize]byte
}

// readBufferPools holds a *sync.Pool of *[]byte per read buffer size.
var readBufferPools sync.Map

// init prepares b to read src through buffers of size bytes, starting with
// pending, bytes read from src already (during the handshake).
func (b *readBuffer) init(src io.Reader, size int, pending []byte) {
	b.src = src
	b.size = max(size, minReadBufferSize)
	b.pool = sizedPool(&readBufferPools, b.size)
	b.buf = b.smallBuf()
	if len(pending) > len(b.buf) {
		// More than the small array holds: a buffer that fits them, which
		// goes back to the pool only if it has the pool's size.
		big := make([]byte, max(b.size, len(pending)))
		b.pooled = &big
		b.buf = big
	}
	b.w = copy(b.buf, pending)
}

// buffered returns how many bytes can be read without a network read.
func (b *readBuffer) buffered() int { return b.w - b.r }

// peek returns the next n bytes without consuming them, reading from the
// network until they are there. n is at most minReadBufferSize.
func (b *readBuffer) peek(n int) ([]byte, error) {
	for b.buffered() < n {
		if err := b.fill(); err != nil {
			return nil, err
		}
	}
	return b.buf[b.r : b.r+n], nil
}

// discard consumes n buffered bytes.
func (b *readBuffer) discard(n int) { b.r += n }

// Read implements io.Reader: the buffered bytes first, then one read from
// the network, straight into p when p is at least as large as a pooled
// buffer. A smaller p gets its bytes through a buffer, so that a caller
// reading a little at a time (the decompressor reads 512 bytes) does not
// make a system call each time.
func (b *readBuffer) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.buffered() == 0 {
		if len(p) >= b.size {
			// p is the rest of a payload at most, so a full p says nothing
			// of what else is waiting: the next read starts small.
			b.lastFull = false
			return b.src.Read(p)
		}
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// fill reads from the network once, after the unread bytes, and returns an
// error only when the read brought nothing.
func (b *readBuffer) fill() error {
	if b.buffered() == 0 {
		b.reset()
	} else if b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	// There is room: fill runs for a header, shorter than any buffer, or
	// for a read into an empty one.
	n, err := b.src.Read(b.buf[b.w:])
	b.lastFull = b.w+n == len(b.buf)
	b.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// reset empties the buffer and chooses the one the next read goes to: the
// pooled one if the last read filled its space, since more bytes are
// probably waiting, else the small array, since the next read probably
// waits for the peer.
func (b *readBuffer) reset() {
	b.r, b.w = 0, 0
	switch {
	case b.lastFull && b.pooled == nil:
		b.grow()
	case !b.lastFull && b.pooled != nil:
		b.release()
	}
}

// grow switches the empty buffer from the small array to a pooled buffer.
func (b *readBuffer) grow() {
	if b.size <= smallReadSize {
		return // the small array is the whole buffer
	}
	big, ok := b.pool.Get().(*[]byte)
	if !ok {
		s := make([]byte, b.size)
		big = &s
	}
	b.pooled = big
	b.buf = *big
}

// release returns the pooled buffer, empty, and goes back to the small
// array.
func (b *readBuffer) release() {
	if len(*b.pooled) == b.size {
		b.pool.Put(b.pooled)
	}
	b.pooled = nil
	b.buf = b.smallBuf()
}

// smallBuf is the small array as a buffer: all of it, or ReadBufferSize
// bytes when that is smaller.
func (b *readBuffer) smallBuf() []byte { return b.small[:min(smallReadSize, b.size)] }
