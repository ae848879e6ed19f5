// Package discard provides the net.Conn that the client write benchmark
// writes into: it answers a client's opening handshake, then counts and
// throws away every byte, so that what is measured is the library's own
// masking and framing, not the network.
package discard

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

// endOfHeader ends the HTTP request of the opening handshake.
var endOfHeader = []byte("\r\n\r\n")

// Conn is a net.Conn whose far end is an accepting WebSocket server that
// never sends anything after its handshake response, and never reads what
// it is sent.
type Conn struct {
	mu       sync.Mutex
	request  []byte // the handshake request, until it is complete
	response []byte // the handshake response not yet read
	upgraded atomic.Bool
	ready    chan struct{} // closed when the response is ready
	closed   chan struct{}
	once     sync.Once

	writes atomic.Int64 // Write calls after the handshake
	bytes  atomic.Int64 // bytes written after the handshake

	record   bool   // keep what is written after the handshake
	recorded []byte // guarded by mu
}

// New returns a connection waiting for a client's handshake request.
func New() *Conn {
	return &Conn{ready: make(chan struct{}), closed: make(chan struct{})}
}

// NewRecording returns a connection like New's that also keeps the bytes
// written after the handshake, for tests to decode.
func NewRecording() *Conn {
	c := New()
	c.record = true
	return c
}

// Recorded returns a copy of the bytes written after the handshake by a
// connection from NewRecording.
func (c *Conn) Recorded() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.recorded)
}

// Counts returns the Write calls and the bytes written since the handshake.
func (c *Conn) Counts() (writes, bytes int64) { return c.writes.Load(), c.bytes.Load() }

// Write implements net.Conn.
func (c *Conn) Write(p []byte) (int, error) {
	if c.upgraded.Load() {
		// The fast path, taken by every write the benchmark measures.
		c.writes.Add(1)
		c.bytes.Add(int64(len(p)))
		if c.record {
			c.mu.Lock()
			c.recorded = append(c.recorded, p...)
			c.mu.Unlock()
		}
		return len(p), nil
	}
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.request = append(c.request, p...)
	if !bytes.Contains(c.request, endOfHeader) {
		return len(p), nil
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.request)))
	if err != nil {
		return 0, err
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if key == "" {
		return 0, errors.New("discard: a handshake request without Sec-WebSocket-Key")
	}
	c.response = []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		wsraw.AcceptKey(key) + "\r\n\r\n")
	c.upgraded.Store(true)
	close(c.ready)
	return len(p), nil
}

// Read returns the handshake response, then blocks until Close.
func (c *Conn) Read(p []byte) (int, error) {
	select {
	case <-c.ready:
	case <-c.closed:
		return 0, io.EOF
	}
	c.mu.Lock()
	if len(c.response) > 0 {
		n := copy(p, c.response)
		c.response = c.response[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	<-c.closed
	return 0, io.EOF
}

// Close implements net.Conn.
func (c *Conn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// benchAddr is the address both ends of the connection report.
var benchAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr { return benchAddr }

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr { return benchAddr }

// SetDeadline implements net.Conn; the connection never times out.
func (c *Conn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline implements net.Conn; the connection never times out.
func (c *Conn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline implements net.Conn; the connection never times out.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
