package websocket

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// Huffman codes and the bit stream of deflate blocks (RFC 1951 sections 3.1.1
// and 3.2.2), for the encoder in deflate_block.go; the decoder in
// inflate_decoder.go shares firstCodes and reversedCode.

const (
	maxCodeBits        = 15  // longest literal/length or distance code
	maxCodeLengthBits  = 7   // longest code of the code length alphabet
	numLitLenSymbols   = 286 // literals, end of block, 29 length codes
	numFixedLitLen     = 288 // the fixed code also assigns codes to 286 and 287
	numDistSymbols     = 30
	numCodeLengthCodes = 19
	endOfBlock         = 256
)

// huffmanCode is the code of each symbol of an alphabet: its length in bits
// (0 for a symbol the code leaves out) and its bits, reversed so that they
// are written least significant bit first as RFC 1951 section 3.1.1 packs them.
type huffmanCode struct {
	lengths [numFixedLitLen]uint8
	codes   [numFixedLitLen]uint16
}

// huffmanBuilder holds the scratch space of build, so that building a code
// allocates nothing.
type huffmanBuilder struct {
	used    [numFixedLitLen]uint16 // the symbols of nonzero frequency, in order
	leaves  [numFixedLitLen]uint64 // frequency<<16 | symbol, in ascending order
	sorted  [numFixedLitLen]uint64 // the other side of the radix sort
	buckets [256]uint16
	weights [numFixedLitLen]uint64 // weight of each internal node, in creation order
	parents [2 * numFixedLitLen]uint16
	counts  [maxCodeBits + 2]int // symbols per code length
}

// build sets code to a minimum-redundancy code of at most maxBits bits for
// the symbols of freq. Symbols of frequency 0 get no code. A lone symbol gets
// a code of one bit, which RFC 1951 section 3.2.7 allows.
func (b *huffmanBuilder) build(code *huffmanCode, freq []uint32, maxBits int) {
	n := 0
	var most uint32
	for symbol, f := range freq {
		code.lengths[symbol] = 0
		if f > 0 {
			b.leaves[n] = uint64(f)<<16 | uint64(symbol)
			b.used[n] = uint16(symbol)
			n++
			most = max(most, f)
		}
	}
	switch n {
	case 0:
		return
	case 1:
		code.lengths[b.used[0]] = 1
		code.assign(b.used[:1])
		return
	}
	leaves := b.sortLeaves(n, most)
	b.countLengths(leaves, maxBits)
	// The least frequent symbols take the longest codes.
	next := 0
	for length := maxBits; length > 0; length-- {
		for range b.counts[length] {
			code.lengths[uint16(leaves[next])] = uint8(length)
			next++
		}
	}
	code.assign(b.used[:n])
}

// sortLeaves returns the first n leaves in ascending order of frequency,
// and of symbol among equal frequencies. Many leaves go through a radix sort
// on the frequency, a byte at a time, which keeps their symbol order: one
// pass for the frequencies under 256 of a small message, where a comparison
// sort cost a third of compressing it.
func (b *huffmanBuilder) sortLeaves(n int, most uint32) []uint64 {
	if n <= 32 || most >= 1<<16 {
		slices.Sort(b.leaves[:n])
		return b.leaves[:n]
	}
	from, to := b.leaves[:n], b.sorted[:n]
	for shift := uint(16); shift < 32 && most>>(shift-16) > 0; shift += 8 {
		clear(b.buckets[:])
		for _, leaf := range from {
			b.buckets[byte(leaf>>shift)]++
		}
		start := uint16(0)
		for i, count := range b.buckets {
			b.buckets[i] = start
			start += count
		}
		for _, leaf := range from {
			k := byte(leaf >> shift)
			to[b.buckets[k]] = leaf
			b.buckets[k]++
		}
		from, to = to, from
	}
	return from
}

// countLengths sets b.counts to how many of the sorted leaves a Huffman tree
// puts at each depth, with the deepest moved up to maxBits.
//
// The tree is built with two queues: the leaves in ascending order and the
// internal nodes, which are created in ascending order of weight too, so the
// two lightest nodes are always at the heads of the queues. Node i < n is a
// leaf; node n+k is the k-th internal node, and the last one is the root.
func (b *huffmanBuilder) countLengths(leaves []uint64, maxBits int) {
	n := len(leaves)
	nextLeaf, nextNode := 0, 0
	for k := range n - 1 {
		var sum uint64
		for range 2 {
			if nextLeaf < n && (nextNode == k || leaves[nextLeaf]>>16 <= b.weights[nextNode]) {
				sum += leaves[nextLeaf] >> 16
				b.parents[nextLeaf] = uint16(n + k)
				nextLeaf++
			} else {
				sum += b.weights[nextNode]
				b.parents[n+nextNode] = uint16(n + k)
				nextNode++
			}
		}
		b.weights[k] = sum
	}
	// Depths, from the root down: a parent always comes after its children.
	// parents is reused to hold the depth of each internal node.
	root := 2*n - 2
	b.parents[root] = 0
	for node := root - 1; node >= n; node-- {
		b.parents[node] = b.parents[b.parents[node]] + 1
	}
	clear(b.counts[:])
	for leaf := range n {
		depth := int(b.parents[b.parents[leaf]]) + 1
		b.counts[min(depth, maxBits)]++
	}
	b.limitLengths(maxBits)
}

