package websocket

import (
	"encoding/binary"
	"errors"
	"io"
)

// The deflate decoder (RFC 1951 section 3.2) of the inflater. It accepts and
// rejects exactly what compress/flate does, which FuzzDecompress checks: an
// input that runs out ends the stream with io.ErrUnexpectedEOF (the end of a
// message, after the sync flush the receiver appends), and a code or a
// distance that breaks the format is errInvalidDeflate.

var errInvalidDeflate = errors.New("websocket: invalid deflate data")

const (
	litLenRootBits = 9 // the bits of the first lookup of a literal/length code
	distRootBits   = 6
	codeLenRoot    = maxCodeLengthBits

	// Table sizes for the largest complete codes of each alphabet with these
	// root bits: 852 and 592 are the bounds zlib computes (its enough.c) for
	// 286 and 30 symbols of at most 15 bits.
	litLenTableSize  = 852
	distTableSize    = 592
	codeLenTableSize = 1 << codeLenRoot

	// A table entry: the symbol above bit 8 and the code length in the low
	// 4 bits, or, with linkEntry set, the offset of a second-level table
	// above bit 8 and the bits it is indexed by in the low 4 bits. An entry
	// of 0 is a bit pattern no code starts with.
	linkEntry   = 1 << 31
	entryShift  = 8
	entryLenMax = 0xf

	// inflateRoom is the output decoded ahead of the reader, after the 32
	// KiB a match may reach back into.
	inflateRoom = 16 << 10
)

// huffmanDecoder decodes the symbols of one code with a table indexed by the
// next root bits of input, and second-level tables for the longer codes.
type huffmanDecoder struct {
	entries []uint32
	root    uint
	// minBits is what compress/flate reads before its first lookup: the
	// shortest code, or for literals/lengths the end of block's if longer.
	// Reading the same keeps the end of a truncated input where it is there.
	minBits uint
}

// init builds the decoder of the code with the given lengths and reports
// whether the code is valid: complete, or a single code of one bit, or empty
// (which fails when used), as RFC 1951 and zlib accept.
func (h *huffmanDecoder) init(lengths []uint8, root uint) bool {
	var count [maxCodeBits + 1]uint16
	shortest, longest := 0, 0
	for _, l := range lengths {
		if l == 0 {
			continue
		}
		if shortest == 0 || int(l) < shortest {
			shortest = int(l)
		}
		longest = max(longest, int(l))
		count[l]++
	}
	h.root = root
	h.minBits = uint(shortest)
	clear(h.entries[:1<<root])
	if longest == 0 {
		return true
	}
	space := 0
	for l := 1; l <= maxCodeBits; l++ {
		space += int(count[l]) << (maxCodeBits - l)
	}
	if space != 1<<maxCodeBits && !(longest == 1 && count[1] == 1) {
		return false
	}

	// The codes that fit the root table go in; for the longer ones, the
	// size of the second-level table under each root pattern is noted.
	var subBits [1 << litLenRootBits]uint8
	var long [numFixedLitLen]struct {
		symbol, reversed uint16
		length           uint8
	}
	numLong := 0
	next := firstCodes(&count)
	for symbol, l := range lengths {
		if l == 0 {
			continue
		}
		reversed := int(reversedCode(next[l], l))
		next[l]++
		if uint(l) > root {
			prefix := reversed & (1<<root - 1)
			subBits[prefix] = max(subBits[prefix], l-uint8(root))
			long[numLong].symbol, long[numLong].reversed, long[numLong].length = uint16(symbol), uint16(reversed), l
			numLong++
			continue
		}
		entry := uint32(symbol)<<entryShift | uint32(l)
		for i := reversed; i < 1<<root; i += 1 << l {
			h.entries[i] = entry
		}
	}
	if numLong == 0 {
		return true // small blocks often have no code longer than the root
	}
	offset := 1 << root
	for prefix, n := range subBits[:1<<root] {
		if n == 0 {
			continue
		}
		if offset+1<<n > len(h.entries) {
			return false // not for a complete code: the sizes are bounds
		}
		h.entries[prefix] = linkEntry | uint32(offset)<<entryShift | uint32(n)
		clear(h.entries[offset : offset+1<<n])
		offset += 1 << n
	}
	for _, code := range long[:numLong] {
		link := h.entries[int(code.reversed)&(1<<root-1)]
		base, n := int(link>>entryShift&0xffff), uint(link&entryLenMax)
		entry := uint32(code.symbol)<<entryShift | uint32(code.length)
		for i := int(code.reversed) >> root; i < 1<<n; i += 1 << (uint(code.length) - root) {
			h.entries[base+i] = entry
		}
	}
	return true
}

