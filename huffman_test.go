package websocket

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHuffmanBuild checks built codes: within the length limit, using the
// whole code space (the Kraft sum is exactly 1), prefix-free, and, when the
// limit does not bind, as short in total as Huffman's algorithm makes them.
func TestHuffmanBuild(t *testing.T) {
	fibonacci := make([]uint32, 30)
	fibonacci[0], fibonacci[1] = 1, 1
	for i := 2; i < len(fibonacci); i++ {
		fibonacci[i] = fibonacci[i-1] + fibonacci[i-2]
	}
	literals := make([]uint32, numLitLenSymbols)
	for i := range literals {
		literals[i] = uint32(i*i%97 + i%3)
	}
	tests := []struct {
		name    string
		freq    []uint32
		maxBits int
		lengths []uint8 // when the lengths are known
		optimal bool    // the limit does not bind: the cost must be Huffman's
	}{
		{name: "none", freq: []uint32{0, 0, 0}, maxBits: 15, lengths: []uint8{0, 0, 0}},
		{name: "one symbol", freq: []uint32{0, 5, 0}, maxBits: 15, lengths: []uint8{0, 1, 0}},
		{name: "two symbols", freq: []uint32{3, 0, 9}, maxBits: 15, lengths: []uint8{1, 0, 1}},
		{name: "textbook", freq: []uint32{1, 1, 2, 4}, maxBits: 15, lengths: []uint8{3, 3, 2, 1}, optimal: true},
		{name: "equal", freq: []uint32{7, 7, 7, 7, 7, 7, 7, 7}, maxBits: 15, lengths: []uint8{3, 3, 3, 3, 3, 3, 3, 3}, optimal: true},
		{name: "literals", freq: literals, maxBits: maxCodeBits, optimal: true},
		{name: "fibonacci within the limit", freq: fibonacci[:15], maxBits: maxCodeBits, optimal: true},
		{name: "fibonacci limited to 15", freq: fibonacci, maxBits: maxCodeBits},
		{name: "fibonacci limited to 7", freq: fibonacci[:19], maxBits: maxCodeLengthBits},
	}
	var b huffmanBuilder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code huffmanCode
			b.build(&code, tt.freq, tt.maxBits)
			got := code.lengths[:len(tt.freq)]
			if tt.lengths != nil && string(got) != string(tt.lengths) {
				t.Fatalf("lengths %v, want %v", got, tt.lengths)
			}
			used, kraft := 0, 0.0
			for _, l := range got {
				if int(l) > tt.maxBits {
					t.Fatalf("a code of %d bits, limit %d", l, tt.maxBits)
				}
				if l > 0 {
					used++
					kraft += 1 / float64(uint64(1)<<l)
				}
			}
			if used >= 2 && kraft != 1 {
				t.Errorf("Kraft sum %v, want 1", kraft)
			}
			checkPrefixFree(t, &code, len(tt.freq))
			if tt.optimal {
				if cost, want := code.cost(tt.freq), huffmanCost(tt.freq); cost != want {
					t.Errorf("cost %d bits, Huffman's is %d", cost, want)
				}
			}
		})
	}
}

// checkPrefixFree checks that no code of the first n symbols starts another.
// Codes are stored bit-reversed, so a prefix is a match of the low bits.
func checkPrefixFree(t *testing.T, code *huffmanCode, n int) {
	t.Helper()
	for a := range n {
		for b := range n {
			la, lb := code.lengths[a], code.lengths[b]
			if a == b || la == 0 || lb == 0 || la > lb {
				continue
			}
			if code.codes[b]&(1<<la-1) == code.codes[a] {
				t.Fatalf("the code of %d (%d bits) starts the code of %d (%d bits)", a, la, b, lb)
			}
		}
	}
}

// huffmanCost is the total length of an optimal code for freq: the sum of
// the weights of the merged nodes of Huffman's algorithm, done here with a
// heap as an independent reference.
func huffmanCost(freq []uint32) int {
	h := &weightHeap{}
	for _, f := range freq {
		if f > 0 {
			heap.Push(h, int(f))
		}
	}
	cost := 0
	for h.Len() > 1 {
		merged := heap.Pop(h).(int) + heap.Pop(h).(int)
		cost += merged
		heap.Push(h, merged)
	}
	return cost
}

type weightHeap []int

func (h weightHeap) Len() int           { return len(h) }
func (h weightHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h weightHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *weightHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *weightHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// TestBitWriter checks the packing order of RFC 1951 section 3.1.1 and the
// padding to a byte.
func TestBitWriter(t *testing.T) {
	var w bitWriter
	w.writeBits(0b1, 1)
	w.writeBits(0b10, 2)
	w.writeBits(0x1234_5678, 32)
	w.writeBits(0b101, 3)
	w.alignToByte()
	got := w.takeBytes()
	// bits from the lowest: 1, 0 1, then 0x12345678 from bit 3, then 101.
	v := uint64(1) | uint64(0b10)<<1 | uint64(0x1234_5678)<<3 | uint64(0b101)<<35
	want := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), byte(v >> 32)}
	if string(got) != string(want) {
		t.Fatalf("% x, want % x", got, want)
	}
	if w.nbits != 0 || len(w.takeBytes()) != 0 {
		t.Fatal("bits left after alignToByte")
	}
}

// TestHuffmanSortLeaves checks the radix sort of the leaves against a
// comparison sort, for few and many symbols, with frequencies of one byte,
// two bytes and more.
func TestHuffmanSortLeaves(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var b huffmanBuilder
	for _, n := range []int{2, 20, 33, 100, numFixedLitLen} {
		for _, most := range []uint32{3, 255, 256, 40_000, 1 << 20} {
			var largest uint32
			for i := range n {
				f := 1 + r.Uint32N(most)
				largest = max(largest, f)
				b.leaves[i] = uint64(f)<<16 | uint64(i)
			}
			want := slices.Clone(b.leaves[:n])
			slices.Sort(want)
			if got := b.sortLeaves(n, largest); !slices.Equal(got, want) {
				t.Errorf("%d leaves, frequencies up to %d: sorted differently", n, largest)
			}
		}
	}
}