// limitLengths repairs counts after the leaves deeper than maxBits were moved
// up to maxBits: the code then claims more than the whole code space (the
// Kraft sum is over 1). Each step takes one code of maxBits away and splits
// the longest shorter code in two codes one bit longer, which keeps the
// number of codes and lowers the sum by one unit of 2^-maxBits.
func (b *huffmanBuilder) limitLengths(maxBits int) {
	total := 0
	for length := 1; length <= maxBits; length++ {
		total += b.counts[length] << (maxBits - length)
	}
	for ; total > 1<<maxBits; total-- {
		b.counts[maxBits]--
		for length := maxBits - 1; length > 0; length-- {
			if b.counts[length] > 0 {
				b.counts[length]--
				b.counts[length+1] += 2
				break
			}
		}
	}
}

// assign gives the symbols, in ascending order, their canonical codes from
// their lengths (RFC 1951 section 3.2.2): shorter codes first, and within
// one length the symbols in order. Symbols left out have no code.
func (c *huffmanCode) assign(symbols []uint16) {
	var counts [maxCodeBits + 1]uint16
	for _, symbol := range symbols {
		counts[c.lengths[symbol]]++
	}
	counts[0] = 0
	next := firstCodes(&counts)
	for _, symbol := range symbols {
		length := c.lengths[symbol]
		if length == 0 {
			continue
		}
		c.codes[symbol] = reversedCode(next[length], length)
		next[length]++
	}
}

// firstCodes returns the first canonical code of each length, from how many
// codes each length has, none of length 0 (RFC 1951 section 3.2.2, step 2).
func firstCodes(counts *[maxCodeBits + 1]uint16) (first [maxCodeBits + 1]uint16) {
	code := uint16(0)
	for length := 1; length <= maxCodeBits; length++ {
		code = (code + counts[length-1]) << 1
		first[length] = code
	}
	return first
}

// reversedCode returns the length bits of a Huffman code in reverse order,
// so that writing them least significant first sends the code's first bit
// first (RFC 1951 section 3.1.1).
func reversedCode(code uint16, length uint8) uint16 {
	return bits.Reverse16(code) >> (16 - length)
}

// cost is the number of bits the symbols of freq take in code c.
func (c *huffmanCode) cost(freq []uint32) int {
	total := 0
	for symbol, f := range freq {
		total += int(f) * int(c.lengths[symbol])
	}
	return total
}

// bitWriter packs bits least significant first (RFC 1951 section 3.1.1) and
// appends them to out four bytes at a time.
type bitWriter struct {
	out   []byte
	bits  uint64
	nbits uint
}

// writeBits writes the n low bits of v; n is at most 32.
func (w *bitWriter) writeBits(v uint64, n uint) {
	w.bits |= v << w.nbits
	w.nbits += n
	if w.nbits >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.bits))
		w.bits >>= 32
		w.nbits -= 32
	}
}

// writeCode writes the code of symbol in c.
func (w *bitWriter) writeCode(c *huffmanCode, symbol int) {
	w.writeBits(uint64(c.codes[symbol]), uint(c.lengths[symbol]))
}

// alignToByte pads the stream with zero bits to a byte boundary and moves
// every whole byte to out.
func (w *bitWriter) alignToByte() {
	w.nbits = (w.nbits + 7) &^ 7
	w.moveWholeBytes()
}

// moveWholeBytes moves the complete bytes of the bit buffer to out.
func (w *bitWriter) moveWholeBytes() {
	for ; w.nbits >= 8; w.nbits -= 8 {
		w.out = append(w.out, byte(w.bits))
		w.bits >>= 8
	}
}

// takeBytes returns the whole bytes written so far and forgets them; the bits
// of a byte not yet complete stay in w.
func (w *bitWriter) takeBytes() []byte {
	w.moveWholeBytes()
	out := w.out
	w.out = w.out[:0]
	return out
}
