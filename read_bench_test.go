package websocket

import (
	"io"
	"net"
	"testing"
)

// repeatConn is a net.Conn that reads the same bytes over and over.
type repeatConn struct {
	net.Conn // nil: calling a method that is not overridden panics
	stream   []byte
	offset   int
}

func (c *repeatConn) Read(p []byte) (int, error) {
	n := copy(p, c.stream[c.offset:])
	c.offset = (c.offset + n) % len(c.stream)
	return n, nil
}

// BenchmarkNextReader measures NextReader and reading the message into a
// reused buffer, on the server side (unmasking) of masked client frames.
func BenchmarkNextReader(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			frame := encodeTestFrame(finalBit|binaryFrame, testPayload(BinaryMessage, bs.size), true)
			c := newConn(&repeatConn{stream: frame}, true, nil, 0, 0, nil)
			buf := make([]byte, bs.size+1)
			b.SetBytes(int64(bs.size))
			b.ReportAllocs()
			for b.Loop() {
				if err := readOneMessage(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func readOneMessage(c *Conn, buf []byte) error {
	_, r, err := c.NextReader()
	if err != nil {
		return err
	}
	for {
		if _, err := r.Read(buf); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// TestNextReaderAllocations pins the zero-allocation read path.
func TestNextReaderAllocations(t *testing.T) {
	skipAllocationsUnderRace(t)
	for _, bs := range benchSizes {
		frame := encodeTestFrame(finalBit|textFrame, testPayload(TextMessage, bs.size), true)
		c := newConn(&repeatConn{stream: frame}, true, nil, 0, 0, nil)
		buf := make([]byte, 4096)
		allocs := testing.AllocsPerRun(100, func() {
			if err := readOneMessage(c, buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per message read, want 0", bs.name, allocs)
		}
	}
}

// BenchmarkReadMessage compares ReadMessage, which allocates each message,
// with AppendMessage into a reused buffer.
func BenchmarkReadMessage(b *testing.B) {
	for _, bs := range benchSizes {
		frame := encodeTestFrame(finalBit|binaryFrame, testPayload(BinaryMessage, bs.size), true)
		b.Run("ReadMessage/"+bs.name, func(b *testing.B) {
			c := newConn(&repeatConn{stream: frame}, true, nil, 0, 0, nil)
			b.SetBytes(int64(bs.size))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.ReadMessage(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("AppendMessage/"+bs.name, func(b *testing.B) {
			c := newConn(&repeatConn{stream: frame}, true, nil, 0, 0, nil)
			var buf []byte
			b.SetBytes(int64(bs.size))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if _, buf, err = c.AppendMessage(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