// bitReader holds the input bits not yet decoded, least significant first.
type bitReader struct {
	bits  uint64
	nbits uint
}

// moreBits adds at least a byte of input to the bit buffer: up to 7 at once
// when the source holds them, else one, filling the source as needed. A
// source that has nothing more gives io.ErrUnexpectedEOF.
func (inf *inflater) moreBits() error {
	s := &inf.src
	if s.w-s.r >= 8 {
		n := (63 - inf.in.nbits) >> 3
		inf.in.bits |= binary.LittleEndian.Uint64(s.buf[s.r:]) << inf.in.nbits
		inf.in.nbits += n * 8
		inf.in.bits &= 1<<inf.in.nbits - 1
		s.r += int(n)
		return nil
	}
	if err := s.await(); err != nil {
		return err
	}
	inf.in.bits |= uint64(s.buf[s.r]) << inf.in.nbits
	inf.in.nbits += 8
	s.r++
	return nil
}

// needBits makes sure the bit buffer holds at least n bits, n <= 56.
func (inf *inflater) needBits(n uint) error {
	for inf.in.nbits < n {
		if err := inf.moreBits(); err != nil {
			return err
		}
	}
	return nil
}

// takeBits removes and returns the next n bits, which must be buffered.
func (inf *inflater) takeBits(n uint) int {
	v := int(inf.in.bits & (1<<n - 1))
	inf.in.bits >>= n
	inf.in.nbits -= n
	return v
}

// readBits reads the next n bits, n <= 56.
func (inf *inflater) readBits(n uint) (int, error) {
	if err := inf.needBits(n); err != nil {
		return 0, err
	}
	return inf.takeBits(n), nil
}

// symbol decodes the next symbol of h.
func (inf *inflater) symbol(h *huffmanDecoder) (int, error) {
	if err := inf.needBits(h.minBits); err != nil {
		return 0, err
	}
	for {
		entry := h.entries[inf.in.bits&(1<<h.root-1)]
		if entry&linkEntry != 0 {
			n := uint(entry & entryLenMax)
			entry = h.entries[int(entry>>entryShift&0xffff)+int(inf.in.bits>>h.root&(1<<n-1))]
		}
		n := uint(entry & entryLenMax)
		if n == 0 {
			return 0, errInvalidDeflate
		}
		if n <= inf.in.nbits {
			inf.in.bits >>= n
			inf.in.nbits -= n
			return int(entry >> entryShift), nil
		}
		if err := inf.moreBits(); err != nil {
			return 0, err
		}
	}
}

// The states of the decoder between two calls.
const (
	atBlockHeader = iota
	inStoredBlock
	inHuffmanBlock
	atStreamEnd // after a block with BFINAL set
)

// fixedLitLenDecoder and fixedDistDecoder decode fixed Huffman blocks (RFC
// 1951 section 3.2.6); the distance code covers 32 symbols, of which 30 and
// 31 are invalid.
var fixedLitLenDecoder, fixedDistDecoder = func() (huffmanDecoder, huffmanDecoder) {
	lit := huffmanDecoder{entries: make([]uint32, litLenTableSize)}
	lit.init(fixedLitLenCode.lengths[:], litLenRootBits)
	var distLengths [32]uint8
	for i := range distLengths {
		distLengths[i] = 5
	}
	dist := huffmanDecoder{entries: make([]uint32, distTableSize)}
	dist.init(distLengths[:], distRootBits)
	return lit, dist
}()

