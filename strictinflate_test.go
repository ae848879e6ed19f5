package websocket

import (
	"errors"
	"fmt"
	"testing"
)

// strictInflate is a slow deflate decoder (RFC 1951) written apart from the
// package's, a bit at a time, for checking the compressor: unlike
// compress/flate it fails on any distance beyond window, and on a final
// block, which a permessage-deflate sender under context takeover must not
// send. It decodes one message, data with the sync flush tail put back,
// after history, and must end exactly at the end of that tail.
func strictInflate(data, history []byte, window int) ([]byte, error) {
	in := &bitStream{p: append(append([]byte(nil), data...), deflateTail[:]...)}
	out := append([]byte(nil), history...)
	start := len(out)
	for in.pos < 8*len(in.p) {
		final, err := in.read(1)
		if err != nil {
			return nil, err
		}
		if final == 1 {
			return nil, errors.New("strict: a final block")
		}
		blockType, err := in.read(2)
		if err != nil {
			return nil, err
		}
		switch blockType {
		case 0:
			if out, err = in.stored(out); err != nil {
				return nil, err
			}
			continue
		case 3:
			return nil, errors.New("strict: block type 3")
		}
		lit, dist, err := in.codes(blockType == 1)
		if err != nil {
			return nil, err
		}
		if out, err = in.huffmanBlock(out, lit, dist, window); err != nil {
			return nil, err
		}
	}
	return out[start:], nil
}

var (
	strictLengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	strictLengthExtra = [29]int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	strictDistBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	strictDistExtra   = [30]int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	strictOrder       = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// bitStream reads bits least significant first.
type bitStream struct {
	p   []byte
	pos int // in bits
}

var errStrictEnd = errors.New("strict: input ends inside a block")

func (b *bitStream) read(n int) (int, error) {
	v := 0
	for i := range n {
		if b.pos>>3 >= len(b.p) {
			return 0, errStrictEnd
		}
		v |= int(b.p[b.pos>>3]>>(b.pos&7)&1) << i
		b.pos++
	}
	return v, nil
}

// stored appends the bytes of a stored block.
func (b *bitStream) stored(out []byte) ([]byte, error) {
	b.pos = (b.pos + 7) &^ 7
	n, err := b.read(16)
	if err != nil {
		return nil, err
	}
	complement, err := b.read(16)
	if err != nil {
		return nil, err
	}
	if n != ^complement&0xffff {
		return nil, errors.New("strict: LEN and NLEN disagree")
	}
	if b.pos/8+n > len(b.p) {
		return nil, errStrictEnd
	}
	out = append(out, b.p[b.pos/8:b.pos/8+n]...)
	b.pos += 8 * n
	return out, nil
}

// strictCode is a canonical code: the number of codes of each length and
// the symbols in code order, decoded a bit at a time.
type strictCode struct {
	count   [16]int
	symbols []int
}

func newStrictCode(lengths []int) (*strictCode, error) {
	c := &strictCode{}
	for _, l := range lengths {
		c.count[l]++
	}
	c.count[0] = 0
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - c.count[l]
		if left < 0 {
			return nil, errors.New("strict: over-subscribed code")
		}
	}
	var offsets [16]int
	for l := 1; l < 15; l++ {
		offsets[l+1] = offsets[l] + c.count[l]
	}
	c.symbols = make([]int, len(lengths))
	for symbol, l := range lengths {
		if l != 0 {
			c.symbols[offsets[l]] = symbol
			offsets[l]++
		}
	}
	return c, nil
}

func (b *bitStream) decode(c *strictCode) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		bit, err := b.read(1)
		if err != nil {
			return 0, err
		}
		code |= bit
		if code-c.count[l] < first {
			return c.symbols[index+code-first], nil
		}
		index += c.count[l]
		first = (first + c.count[l]) << 1
		code <<= 1
	}
	return 0, errors.New("strict: no such code")
}

