package main

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// The test's own DEFLATE code (RFC 1951), for the windows smaller than 2^15
// bytes that compress/flate cannot be limited to: an encoder that refers back
// as far as a window allows, and a decoder that refuses to refer further.

// deflateFixed compresses msg as one block of fixed Huffman codes (RFC 1951
// section 3.2.6) followed by a sync flush without its tail. It is a greedy
// LZ77 whose references reach as far back as the window allows, into
// history too (the messages before, under context takeover), so that a
// receiver that keeps less than the whole window fails to decode it.
func deflateFixed(history, msg []byte, window int) []byte {
	const (
		minMatch  = 3
		maxMatch  = 258
		hashBits  = 12
		noMatch   = -1
		blockType = 1 << 1 // BFINAL 0, BTYPE 01: fixed codes
	)
	buf := append(bytes.Clone(lastBytes(history, window)), msg...)
	start := len(buf) - len(msg)
	var table [1 << hashBits]int32
	for i := range table {
		table[i] = noMatch
	}
	hash := func(i int) int {
		return int((uint32(buf[i])<<16|uint32(buf[i+1])<<8|uint32(buf[i+2]))*2654435761) >> (32 - hashBits)
	}
	for i := 0; i+minMatch <= start; i++ {
		table[hash(i)] = int32(i)
	}
	var w bitWriter
	w.write(blockType, 3)
	for i := start; i < len(buf); {
		length, distance := 0, 0
		if i+minMatch <= len(buf) {
			h := hash(i)
			if c := int(table[h]); c != noMatch && i-c <= window {
				for length < maxMatch && i+length < len(buf) && buf[c+length] == buf[i+length] {
					length++
				}
				distance = i - c
			}
			table[h] = int32(i)
		}
		if length < minMatch {
			w.literal(int(buf[i]))
			i++
			continue
		}
		w.match(length, distance)
		for j := i + 1; j < i+length && j+minMatch <= len(buf); j++ {
			table[hash(j)] = int32(j)
		}
		i += length
	}
	w.literal(endOfBlock)
	w.write(0, 3) // the stored block of the sync flush, whose LEN and NLEN are the tail
	return w.flush()
}

// bitWriter packs bits lowest first (RFC 1951 section 3.1.1).
type bitWriter struct {
	out   []byte
	bits  uint32
	nbits uint
}

func (w *bitWriter) write(v uint32, n uint) {
	w.bits |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.bits))
		w.bits >>= 8
		w.nbits -= 8
	}
}

// code writes a Huffman code, which goes most significant bit first.
func (w *bitWriter) code(c uint32, n uint) {
	var reversed uint32
	for range n {
		reversed = reversed<<1 | c&1
		c >>= 1
	}
	w.write(reversed, n)
}

// literal writes a literal/length symbol with the fixed code.
func (w *bitWriter) literal(sym int) {
	switch {
	case sym < 144:
		w.code(uint32(0x30+sym), 8)
	case sym < 256:
		w.code(uint32(0x190+sym-144), 9)
	case sym < 280:
		w.code(uint32(sym-256), 7)
	default:
		w.code(uint32(0xc0+sym-280), 8)
	}
}

// match writes a length and a distance with their extra bits.
func (w *bitWriter) match(length, distance int) {
	l := len(lengthBase) - 1
	for lengthBase[l] > length {
		l--
	}
	w.literal(endOfBlock + 1 + l)
	w.write(uint32(length-lengthBase[l]), lengthExtra[l])
	d := len(distanceBase) - 1
	for distanceBase[d] > distance {
		d--
	}
	w.code(uint32(d), 5)
	w.write(uint32(distance-distanceBase[d]), distExtra[d])
}

// flush pads the last byte with zeros and returns the bytes.
func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.write(0, 8-w.nbits)
	}
	return w.out
}

// inflateWindow decodes a raw DEFLATE stream (RFC 1951) that ends at a block
// boundary, refusing any back-reference longer than window or reaching
// before history, the output that precedes data's. compress/flate cannot be
// told a window smaller than 32 KiB, hence this decoder.
func inflateWindow(data []byte, window int, history []byte) ([]byte, error) {
	d := inflateState{in: data, out: bytes.Clone(history), window: window}
	start := len(history)
	for {
		final, err := d.block()
		if err != nil {
			return nil, err
		}
		if final || (d.pos == len(d.in) && d.nbits == 0) {
			break
		}
	}
	return d.out[start:], nil
}

// inflateState decodes one stream.
type inflateState struct {
	in     []byte
	pos    int    // next byte of in
	bits   uint32 // bits read from in and not used, lowest first
	nbits  uint
	out    []byte
	window int
}

var errTruncated = errors.New("deflate data ends inside a block")

