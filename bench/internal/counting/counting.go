// Package counting wraps a net.Conn to count the bytes that cross it: the
// wire bytes of the permessage-deflate benchmark.
package counting

import (
	"net"
	"sync/atomic"
)

// Conn is a net.Conn that counts the bytes read and written.
type Conn struct {
	net.Conn
	read, written atomic.Int64
}

// New wraps c.
func New(c net.Conn) *Conn { return &Conn{Conn: c} }

// Read implements net.Conn.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// Write implements net.Conn.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// Bytes returns the bytes read and written so far.
func (c *Conn) Bytes() (read, written int64) { return c.read.Load(), c.written.Load() }
