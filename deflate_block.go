package websocket

import (
	"encoding/binary"
	"slices"
	"sync"
)

// Deflate blocks (RFC 1951 section 3.2.3): the tokens the matcher found in a
// run of input, written as a dynamic Huffman, fixed Huffman or stored block,
// whichever is shortest.

const (
	minMatchLength = 3   // the shortest match deflate can send
	maxMatchLength = 258 // the longest

	// maxBlockInput is the input a block covers at most. It bounds the token
	// buffer, and a stored block of it fits in one LEN field.
	maxBlockInput = 1 << 15

	// A token is a literal byte (below 256) or a match: matchToken, then
	// the length code (minus 257) and its extra bits, the distance code and
	// its extra bits, so that writing the token looks nothing up again.
	matchToken       = 1 << 31
	lengthCodeShift  = 26 // 5 bits
	lengthExtraShift = 21 // 5 bits
	distCodeShift    = 16 // 5 bits
	tokenFieldMask   = 1<<5 - 1
	distExtraMask    = 1<<13 - 1

	// The block types of the BTYPE field, already shifted past BFINAL, which
	// is always 0: a message ends with a sync flush, not a final block.
	storedBlockHeader  = 0 << 1
	fixedBlockHeader   = 1 << 1
	dynamicBlockHeader = 2 << 1
	blockHeaderBits    = 3

	// Symbols of the code length alphabet (RFC 1951 section 3.2.7).
	repeatPrevious                         = 16 // the previous length 3 to 6 times, 2 extra bits
	repeatZeros                            = 17 // 0, 3 to 10 times, 3 extra bits
	repeatManyZeros                        = 18 // 0, 11 to 138 times, 7 extra bits
	minRepeatPrevious, maxRepeatPrevious   = 3, 6
	minRepeatZeros, maxRepeatZeros         = 3, 10
	minRepeatManyZeros, maxRepeatManyZeros = 11, 138
)

// Lengths 3..258 and distances 1..32768 are sent as a code and extra bits
// (RFC 1951 section 3.2.5). Bases are stored minus the smallest value.
var (
	lengthBases     = [29]uint16{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 255}
	lengthExtraBits = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBases       = [numDistSymbols]uint16{0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576}
	distExtraBits   = [numDistSymbols]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	// codeLengthOrder is the order in which a dynamic block header gives the
	// lengths of the code length code (RFC 1951 section 3.2.7).
	codeLengthOrder = [numCodeLengthCodes]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	// lengthTokenBits maps a length minus 3 to the bits of its match
	// token: the code minus 257 and the extra bits.
	lengthTokenBits [256]uint32
	// distTokenBits holds at distCodeIndex(d), for a distance minus 1 d,
	// the token bits of d's code minus the first d of that code: adding d
	// gives the code and d's extra bits.
	distTokenBits [512]uint32

	fixedLitLenCode, fixedDistCode = fixedCodes()
)

func init() {
	for code, base := range lengthBases {
		for l := int(base); l < int(base)+1<<lengthExtraBits[code] && l < len(lengthTokenBits); l++ {
			lengthTokenBits[l] = uint32(code)<<lengthCodeShift | uint32(l-int(base))<<lengthExtraShift
		}
	}
	for code, base := range distBases {
		for d := int(base); d < int(base)+1<<distExtraBits[code]; d++ {
			distTokenBits[distCodeIndex(d)] = uint32(code)<<distCodeShift - uint32(base)
		}
	}
}

// allSymbols lists every symbol of the largest alphabet, in order.
var allSymbols = func() (all [numFixedLitLen]uint16) {
	for i := range all {
		all[i] = uint16(i)
	}
	return all
}()

// fixedCodes returns the codes of fixed Huffman blocks (RFC 1951 section 3.2.6).
func fixedCodes() (litLen, dist huffmanCode) {
	for symbol := range numFixedLitLen {
		switch {
		case symbol < 144:
			litLen.lengths[symbol] = 8
		case symbol < 256:
			litLen.lengths[symbol] = 9
		case symbol < 280:
			litLen.lengths[symbol] = 7
		default:
			litLen.lengths[symbol] = 8
		}
	}
	litLen.assign(allSymbols[:numFixedLitLen])
	for symbol := range numDistSymbols {
		dist.lengths[symbol] = 5
	}
	dist.assign(allSymbols[:numDistSymbols])
	return litLen, dist
}

// distCodeIndex is the entry of distTokenBits for a distance minus 1.
func distCodeIndex(d int) int {
	if d < 256 {
		return d
	}
	return 256 + d>>7
}