// need returns the next n bits, lowest first (RFC 1951 section 3.1.1).
func (d *inflateState) need(n uint) (int, error) {
	for d.nbits < n {
		if d.pos == len(d.in) {
			return 0, errTruncated
		}
		d.bits |= uint32(d.in[d.pos]) << d.nbits
		d.pos++
		d.nbits += 8
	}
	v := int(d.bits & (1<<n - 1))
	d.bits >>= n
	d.nbits -= n
	return v, nil
}

// block decodes one block and reports whether it was the last.
func (d *inflateState) block() (final bool, err error) {
	header, err := d.need(3)
	if err != nil {
		return false, err
	}
	final = header&1 != 0
	switch header >> 1 {
	case 0:
		err = d.stored()
	case 1:
		err = d.codes(fixedLiterals, fixedDistances)
	case 2:
		var lit, dist *huffman
		if lit, dist, err = d.dynamicTables(); err == nil {
			err = d.codes(lit, dist)
		}
	default:
		err = errors.New("block type 3")
	}
	return final, err
}

// stored copies a stored block (RFC 1951 section 3.2.4).
func (d *inflateState) stored() error {
	d.bits, d.nbits = 0, 0 // skip to the byte boundary
	if len(d.in)-d.pos < 4 {
		return errTruncated
	}
	n := int(d.in[d.pos]) | int(d.in[d.pos+1])<<8
	if n != ^(int(d.in[d.pos+2])|int(d.in[d.pos+3])<<8)&0xFFFF {
		return errors.New("stored block length does not match its complement")
	}
	d.pos += 4
	if len(d.in)-d.pos < n {
		return errTruncated
	}
	d.out = append(d.out, d.in[d.pos:d.pos+n]...)
	d.pos += n
	return nil
}

// Base values and extra bits of the length and distance codes (RFC 1951
// section 3.2.5).
var (
	lengthBase   = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra  = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distanceBase = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra    = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

const endOfBlock = 256

// codes decodes the symbols of a compressed block (RFC 1951 section 3.2.5).
func (d *inflateState) codes(lit, dist *huffman) error {
	for {
		sym, err := lit.decode(d)
		if err != nil {
			return err
		}
		if sym < endOfBlock {
			d.out = append(d.out, byte(sym))
			continue
		}
		if sym == endOfBlock {
			return nil
		}
		sym -= endOfBlock + 1
		if sym >= len(lengthBase) {
			return fmt.Errorf("length code %d", sym+endOfBlock+1)
		}
		extra, err := d.need(lengthExtra[sym])
		if err != nil {
			return err
		}
		length := lengthBase[sym] + extra
		dsym, err := dist.decode(d)
		if err != nil {
			return err
		}
		if dsym >= len(distanceBase) {
			return fmt.Errorf("distance code %d", dsym)
		}
		if extra, err = d.need(distExtra[dsym]); err != nil {
			return err
		}
		distance := distanceBase[dsym] + extra
		switch {
		case distance > d.window:
			return fmt.Errorf("distance %d beyond the window of %d bytes", distance, d.window)
		case distance > len(d.out):
			return fmt.Errorf("distance %d before the start of the %d bytes of history", distance, len(d.out))
		}
		from := len(d.out) - distance
		for i := range length {
			d.out = append(d.out, d.out[from+i])
		}
	}
}

// codeLengthOrder is the order of the code length code lengths (RFC 1951 section 3.2.7).
var codeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamicTables reads the code tables of a dynamic block (RFC 1951 section 3.2.7).
func (d *inflateState) dynamicTables() (lit, dist *huffman, err error) {
	var counts [3]int
	for i, n := range []uint{5, 5, 4} {
		if counts[i], err = d.need(n); err != nil {
			return nil, nil, err
		}
	}
	nlit, ndist, nclen := counts[0]+257, counts[1]+1, counts[2]+4
	var clens [19]int
	for i := range nclen {
		if clens[codeLengthOrder[i]], err = d.need(3); err != nil {
			return nil, nil, err
		}
	}
	clcode, err := newHuffman(clens[:])
	if err != nil {
		return nil, nil, err
	}
	lengths := make([]int, 0, nlit+ndist)
	for len(lengths) < nlit+ndist {
		sym, err := clcode.decode(d)
		if err != nil {
			return nil, nil, err
		}
		if sym < 16 {
			lengths = append(lengths, sym)
			continue
		}
		value, extraBits, base := 0, uint(7), 11
		switch sym {
		case 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("repeat with no previous length")
			}
			value, extraBits, base = lengths[len(lengths)-1], 2, 3
		case 17:
			extraBits, base = 3, 3
		}
		extra, err := d.need(extraBits)
		if err != nil {
			return nil, nil, err
		}
		for range base + extra {
			lengths = append(lengths, value)
		}
	}
	if len(lengths) > nlit+ndist {
		return nil, nil, errors.New("code lengths overflow the tables")
	}
	if lit, err = newHuffman(lengths[:nlit]); err != nil {
		return nil, nil, err
	}
	dist, err = newHuffman(lengths[nlit:])
	return lit, dist, err
}