// codes returns the codes of a fixed block, or reads those of a dynamic one.
func (b *bitStream) codes(fixed bool) (lit, dist *strictCode, err error) {
	if fixed {
		lengths := make([]int, 288+30)
		for i := range lengths {
			switch {
			case i >= 288:
				lengths[i] = 5
			case i < 144:
				lengths[i] = 8
			case i < 256:
				lengths[i] = 9
			case i < 280:
				lengths[i] = 7
			default:
				lengths[i] = 8
			}
		}
		lit, _ = newStrictCode(lengths[:288])
		dist, _ = newStrictCode(lengths[288:])
		return lit, dist, nil
	}
	counts, err := b.read(14)
	if err != nil {
		return nil, nil, err
	}
	numLit, numDist, numCodeLengths := counts&31+257, counts>>5&31+1, counts>>10+4
	codeLengths := make([]int, 19)
	for _, symbol := range strictOrder[:numCodeLengths] {
		if codeLengths[symbol], err = b.read(3); err != nil {
			return nil, nil, err
		}
	}
	lengthCode, err := newStrictCode(codeLengths)
	if err != nil {
		return nil, nil, err
	}
	var lengths []int
	for len(lengths) < numLit+numDist {
		symbol, err := b.decode(lengthCode)
		if err != nil {
			return nil, nil, err
		}
		value, repeat := symbol, 1
		switch symbol {
		case 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("strict: a repeat with nothing before")
			}
			value = lengths[len(lengths)-1]
			repeat, err = b.read(2)
			repeat += 3
		case 17:
			value = 0
			repeat, err = b.read(3)
			repeat += 3
		case 18:
			value = 0
			repeat, err = b.read(7)
			repeat += 11
		}
		if err != nil {
			return nil, nil, err
		}
		for range repeat {
			lengths = append(lengths, value)
		}
	}
	if len(lengths) != numLit+numDist {
		return nil, nil, errors.New("strict: code lengths run past their count")
	}
	if lit, err = newStrictCode(lengths[:numLit]); err != nil {
		return nil, nil, err
	}
	if dist, err = newStrictCode(lengths[numLit:]); err != nil {
		return nil, nil, err
	}
	return lit, dist, nil
}

// huffmanBlock appends the output of a Huffman block, failing on a
// distance beyond window or beyond what was output.
func (b *bitStream) huffmanBlock(out []byte, lit, dist *strictCode, window int) ([]byte, error) {
	for {
		symbol, err := b.decode(lit)
		if err != nil {
			return nil, err
		}
		switch {
		case symbol < 256:
			out = append(out, byte(symbol))
			continue
		case symbol == 256:
			return out, nil
		case symbol > 285:
			return nil, errors.New("strict: length symbol past 285")
		}
		symbol -= 257
		extra, err := b.read(strictLengthExtra[symbol])
		if err != nil {
			return nil, err
		}
		length := strictLengthBase[symbol] + extra
		symbol, err = b.decode(dist)
		if err != nil {
			return nil, err
		}
		if symbol >= 30 {
			return nil, errors.New("strict: distance symbol past 29")
		}
		if extra, err = b.read(strictDistExtra[symbol]); err != nil {
			return nil, err
		}
		distance := strictDistBase[symbol] + extra
		if distance > window || distance > len(out) {
			return nil, fmt.Errorf("strict: a distance of %d, window %d, %d bytes output", distance, window, len(out))
		}
		for range length {
			out = append(out, out[len(out)-distance])
		}
	}
}

// TestStrictInflate checks the checker: a match within the window and the
// history decodes, one a byte beyond the window fails, and so does a final
// block.
func TestStrictInflate(t *testing.T) {
	history := benchJSON(600, 3)
	message := func(distance int, final bool) []byte {
		var b blockWriter
		b.match(10, distance)
		header := uint64(fixedBlockHeader)
		if final {
			header |= 1
		}
		b.bits.writeBits(header, blockHeaderBits)
		b.writeTokens(&fixedLitLenCode, &fixedDistCode)
		b.bits.writeBits(storedBlockHeader, blockHeaderBits)
		b.bits.alignToByte()
		return b.bits.takeBytes()
	}
	got, err := strictInflate(message(256, false), history, 256)
	if want := history[len(history)-256 : len(history)-246]; err != nil || string(got) != string(want) {
		t.Errorf("distance 256 in a window of 256: %q, %v; want %q", got, err, want)
	}
	if _, err := strictInflate(message(257, false), history, 256); err == nil {
		t.Error("distance 257 in a window of 256 decoded")
	}
	if _, err := strictInflate(message(256, true), history, 256); err == nil {
		t.Error("a final block decoded")
	}
}
