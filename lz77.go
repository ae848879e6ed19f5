package websocket

import (
	"compress/flate"
	"encoding/binary"
	"math/bits"
)

// The matchers of the deflater: they find the repeated strings of the input
// (LZ77, RFC 1951 section 4) and hand literals and matches to a blockWriter.
// A match never reaches back further than the deflater's window, which is
// how a window under 32 KiB (RFC 7692 section 7.1.2) is honoured.
//
// Positions in the hash table and the chains are absolute: the index in buf
// plus base, so that sliding buf or forgetting it leaves stale entries
// pointing before buf, where they are ignored.

const (
	// hashBits sizes the hash table: 2^14 positions, 64 KiB.
	hashBits = 14
	// hashedBytes is the length of the strings hashed, hence of the
	// shortest match the matchers find.
	hashedBytes = 4
	// skipShift sets how fast the greedy matcher steps through input that
	// does not repeat: one more byte per 2^skipShift bytes since the last match.
	skipShift = 5
	// maxAbsolutePosition bounds base+len(buf), so positions fit an int32.
	maxAbsolutePosition = 1 << 30
	// chainMask maps a position to its slot in the chain, a ring of one
	// 32 KiB window: a match never reaches further back.
	chainMask = maxWindowSize - 1
)

// matchEffort is how hard the chained matcher searches at a level.
type matchEffort struct {
	chain int  // candidates tried per position
	nice  int  // a match this long ends the search
	lazy  bool // look one position ahead for a longer match before taking one
}

// efforts holds the effort of levels 2 to 9; level 1 is the greedy matcher.
// The chain and nice figures, and lazy matching from level 4 on, are those
// of compress/flate's levels, so that a level costs and gains about what
// users of that package expect.
var efforts = [10]matchEffort{
	2: {chain: 8, nice: 16},
	3: {chain: 32, nice: 32},
	4: {chain: 16, nice: 16, lazy: true},
	5: {chain: 32, nice: 32, lazy: true},
	6: {chain: 128, nice: 128, lazy: true},
	7: {chain: 256, nice: 128, lazy: true},
	8: {chain: 1024, nice: maxMatchLength, lazy: true},
	9: {chain: 4096, nice: maxMatchLength, lazy: true},
}

// farShortMatch is the distance beyond which a match of hashedBytes bytes is
// not worth its distance code: four literals usually cost fewer bits.
const farShortMatch = 4096

// hash4 hashes four bytes by a multiplication whose high bits mix them all.
func hash4(u uint32) uint32 { return u * 0x9e3779b1 >> (32 - hashBits) }

// matchLength returns how many leading bytes of b equal those of a, which is
// at least as long.
func matchLength(a, b []byte) int {
	n := 0
	for ; len(b)-n >= 8; n += 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
	}
	for n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// candidate turns an absolute position from the table into an index in buf
// that a match at s may copy from, or returns -1.
func (d *deflater) candidate(abs int32, s int) int {
	c := int(abs) - d.base
	if c < 0 || s-c > d.window {
		return -1
	}
	return c
}

// tokenize hands the literals and matches of buf[start:end] to b, found as
// hard as the level asks.
func (d *deflater) tokenize(b *blockWriter, start, end int) {
	switch d.level {
	case flate.HuffmanOnly:
		b.literals(d.buf[start:end])
	case flate.BestSpeed:
		d.matchGreedy(b, start, end)
	default:
		d.matchChained(b, start, end, efforts[d.level])
	}
}

// matchGreedy tokenizes buf[start:end] with one candidate per position, the
// last position that hashed alike, and takes every match it finds (level 1).
func (d *deflater) matchGreedy(b *blockWriter, start, end int) {
	// Locals, which the stores into the table would otherwise reload.
	buf, table, base, window := d.buf[:end], &d.table, d.base, d.window
	s, lit := start, start
	for s+hashedBytes <= end {
		cur := binary.LittleEndian.Uint32(buf[s:])
		h := hash4(cur)
		c := int(table[h]) - base
		table[h] = int32(s + base)
		if c < 0 || s-c > window || binary.LittleEndian.Uint32(buf[c:]) != cur {
			s += 1 + (s-lit)>>skipShift
			continue
		}
		length := hashedBytes + matchLength(buf[c+hashedBytes:], buf[s+hashedBytes:min(end, s+maxMatchLength)])
		for s > lit && c > 0 && length < maxMatchLength && buf[s-1] == buf[c-1] {
			s, c, length = s-1, c-1, length+1
		}
		b.literals(buf[lit:s])
		b.match(length, s-c)
		s += length
		lit = s
		// The string just before the next position is likely to recur.
		if p := s - 1; p+hashedBytes <= end {
			table[hash4(binary.LittleEndian.Uint32(buf[p:]))] = int32(p + base)
		}
	}
	b.literals(buf[lit:end])
	d.inserted = end
}

// matchChained tokenizes buf[start:end] trying up to e.chain earlier
// positions of the same hash at each position (levels 2 to 9).
func (d *deflater) matchChained(b *blockWriter, start, end int, e matchEffort) {
	if d.chain == nil {
		d.chain = make([]int32, maxWindowSize)
	}
	buf := d.buf[:end]
	s, lit := start, start
	for s+hashedBytes <= end {
		length, distance := d.longestMatch(s, end, e)
		if length == 0 {
			s++
			continue
		}
		for e.lazy && length < e.nice && s+1+hashedBytes <= end {
			next, nextDistance := d.longestMatch(s+1, end, e)
			if next <= length {
				break
			}
			s, length, distance = s+1, next, nextDistance
		}
		b.literals(buf[lit:s])
		b.match(length, distance)
		s += length
		lit = s
	}
	b.literals(buf[lit:end])
}

// longestMatch returns the longest match for position s found within the
// effort, or a length of 0. It first adds the positions before s to the
// table and chains.
func (d *deflater) longestMatch(s, end int, e matchEffort) (length, distance int) {
	buf := d.buf[:end]
	for ; d.inserted < s && d.inserted+hashedBytes <= end; d.inserted++ {
		h := hash4(binary.LittleEndian.Uint32(buf[d.inserted:]))
		abs := int32(d.inserted + d.base)
		d.chain[abs&chainMask] = d.table[h]
		d.table[h] = abs
	}
	limit := min(end, s+maxMatchLength)
	best := hashedBytes - 1
	abs := d.table[hash4(binary.LittleEndian.Uint32(buf[s:]))]
	for tries := e.chain; tries > 0; tries-- {
		c := d.candidate(abs, s)
		if c < 0 {
			break
		}
		// The byte that would make the match longer than the best decides
		// most candidates at once.
		if buf[c+best] == buf[s+best] {
			if n := matchLength(buf[c:], buf[s:limit]); n > best && (n > hashedBytes || s-c <= farShortMatch) {
				best, distance = n, s-c
				if n >= e.nice || s+n == limit {
					break
				}
			}
		}
		next := d.chain[abs&chainMask]
		if next >= abs {
			break // a slot overwritten by a later position
		}
		abs = next
	}
	if best < hashedBytes {
		return 0, 0
	}
	return best, distance
}