// decode decodes input into the window until the window has no room left,
// a block ends or the input ends. It returns the error that ends the stream.
func (inf *inflater) decode() error {
	switch inf.state {
	case atBlockHeader:
		return inf.blockHeader()
	case inStoredBlock:
		return inf.storedData()
	case inHuffmanBlock:
		return inf.huffmanData()
	}
	return io.EOF
}

// blockHeader reads the header of the next block (RFC 1951 section 3.2.3).
func (inf *inflater) blockHeader() error {
	header, err := inf.readBits(3)
	if err != nil {
		return err
	}
	inf.final = header&1 != 0
	switch header >> 1 {
	case 0:
		// Stored: the rest of the current byte is dropped, then LEN and NLEN.
		inf.takeBits(inf.in.nbits % 8)
		lengths, err := inf.readBits(32)
		if err != nil {
			return err
		}
		if uint16(lengths) != ^uint16(lengths>>16) {
			return errInvalidDeflate
		}
		inf.stored = lengths & 0xffff
		inf.state = inStoredBlock
	case 1:
		inf.lit, inf.dist = &fixedLitLenDecoder, &fixedDistDecoder
		inf.state = inHuffmanBlock
	case 2:
		if err := inf.dynamicHeader(); err != nil {
			return err
		}
		inf.lit, inf.dist = &inf.dynamicLit, &inf.dynamicDist
		inf.state = inHuffmanBlock
	default:
		return errInvalidDeflate
	}
	return nil
}

// dynamicHeader reads the codes of a dynamic block (RFC 1951 section 3.2.7).
func (inf *inflater) dynamicHeader() error {
	counts, err := inf.readBits(14)
	if err != nil {
		return err
	}
	numLitLen, numDist, numLengthCodes := counts&0x1f+257, counts>>5&0x1f+1, counts>>10+4
	if numLitLen > numLitLenSymbols || numDist > numDistSymbols {
		return errInvalidDeflate
	}
	var codeLengths [numCodeLengthCodes]uint8
	for _, symbol := range codeLengthOrder[:numLengthCodes] {
		l, err := inf.readBits(3)
		if err != nil {
			return err
		}
		codeLengths[symbol] = uint8(l)
	}
	if !inf.codeLengthDecoder.init(codeLengths[:], codeLenRoot) {
		return errInvalidDeflate
	}
	var lengths [numLitLenSymbols + numDistSymbols]uint8
	n := numLitLen + numDist
	for i := 0; i < n; {
		symbol, err := inf.symbol(&inf.codeLengthDecoder)
		if err != nil {
			return err
		}
		if symbol < repeatPrevious {
			lengths[i] = uint8(symbol)
			i++
			continue
		}
		var repeat int
		var length uint8
		switch symbol {
		case repeatPrevious:
			if i == 0 {
				return errInvalidDeflate
			}
			length = lengths[i-1]
			repeat, err = inf.readBits(2)
			repeat += minRepeatPrevious
		case repeatZeros:
			repeat, err = inf.readBits(3)
			repeat += minRepeatZeros
		default:
			repeat, err = inf.readBits(7)
			repeat += minRepeatManyZeros
		}
		if err != nil {
			return err
		}
		if i+repeat > n {
			return errInvalidDeflate
		}
		for ; repeat > 0; repeat-- {
			lengths[i] = length
			i++
		}
	}
	if !inf.dynamicLit.init(lengths[:numLitLen], litLenRootBits) || !inf.dynamicDist.init(lengths[numLitLen:n], distRootBits) {
		return errInvalidDeflate
	}
	inf.dynamicLit.minBits = max(inf.dynamicLit.minBits, uint(lengths[endOfBlock]))
	return nil
}