// blockWriter turns tokens into blocks. It is only needed while a message is
// being compressed, so connections share a pool of them.
type blockWriter struct {
	bits     bitWriter
	tokens   []uint32
	litFreq  [numLitLenSymbols]uint32
	distFreq [numDistSymbols]uint32

	litLen, dist, codeLength huffmanCode
	builder                  huffmanBuilder

	// The code lengths of a dynamic block, as the header sends them:
	// symbols of the code length alphabet with their extra bits above bit 8.
	lengthTokens []uint16
	lengthFreq   [numCodeLengthCodes]uint32
}

var blockWriterPool = sync.Pool{New: func() any {
	return &blockWriter{
		tokens:       make([]uint32, 0, maxBlockInput),
		lengthTokens: make([]uint16, 0, numLitLenSymbols+numDistSymbols),
	}
}}

// literals adds each byte of p as a literal.
func (b *blockWriter) literals(p []byte) {
	for _, c := range p {
		b.tokens = append(b.tokens, uint32(c))
		b.litFreq[c]++
	}
}

// match adds a copy of length bytes from distance bytes back.
func (b *blockWriter) match(length, distance int) {
	d := distance - 1
	t := matchToken | lengthTokenBits[length-minMatchLength] | (distTokenBits[distCodeIndex(d)] + uint32(d))
	b.tokens = append(b.tokens, t)
	b.litFreq[endOfBlock+1+t>>lengthCodeShift&tokenFieldMask]++
	b.distFreq[t>>distCodeShift&tokenFieldMask]++
}

// writeBlock writes the tokens, which cover input, as the shortest of the
// three block types.
func (b *blockWriter) writeBlock(input []byte) {
	b.litFreq[endOfBlock] = 1
	extra := 0
	for code, f := range b.litFreq[endOfBlock+1:] {
		extra += int(f) * int(lengthExtraBits[code])
	}
	usesDistances := false
	for code, f := range b.distFreq {
		extra += int(f) * int(distExtraBits[code])
		usesDistances = usesDistances || f > 0
	}
	if !usesDistances {
		// A dynamic header sends at least one distance code length.
		b.distFreq[0] = 1
	}
	b.builder.build(&b.litLen, b.litFreq[:], maxCodeBits)
	b.builder.build(&b.dist, b.distFreq[:], maxCodeBits)
	numLitLen, numDist, numLengthCodes := b.encodeCodeLengths()

	dynamicBits := blockHeaderBits + 5 + 5 + 4 + 3*numLengthCodes + b.codeLength.cost(b.lengthFreq[:]) +
		2*int(b.lengthFreq[repeatPrevious]) + 3*int(b.lengthFreq[repeatZeros]) + 7*int(b.lengthFreq[repeatManyZeros]) +
		b.litLen.cost(b.litFreq[:]) + b.dist.cost(b.distFreq[:]) + extra
	fixedBits := blockHeaderBits + fixedLitLenCode.cost(b.litFreq[:]) + fixedDistCode.cost(b.distFreq[:]) + extra
	padding := (8 - (int(b.bits.nbits)+blockHeaderBits)%8) % 8
	storedBits := blockHeaderBits + padding + 32 + 8*len(input)

	switch {
	case storedBits <= min(fixedBits, dynamicBits):
		b.writeStored(input)
	case fixedBits <= dynamicBits:
		b.bits.writeBits(fixedBlockHeader, blockHeaderBits)
		b.writeTokens(&fixedLitLenCode, &fixedDistCode)
	default:
		b.writeDynamicHeader(numLitLen, numDist, numLengthCodes)
		b.writeTokens(&b.litLen, &b.dist)
	}
	b.resetTokens()
}

func (b *blockWriter) resetTokens() {
	b.tokens = b.tokens[:0]
	clear(b.litFreq[:])
	clear(b.distFreq[:])
}

// writeStored writes input as a stored block (RFC 1951 section 3.2.4).
func (b *blockWriter) writeStored(input []byte) {
	b.bits.writeBits(storedBlockHeader, blockHeaderBits)
	b.bits.alignToByte()
	b.bits.out = binary.LittleEndian.AppendUint16(b.bits.out, uint16(len(input)))
	b.bits.out = binary.LittleEndian.AppendUint16(b.bits.out, ^uint16(len(input)))
	b.bits.out = append(b.bits.out, input...)
}

