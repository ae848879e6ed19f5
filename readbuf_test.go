package websocket

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
)

// scriptedSource is a network connection whose bytes arrive in bursts: a
// read returns what is left of the current burst, as much as fits, and
// never reaches into the next one. It records the room each read was given.
type scriptedSource struct {
	bursts [][]byte
	asked  []int
}

func (s *scriptedSource) Read(p []byte) (int, error) {
	s.asked = append(s.asked, len(p))
	if len(s.bursts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.bursts[0])
	if s.bursts[0] = s.bursts[0][n:]; len(s.bursts[0]) == 0 {
		s.bursts = s.bursts[1:]
	}
	return n, nil
}

// readStep is one call on a readBuffer and what it must lead to.
type readStep struct {
	peek      int   // when not 0, peek this many bytes
	read      int   // else Read into a buffer of this many bytes
	wantN     int   // bytes returned
	wantAsked []int // the room given to each network read during the step
	wantBig   bool  // a pooled buffer is held after the step
}

// TestReadBufferSizes walks the buffer through traffic patterns and checks
// which buffer every network read goes to, and which one it holds between
// messages.
func TestReadBufferSizes(t *testing.T) {
	const size = 4096
	tests := []struct {
		name    string
		size    int
		pending int
		bursts  []int // sizes of the bursts of bytes the network delivers
		steps   []readStep
	}{
		{
			name: "short messages stay in the small array", size: size,
			bursts: []int{100, 50},
			steps: []readStep{
				{peek: 2, wantN: 2, wantAsked: []int{smallReadSize}},
				{read: 100, wantN: 100},
				{read: 10, wantN: 10, wantAsked: []int{smallReadSize}},
			},
		},
		{
			name: "a full small array brings a pooled buffer, a drained one sends it back", size: size,
			bursts: []int{600, 10},
			steps: []readStep{
				{peek: 2, wantN: 2, wantAsked: []int{smallReadSize}},
				{read: smallReadSize, wantN: smallReadSize},
				{read: 100, wantN: 100, wantAsked: []int{size}, wantBig: true},
				{read: 500, wantN: 244, wantBig: true},
				{read: 100, wantN: 10, wantAsked: []int{smallReadSize}},
			},
		},
		{
			name: "a full pooled buffer is kept for the next read", size: size,
			bursts: []int{smallReadSize, 2 * size, 1},
			steps: []readStep{
				{read: 1, wantN: 1, wantAsked: []int{smallReadSize}},
				{read: smallReadSize, wantN: smallReadSize - 1},
				{read: 1, wantN: 1, wantAsked: []int{size}, wantBig: true},
				{read: size, wantN: size - 1, wantBig: true},
				{read: 1, wantN: 1, wantAsked: []int{size}, wantBig: true},
				{read: size, wantN: size - 1, wantBig: true},
				{read: 1, wantN: 1, wantAsked: []int{size}, wantBig: true},
				{read: 1, wantN: 0, wantAsked: []int{smallReadSize}},
			},
		},
		{
			name: "a read as large as the buffer goes straight to the caller", size: size,
			bursts: []int{size + 1000},
			steps: []readStep{
				{read: size, wantN: size, wantAsked: []int{size}},
				{read: size, wantN: 1000, wantAsked: []int{size}},
				{read: 1, wantN: 0, wantAsked: []int{smallReadSize}},
			},
		},
		{
			name: "smaller reads go through a buffer", size: size,
			bursts: []int{2000},
			steps: []readStep{
				{read: 512, wantN: smallReadSize, wantAsked: []int{smallReadSize}},
				{read: 512, wantN: 512, wantAsked: []int{size}, wantBig: true},
				{read: 512, wantN: 512, wantBig: true},
			},
		},
		{
			name: "a header split over reads", size: size,
			bursts: []int{1, 3, 10},
			steps: []readStep{
				{peek: 2, wantN: 2, wantAsked: []int{smallReadSize, smallReadSize - 1}},
				{peek: 14, wantN: 14, wantAsked: []int{smallReadSize - 4}},
			},
		},
		{
			name: "bytes of the handshake larger than the small array", size: size, pending: 1000,
			steps: []readStep{
				{peek: 14, wantN: 14, wantBig: true},
				{read: 2000, wantN: 1000, wantBig: true},
				{read: 1, wantN: 0, wantAsked: []int{smallReadSize}},
			},
		},
		{
			name: "a buffer size below the small array's is the whole buffer", size: 64,
			bursts: []int{200},
			steps: []readStep{
				{read: 10, wantN: 10, wantAsked: []int{64}},
				{read: 54, wantN: 54},
				{read: 10, wantN: 10, wantAsked: []int{64}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bytes count up, so any byte out of place shows.
			var stream []byte
			for i := range tt.pending + sum(tt.bursts) {
				stream = append(stream, byte(i))
			}
			src := &scriptedSource{}
			rest := stream[tt.pending:]
			for _, n := range tt.bursts {
				src.bursts = append(src.bursts, rest[:n])
				rest = rest[n:]
			}
			var b readBuffer
			b.init(src, tt.size, stream[:tt.pending])
			offset := 0
			for i, step := range tt.steps {
				src.asked = nil
				var got []byte
				var err error
				if step.peek > 0 {
					got, err = b.peek(step.peek)
				} else {
					p := make([]byte, step.read)
					var n int
					n, err = b.Read(p)
					got = p[:n]
				}
				if step.wantN == 0 {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("step %d: error %v, want io.EOF at the end of the stream", i, err)
					}
				} else if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if len(got) != step.wantN || !bytes.Equal(got, stream[offset:offset+len(got)]) {
					t.Fatalf("step %d: got %d bytes %v, want the %d at offset %d", i, len(got), got, step.wantN, offset)
				}
				if step.peek == 0 {
					offset += len(got)
				}
				if !slices.Equal(src.asked, step.wantAsked) {
					t.Errorf("step %d: network reads given %v bytes, want %v", i, src.asked, step.wantAsked)
				}
				if big := b.pooled != nil; big != step.wantBig {
					t.Errorf("step %d: holds a pooled buffer: %v, want %v", i, big, step.wantBig)
				}
			}
		})
	}
}

func sum(ns []int) int {
	total := 0
	for _, n := range ns {
		total += n
	}
	return total
}

// TestReadBufferError checks a failed network read comes out of peek and
// Read, and an empty read without an error does not loop forever.
func TestReadBufferError(t *testing.T) {
	broken := errors.New("connection reset")
	var b readBuffer
	b.init(readerFunc(func([]byte) (int, error) { return 0, broken }), 0, nil)
	if _, err := b.peek(2); err != broken {
		t.Errorf("peek: %v, want %v", err, broken)
	}
	if _, err := b.Read(make([]byte, 10)); err != broken {
		t.Errorf("Read: %v, want %v", err, broken)
	}
	b.init(readerFunc(func([]byte) (int, error) { return 0, nil }), 0, nil)
	if _, err := b.peek(2); err != io.ErrNoProgress {
		t.Errorf("peek from a reader that returns nothing: %v, want %v", err, io.ErrNoProgress)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