// storedData copies the bytes of a stored block into the window.
func (inf *inflater) storedData() error {
	for inf.stored > 0 && inf.w < len(inf.window) {
		if inf.in.nbits >= 8 {
			// Bytes the bit buffer read ahead come first.
			inf.window[inf.w] = byte(inf.takeBits(8))
			inf.w++
			inf.stored--
			continue
		}
		s := &inf.src
		if err := s.await(); err != nil {
			return err
		}
		n := copy(inf.window[inf.w:min(len(inf.window), inf.w+inf.stored)], s.buf[s.r:s.w])
		s.r += n
		inf.w += n
		inf.stored -= n
	}
	if inf.stored == 0 {
		inf.endBlock()
	}
	return nil
}

// huffmanData decodes the symbols of a Huffman block until its end or until
// the window could not hold the longest match. While the source holds 8
// bytes it decodes a token at a time from a bit buffer refilled at once,
// in locals; near the end of the input, token does it a bit at a time.
func (inf *inflater) huffmanData() error {
	window, lit, dist := inf.window, inf.lit, inf.dist
	litMask, distMask := uint64(1)<<lit.root-1, uint64(1)<<dist.root-1
	src := &inf.src
	bits, nbits, w := inf.in.bits, inf.in.nbits, inf.w
	// The output decoded before an invalid code is delivered, as
	// compress/flate delivers it: every exit stores the locals back.
	var err error
	for w <= len(window)-inflateSlack {
		if nbits < maxTokenBits {
			if src.w-src.r < 8 {
				inf.in.bits, inf.in.nbits, inf.w = bits, nbits, w
				ended, err := inf.token()
				if ended || err != nil {
					return err
				}
				bits, nbits, w = inf.in.bits, inf.in.nbits, inf.w
				continue
			}
			n := (63 - nbits) >> 3
			bits |= binary.LittleEndian.Uint64(src.buf[src.r:]) << nbits
			nbits += n * 8
			bits &= 1<<nbits - 1
			src.r += int(n)
		}
		entry := lit.entries[bits&litMask]
		if entry&linkEntry != 0 {
			entry = lit.entries[int(entry>>entryShift&0xffff)+int(bits>>lit.root&(1<<(entry&entryLenMax)-1))]
		}
		n := uint(entry & entryLenMax)
		if n == 0 {
			err = errInvalidDeflate
			break
		}
		bits >>= n
		nbits -= n
		symbol := int(entry >> entryShift)
		if symbol < endOfBlock {
			window[w] = byte(symbol)
			w++
			continue
		}
		if symbol == endOfBlock {
			inf.endBlock()
			break
		}
		code := symbol - endOfBlock - 1
		if code >= len(lengthBases) {
			err = errInvalidDeflate
			break
		}
		info := lengthInfo[code]
		n = info.extraBits()
		length := info.base() + int(bits&(1<<n-1))
		bits >>= n
		nbits -= n

		entry = dist.entries[bits&distMask]
		if entry&linkEntry != 0 {
			entry = dist.entries[int(entry>>entryShift&0xffff)+int(bits>>dist.root&(1<<(entry&entryLenMax)-1))]
		}
		n = uint(entry & entryLenMax)
		if n == 0 {
			err = errInvalidDeflate
			break
		}
		bits >>= n
		nbits -= n
		code = int(entry >> entryShift)
		if code >= numDistSymbols {
			err = errInvalidDeflate
			break
		}
		info = distInfo[code]
		n = info.extraBits()
		distance := info.base() + int(bits&(1<<n-1))
		bits >>= n
		nbits -= n
		if distance > w-inf.historyStart {
			err = errInvalidDeflate
			break
		}
		copyMatch(window, w, distance, length)
		w += length
	}
	inf.in.bits, inf.in.nbits, inf.w = bits, nbits, w
	return err
}

// codeInfo packs what decoding a length or a distance code needs: the
// value of its first length or distance, and above infoExtraShift its extra
// bits, one load where the tables would be two.
type codeInfo uint32

const infoExtraShift = 16

// extraBits is how many extra bits follow the code.
func (i codeInfo) extraBits() uint { return uint(i >> infoExtraShift) }

// base is the length or distance the code stands for with extra bits 0.
func (i codeInfo) base() int { return int(i & (1<<infoExtraShift - 1)) }