// huffman is a canonical Huffman code (RFC 1951 section 3.2.2): how many
// codes each length has, and the symbols ordered by code.
type huffman struct {
	count   [16]int
	symbols []int
}

func newHuffman(lengths []int) (*huffman, error) {
	h := &huffman{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	left := 1
	for l := 1; l < len(h.count); l++ {
		left = left<<1 - h.count[l]
		if left < 0 {
			return nil, errors.New("over-subscribed code")
		}
	}
	var offsets [16]int
	for l := 1; l < len(h.count)-1; l++ {
		offsets[l+1] = offsets[l] + h.count[l]
	}
	h.symbols = make([]int, offsets[15]+h.count[15])
	for sym, l := range lengths {
		if l != 0 {
			h.symbols[offsets[l]] = sym
			offsets[l]++
		}
	}
	return h, nil
}

// decode reads one symbol, a bit at a time: codes are read from their most
// significant bit, each length's codes follow the shorter ones'.
func (h *huffman) decode(d *inflateState) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < len(h.count); l++ {
		bit, err := d.need(1)
		if err != nil {
			return 0, err
		}
		code |= bit
		if code-h.count[l] < first {
			return h.symbols[index+code-first], nil
		}
		index += h.count[l]
		first = (first + h.count[l]) << 1
		code <<= 1
	}
	return 0, errors.New("invalid Huffman code")
}

// The fixed codes of RFC 1951 section 3.2.6.
var fixedLiterals, fixedDistances = fixedCodes()

func fixedCodes() (*huffman, *huffman) {
	var lit [288]int
	for sym := range lit {
		switch {
		case sym < 144:
			lit[sym] = 8
		case sym < 256:
			lit[sym] = 9
		case sym < 280:
			lit[sym] = 7
		default:
			lit[sym] = 8
		}
	}
	var dist [30]int
	for i := range dist {
		dist[i] = 5
	}
	l, _ := newHuffman(lit[:])
	d, _ := newHuffman(dist[:])
	return l, d
}

// The tests below check the test's own DEFLATE code against
// compress/flate, so that a fault in it cannot pass for a fault, or a
// virtue, of the server.

// deflateSamples are inputs with matches near and far, and none.
func deflateSamples() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 40*kib)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	block := random[:300]
	return map[string][]byte{
		"empty":       nil,
		"one byte":    {'x'},
		"json":        compressionDatasets()[0].data[:40*kib],
		"random":      random,
		"block twice": bytes.Repeat(block, 2),
		"run":         bytes.Repeat([]byte{'a'}, 1000),
		"far repeat":  append(bytes.Clone(random[:33*kib]), random[:2*kib]...), // beyond any window
	}
}

func TestInflateWindowDecodesCompressFlate(t *testing.T) {
	for name, data := range deflateSamples() {
		for _, level := range []int{flate.HuffmanOnly, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			var compressed bytes.Buffer
			fw, _ := flate.NewWriter(&compressed, level)
			fw.Write(data)
			fw.Flush()
			got, err := inflateWindow(compressed.Bytes(), 1<<15, nil)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s at level %d: %d bytes back of %d, %v", name, level, len(got), len(data), err)
			}
		}
	}
}

func TestDeflateFixedDecodesWithCompressFlate(t *testing.T) {
	samples := deflateSamples()
	history := samples["json"][:5000]
	for name, data := range samples {
		for _, bits := range []int{8, 9, 12, 15} {
			compressed := deflateFixed(history, data, 1<<bits)
			stream := append(append(compressed, syncTail...), 0x03, 0x00)
			got, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(stream), lastBytes(history, 1<<bits)))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s, window 2^%d: %d bytes back of %d, %v", name, bits, len(got), len(data), err)
			}
			got, err = inflateWindow(append(compressed, syncTail...), 1<<bits, history)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s, window 2^%d, decoded with its window: %d bytes back of %d, %v", name, bits, len(got), len(data), err)
			}
		}
	}
}

func TestInflateWindowRefusesDistancesBeyondTheWindow(t *testing.T) {
	block := deflateSamples()["block twice"]
	compressed := append(deflateFixed(nil, block, 512), syncTail...) // refers 300 bytes back
	if _, err := inflateWindow(compressed, 512, nil); err != nil {
		t.Fatalf("window 512: %v", err)
	}
	if _, err := inflateWindow(compressed, 256, nil); err == nil {
		t.Error("window 256 accepted a reference 300 bytes back")
	}
	// The same reference into history that is not there.
	second := append(deflateFixed(block[:300], block[:300], 512), syncTail...)
	if _, err := inflateWindow(second, 512, nil); err == nil {
		t.Error("a reference into a previous message was accepted without its history")
	}
	if got, err := inflateWindow(second, 512, block[:300]); err != nil || !bytes.Equal(got, block[:300]) {
		t.Errorf("with history: %q, %v", got, err)
	}
}
