package websocket

import "sync"

// BufferPool is where connections take write buffers from and give them
// back to (see the WriteBufferPool fields of Dialer and Upgrader). A
// *sync.Pool implements it. What a connection stores in the pool is an
// internal detail: a value of any other type that Get returns is ignored,
// and a fresh buffer is made instead.
type BufferPool interface {
	// Get returns a value stored earlier, or nil when there is none.
	Get() interface{}
	// Put keeps a value for a later Get.
	Put(interface{})
}

// writeBuffer is what the connection stores in a BufferPool: room for a frame
// header followed by the payload.
type writeBuffer struct {
	data []byte
}

// defaultWriteBufferPools holds a *sync.Pool per buffer size, used by the
// connections whose Upgrader or Dialer sets no WriteBufferPool: a connection
// then holds a write buffer only while it writes, so an idle connection costs
// no write buffer at all.
var defaultWriteBufferPools sync.Map

func defaultWriteBufferPool(size int) BufferPool { return sizedPool(&defaultWriteBufferPools, size) }

// sizedPool returns the *sync.Pool that pools, a map from buffer size to
// pool, holds for size, adding it on first use.
func sizedPool(pools *sync.Map, size int) *sync.Pool {
	if p, ok := pools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(size, new(sync.Pool))
	return p.(*sync.Pool)
}

// acquireWriteBuffer takes a write buffer from the pool, or makes one.
func (c *Conn) acquireWriteBuffer() *writeBuffer {
	if b, ok := c.writePool.Get().(*writeBuffer); ok && len(b.data) == maxFrameHeaderSize+c.writeBufferSize {
		return b
	}
	return &writeBuffer{data: make([]byte, maxFrameHeaderSize+c.writeBufferSize)}
}

// releaseWriteBuffer returns a write buffer to the pool.
func (c *Conn) releaseWriteBuffer(b *writeBuffer) { c.writePool.Put(b) }