// lengthInfo and distInfo are the codeInfo of each length and distance code.
var lengthInfo, distInfo = func() (lengths [len(lengthBases)]codeInfo, dists [numDistSymbols]codeInfo) {
	for code, base := range lengthBases {
		lengths[code] = codeInfo(lengthExtraBits[code])<<infoExtraShift | codeInfo(base+minMatchLength)
	}
	for code, base := range distBases {
		dists[code] = codeInfo(distExtraBits[code])<<infoExtraShift | codeInfo(base+1)
	}
	return lengths, dists
}()

// maxTokenBits is the most bits a literal or a match takes: a code and
// extra bits for the length, a code and extra bits for the distance.
const maxTokenBits = maxCodeBits + 5 + maxCodeBits + 13

// inflateSlack is the room a match needs after the output: its longest
// length, and the 8-byte stores of copyMatch running past it.
const inflateSlack = maxMatchLength + 8

// copyMatch copies length bytes from distance bytes back to window[w:]. A
// distance of 8 or more lets it copy 8 bytes at a time, even where source
// and destination overlap, and it may write up to 7 bytes past the match.
func copyMatch(window []byte, w, distance, length int) {
	from := w - distance
	if distance >= 8 {
		for i := 0; i < length; i += 8 {
			binary.LittleEndian.PutUint64(window[w+i:], binary.LittleEndian.Uint64(window[from+i:]))
		}
		return
	}
	// A run of the last distance bytes, repeated.
	for i := range length {
		window[w+i] = window[from+i]
	}
}

// token decodes one literal or match, or the end of the block, reading the
// input a byte at a time as compress/flate does, so that an input that ends
// inside the block stops where it stops there. It reports whether the
// block ended.
func (inf *inflater) token() (ended bool, err error) {
	symbol, err := inf.symbol(inf.lit)
	if err != nil {
		return false, err
	}
	if symbol < endOfBlock {
		inf.window[inf.w] = byte(symbol)
		inf.w++
		return false, nil
	}
	if symbol == endOfBlock {
		inf.endBlock()
		return true, nil
	}
	code := symbol - endOfBlock - 1
	if code >= len(lengthBases) {
		return false, errInvalidDeflate
	}
	info := lengthInfo[code]
	extra, err := inf.readBits(info.extraBits())
	if err != nil {
		return false, err
	}
	length := info.base() + extra
	if code, err = inf.symbol(inf.dist); err != nil {
		return false, err
	}
	if code >= numDistSymbols {
		return false, errInvalidDeflate
	}
	info = distInfo[code]
	if extra, err = inf.readBits(info.extraBits()); err != nil {
		return false, err
	}
	distance := info.base() + extra
	if distance > inf.w-inf.historyStart {
		return false, errInvalidDeflate
	}
	copyMatch(inf.window, inf.w, distance, length)
	inf.w += length
	return false, nil
}

// endBlock moves on after the end of a block.
func (inf *inflater) endBlock() {
	if inf.final {
		inf.state = atStreamEnd
	} else {
		inf.state = atBlockHeader
	}
}

// Read implements io.Reader: the decompressed bytes of the message.
func (inf *inflater) Read(p []byte) (int, error) {
	for {
		if inf.r < inf.w {
			n := copy(p, inf.window[inf.r:inf.w])
			inf.r += n
			return n, nil
		}
		if inf.err != nil {
			return 0, inf.err
		}
		inf.makeRoom()
		inf.err = inf.decode()
	}
}

// makeRoom slides the window once the reader has taken all of its output
// and there is no room left for a match: the last 32 KiB stay, as far back
// as a match may reach.
func (inf *inflater) makeRoom() {
	if inf.window == nil {
		inf.window = make([]byte, maxWindowSize+inflateRoom+inflateSlack)
	}
	if inf.w <= len(inf.window)-inflateSlack || inf.state == inStoredBlock && inf.w < len(inf.window) {
		return
	}
	drop := inf.w - maxWindowSize
	copy(inf.window, inf.window[drop:inf.w])
	inf.w -= drop
	inf.r = inf.w
	inf.historyStart = max(inf.historyStart-drop, 0)
}
