package websocket

import (
	"net"
	"testing"
	"time"
)

// discardConn is a net.Conn that accepts every write and counts them.
type discardConn struct {
	net.Conn // nil: calling a method that is not overridden panics
	writes   int
}

func (c *discardConn) Write(p []byte) (int, error)      { c.writes++; return len(p), nil }
func (c *discardConn) SetWriteDeadline(time.Time) error { return nil }
func (c *discardConn) Close() error                     { return nil }

var benchSizes = []struct {
	name string
	size int
}{{"16B", 16}, {"1KiB", 1 << 10}, {"16KiB", 16 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

// BenchmarkWriteMessage measures WriteMessage into a discarding connection,
// on the server side (no masking) and the client side (masking).
func BenchmarkWriteMessage(b *testing.B) {
	for _, side := range []struct {
		name     string
		isServer bool
	}{{"server", true}, {"client", false}} {
		for _, bs := range benchSizes {
			b.Run(side.name+"/"+bs.name, func(b *testing.B) {
				conn := &discardConn{}
				c := newConn(conn, side.isServer, nil, 0, 0, nil)
				data := testPayload(BinaryMessage, bs.size)
				b.SetBytes(int64(bs.size))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.WriteMessage(BinaryMessage, data); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(conn.writes)/float64(b.N), "writes/op")
			})
		}
	}
}

// TestWriteMessageAllocations pins the zero-allocation write path that the
// benchmark shows, so a regression fails the tests too.
func TestWriteMessageAllocations(t *testing.T) {
	skipAllocationsUnderRace(t)
	for _, isServer := range []bool{true, false} {
		for _, bs := range benchSizes {
			c := newConn(&discardConn{}, isServer, nil, 0, 0, nil)
			data := testPayload(BinaryMessage, bs.size)
			c.WriteMessage(BinaryMessage, data) // fills the buffer pool
			allocs := testing.AllocsPerRun(100, func() {
				c.WriteMessage(BinaryMessage, data)
			})
			if allocs != 0 {
				t.Errorf("server %v, %s: %v allocations per WriteMessage, want 0", isServer, bs.name, allocs)
			}
		}
	}
}

// TestWriteMessageOneWrite checks that a message that fits the write buffer
// leaves in one Write call, as one frame, on both sides.
func TestWriteMessageOneWrite(t *testing.T) {
	for _, isServer := range []bool{true, false} {
		for _, size := range []int{0, 1, 125, 126, defaultBufferSize} {
			conn := &discardConn{}
			c := newConn(conn, isServer, nil, 0, 0, nil)
			if err := c.WriteMessage(TextMessage, testPayload(TextMessage, size)); err != nil {
				t.Fatal(err)
			}
			if conn.writes != 1 {
				t.Errorf("server %v, %d bytes: %d writes, want 1", isServer, size, conn.writes)
			}
		}
	}
}