// encodeCodeLengths run-length encodes the code lengths of litLen and dist
// into lengthTokens, builds codeLength for them, and returns how many
// literal/length, distance and code length code lengths the header sends.
func (b *blockWriter) encodeCodeLengths() (numLitLen, numDist, numLengthCodes int) {
	numLitLen = numLitLenSymbols
	for numLitLen > endOfBlock+1 && b.litLen.lengths[numLitLen-1] == 0 {
		numLitLen--
	}
	numDist = numDistSymbols
	for numDist > 1 && b.dist.lengths[numDist-1] == 0 {
		numDist--
	}
	var all [numLitLenSymbols + numDistSymbols]uint8
	n := copy(all[:], b.litLen.lengths[:numLitLen])
	n += copy(all[n:], b.dist.lengths[:numDist])
	lengths := all[:n]

	b.lengthTokens = b.lengthTokens[:0]
	clear(b.lengthFreq[:])
	emit := func(symbol, extra int) {
		b.lengthTokens = append(b.lengthTokens, uint16(symbol|extra<<8))
		b.lengthFreq[symbol]++
	}
	for i := 0; i < len(lengths); {
		length := lengths[i]
		run := 1
		for i+run < len(lengths) && lengths[i+run] == length {
			run++
		}
		i += run
		if length == 0 {
			for ; run >= minRepeatManyZeros; run -= min(run, maxRepeatManyZeros) {
				emit(repeatManyZeros, min(run, maxRepeatManyZeros)-minRepeatManyZeros)
			}
			if run >= minRepeatZeros {
				emit(repeatZeros, run-minRepeatZeros)
				run = 0
			}
		} else {
			emit(int(length), 0)
			run--
			for ; run >= minRepeatPrevious; run -= min(run, maxRepeatPrevious) {
				emit(repeatPrevious, min(run, maxRepeatPrevious)-minRepeatPrevious)
			}
		}
		for ; run > 0; run-- {
			emit(int(length), 0)
		}
	}
	b.builder.build(&b.codeLength, b.lengthFreq[:], maxCodeLengthBits)
	numLengthCodes = numCodeLengthCodes
	for numLengthCodes > 4 && b.codeLength.lengths[codeLengthOrder[numLengthCodes-1]] == 0 {
		numLengthCodes--
	}
	return numLitLen, numDist, numLengthCodes
}

// writeDynamicHeader writes the header of a dynamic block (RFC 1951 section
// 3.2.7) from what encodeCodeLengths prepared.
func (b *blockWriter) writeDynamicHeader(numLitLen, numDist, numLengthCodes int) {
	w := &b.bits
	w.writeBits(dynamicBlockHeader, blockHeaderBits)
	w.writeBits(uint64(numLitLen-257), 5)
	w.writeBits(uint64(numDist-1), 5)
	w.writeBits(uint64(numLengthCodes-4), 4)
	for _, symbol := range codeLengthOrder[:numLengthCodes] {
		w.writeBits(uint64(b.codeLength.lengths[symbol]), 3)
	}
	for _, t := range b.lengthTokens {
		symbol, extra := int(t&0xff), uint64(t>>8)
		w.writeCode(&b.codeLength, symbol)
		switch symbol {
		case repeatPrevious:
			w.writeBits(extra, 2)
		case repeatZeros:
			w.writeBits(extra, 3)
		case repeatManyZeros:
			w.writeBits(extra, 7)
		}
	}
}

// writeTokens writes the tokens and the end of block with the given codes.
// The bit buffer is kept in locals and stored 4 bytes at a time into room
// made for the longest tokens up front: this loop is half of the time spent
// writing a block.
func (b *blockWriter) writeTokens(litLen, dist *huffmanCode) {
	w := &b.bits
	bits, nbits := w.bits, w.nbits
	n := len(w.out)
	out := slices.Grow(w.out, len(b.tokens)*maxTokenBits/8+8)[:n+len(b.tokens)*maxTokenBits/8+8]
	for _, t := range b.tokens {
		if t < matchToken {
			bits |= uint64(litLen.codes[t]) << nbits
			nbits += uint(litLen.lengths[t])
		} else {
			code := t >> lengthCodeShift & tokenFieldMask
			symbol := endOfBlock + 1 + code
			bits |= (uint64(litLen.codes[symbol]) | uint64(t>>lengthExtraShift&tokenFieldMask)<<litLen.lengths[symbol]) << nbits
			nbits += uint(litLen.lengths[symbol]) + uint(lengthExtraBits[code])
			n, bits, nbits = putFullWord(out, n, bits, nbits)
			code = t >> distCodeShift & tokenFieldMask
			bits |= (uint64(dist.codes[code]) | uint64(t&distExtraMask)<<dist.lengths[code]) << nbits
			nbits += uint(dist.lengths[code]) + uint(distExtraBits[code])
		}
		n, bits, nbits = putFullWord(out, n, bits, nbits)
	}
	w.bits, w.nbits, w.out = bits, nbits, out[:n]
	w.writeCode(litLen, endOfBlock)
}

// putFullWord stores the low 32 bits of the bit buffer at out[n:] once it
// holds that many, and returns the buffer's new state.
func putFullWord(out []byte, n int, bits uint64, nbits uint) (int, uint64, uint) {
	if nbits < 32 {
		return n, bits, nbits
	}
	binary.LittleEndian.PutUint32(out[n:], uint32(bits))
	return n + 4, bits >> 32, nbits - 32
}
