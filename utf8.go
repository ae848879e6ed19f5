package websocket

import "unicode/utf8"

// RFC 6455 section 8.1: when an endpoint receives a text message whose bytes
// are not valid UTF-8 it must fail the WebSocket connection (close code 1007).
// Section 5.6 adds that a text message is only valid as a whole, so a
// fragmented message may split a character across frames. utf8Validator
// therefore keeps the state of a character that a frame leaves open and
// rejects the stream at the first byte that no later byte could repair, which
// is what lets the connection fail on the very frame that broke the text.
//
// The bulk of each chunk is handed to utf8.Valid, whose word-at-a-time ASCII
// path and per-character checks measured faster than a hand-written loop
// (see BenchmarkUTF8Validator); the validator itself only deals with the
// character at each end of a chunk, which may be split across chunks.

const (
	// continuationLo and continuationHi bound a continuation byte
	// (10xxxxxx), the range every trailing byte of Table 3-7 falls in.
	continuationLo = 0x80
	continuationHi = 0xBF
	// nonASCIIIndex masks a byte >= utf8.RuneSelf down to its index in
	// leadRules.
	nonASCIIIndex = 0x7F
)

// leadRule is what Table 3-7 of the Unicode Standard (well-formed UTF-8 byte
// sequences) says may follow one non-ASCII lead byte.
type leadRule struct {
	// tail is how many continuation bytes must follow. It is zero for bytes
	// that can never start a character: continuation bytes, the overlong
	// leads C0 and C1, and F5..FF, which would encode beyond U+10FFFF.
	tail uint8
	// lo and hi bound the first continuation byte. Only that byte varies:
	// the narrower ranges after E0, ED, F0 and F4 are what rule out overlong
	// forms, UTF-16 surrogates and code points above U+10FFFF.
	lo, hi uint8
}

// leadRules maps every byte from 0x80 to 0xFF (indexed by b&nonASCIIIndex) to
// its rule.
var leadRules = buildLeadRules()

// buildLeadRules transcribes the non-ASCII rows of Table 3-7, so the table
// can be checked against the standard line by line.
func buildLeadRules() [utf8.RuneSelf]leadRule {
	rows := [...]struct {
		first, last uint8 // range of lead bytes the row covers
		rule        leadRule
	}{
		{0xC2, 0xDF, leadRule{tail: 1, lo: 0x80, hi: 0xBF}},
		{0xE0, 0xE0, leadRule{tail: 2, lo: 0xA0, hi: 0xBF}},
		{0xE1, 0xEC, leadRule{tail: 2, lo: 0x80, hi: 0xBF}},
		{0xED, 0xED, leadRule{tail: 2, lo: 0x80, hi: 0x9F}},
		{0xEE, 0xEF, leadRule{tail: 2, lo: 0x80, hi: 0xBF}},
		{0xF0, 0xF0, leadRule{tail: 3, lo: 0x90, hi: 0xBF}},
		{0xF1, 0xF3, leadRule{tail: 3, lo: 0x80, hi: 0xBF}},
		{0xF4, 0xF4, leadRule{tail: 3, lo: 0x80, hi: 0x8F}},
	}
	var rules [utf8.RuneSelf]leadRule
	for _, row := range rows {
		for b := int(row.first); b <= int(row.last); b++ {
			rules[b&nonASCIIIndex] = row.rule
		}
	}
	return rules
}

// utf8Validator checks a stream of bytes for well-formed UTF-8, one chunk at
// a time. The zero value is ready to use.
type utf8Validator struct {
	// tail is how many continuation bytes the open character still needs;
	// zero when the bytes so far end on a character boundary.
	tail uint8
	// lo and hi bound the next byte while tail > 0.
	lo, hi uint8
	// failed records that the stream can no longer become valid.
	failed bool
}

// write feeds p and reports whether everything fed so far is still a valid
// prefix of UTF-8. Once it returns false it keeps returning false until reset.
func (v *utf8Validator) write(p []byte) bool {
	if v.failed {
		return false
	}
	p = p[v.continueCharacter(p):]
	if v.failed {
		return false // a byte of the character an earlier chunk opened was wrong
	}
	if len(p) == 0 {
		return true // p was used up finishing, or still not finishing, that character
	}
	// p now starts on a character boundary. A byte that is not a
	// continuation byte always starts a character, so everything before
	// the last such byte must be whole characters.
	last := lastCharacterStart(p)
	if !utf8.Valid(p[:last]) {
		v.failed = true
		return false
	}
	v.startCharacter(p[last])
	rest := p[last+1:]
	if v.continueCharacter(rest) < len(rest) {
		// A continuation byte was out of range, or more followed than
		// the character takes.
		v.failed = true
	}
	return !v.failed
}

// complete reports whether the bytes fed so far end on a character boundary
// (no sequence left open) and were valid.
func (v *utf8Validator) complete() bool {
	return !v.failed && v.tail == 0
}

// reset forgets everything fed so far, ready for the next message.
func (v *utf8Validator) reset() {
	*v = utf8Validator{}
}

// startCharacter opens the character whose lead byte is b, or sets v.failed
// if no character can start with b. It must only be called on a character
// boundary.
func (v *utf8Validator) startCharacter(b byte) {
	if b < utf8.RuneSelf {
		return
	}
	rule := leadRules[b&nonASCIIIndex]
	if rule.tail == 0 {
		v.failed = true
		return
	}
	v.tail, v.lo, v.hi = rule.tail, rule.lo, rule.hi
}

// continueCharacter consumes the continuation bytes the open character still
// needs from the front of p and returns how many it consumed, setting
// v.failed at the first one out of range.
func (v *utf8Validator) continueCharacter(p []byte) int {
	n := 0
	for v.tail > 0 && n < len(p) {
		b := p[n]
		if b < v.lo || b > v.hi {
			v.failed = true
			return n
		}
		v.tail--
		v.lo, v.hi = continuationLo, continuationHi
		n++
	}
	return n
}

// lastCharacterStart returns the index of the last byte of p that is not a
// continuation byte, looking back no further than one character is long.
// When the last utf8.UTFMax bytes (or all of a shorter p) are continuation
// bytes, the text is broken there: it returns the index of the first of them,
// which startCharacter then rejects.
func lastCharacterStart(p []byte) int {
	stop := max(len(p)-utf8.UTFMax, 0)
	for i := len(p) - 1; i > stop; i-- {
		if p[i] < continuationLo || p[i] > continuationHi {
			return i
		}
	}
	return stop
}
