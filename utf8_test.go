package websocket

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// neverFails is the failAt of a row whose bytes are a valid prefix of UTF-8
// to the end, whether or not the last character is finished.
const neverFails = -1

// utf8Case is one input with what the validator must make of it.
type utf8Case struct {
	name string
	in   string
	// valid is whether the input is well-formed UTF-8 as a whole message.
	valid bool
	// failAt is the index of the byte at which write first returns false
	// when the input is fed one byte at a time, or neverFails.
	failAt int
}

// kuhnCases follows the categories of Markus Kuhn's UTF-8 decoder capability
// and stress test. The 5- and 6-byte forms of the old ISO 10646 UTF-8 are
// rejected at their lead byte, since F8..FD cannot start a character.
var kuhnCases = []utf8Case{
	// 1: some correct UTF-8 text.
	{"1 greek kosme", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", true, neverFails},
	{"1 empty", "", true, neverFails},

	// 2.1: first code point of each sequence length.
	{"2.1 U+0000", "\x00", true, neverFails},
	{"2.1 U+0080", "\xC2\x80", true, neverFails},
	{"2.1 U+0800", "\xE0\xA0\x80", true, neverFails},
	{"2.1 U+10000", "\xF0\x90\x80\x80", true, neverFails},
	{"2.1 5-byte U+200000", "\xF8\x88\x80\x80\x80", false, 0},
	{"2.1 6-byte U+4000000", "\xFC\x84\x80\x80\x80\x80", false, 0},

	// 2.2: last code point of each sequence length.
	{"2.2 U+007F", "\x7F", true, neverFails},
	{"2.2 U+07FF", "\xDF\xBF", true, neverFails},
	{"2.2 U+FFFF", "\xEF\xBF\xBF", true, neverFails},
	{"2.2 4-byte U+1FFFFF", "\xF7\xBF\xBF\xBF", false, 0},
	{"2.2 5-byte U+3FFFFFF", "\xFB\xBF\xBF\xBF\xBF", false, 0},
	{"2.2 6-byte U+7FFFFFFF", "\xFD\xBF\xBF\xBF\xBF\xBF", false, 0},

	// 2.3: other boundary conditions.
	{"2.3 U+D7FF", "\xED\x9F\xBF", true, neverFails},
	{"2.3 U+E000", "\xEE\x80\x80", true, neverFails},
	{"2.3 U+FFFD", "\xEF\xBF\xBD", true, neverFails},
	{"2.3 U+10FFFF", "\xF4\x8F\xBF\xBF", true, neverFails},
	{"2.3 U+110000", "\xF4\x90\x80\x80", false, 1},

	// 3.1: unexpected continuation bytes.
	{"3.1 first continuation 80", "\x80", false, 0},
	{"3.1 last continuation BF", "\xBF", false, 0},
	{"3.1 two continuations", "\x80\xBF", false, 0},
	{"3.1 three continuations", "\x80\xBF\x80", false, 0},
	{"3.1 continuation after ASCII", "ab\x80", false, 2},
	{"3.1 continuation after whole character", "\xC2\x80\x80", false, 2},
	{"3.1 continuation after 4-byte", "\xF0\x9F\x98\x80\xBF", false, 4},

	// 3.2: lonely start bytes (each followed by a space) are in
	// lonelyStartCases; 3.3: sequences with the last continuation byte
	// missing are valid prefixes that never complete.
	{"3.3 2-byte U+0000 missing last", "\xC0", false, 0},
	{"3.3 3-byte U+0000 missing last", "\xE0\x80", false, 1},
	{"3.3 4-byte U+0000 missing last", "\xF0\x80\x80", false, 1},
	{"3.3 5-byte U+0000 missing last", "\xF8\x80\x80\x80", false, 0},
	{"3.3 6-byte U+0000 missing last", "\xFC\x80\x80\x80\x80", false, 0},
	{"3.3 2-byte U+07FF missing last", "\xDF", false, neverFails},
	{"3.3 3-byte U+FFFF missing last", "\xEF\xBF", false, neverFails},
	{"3.3 4-byte U+10FFFF missing last", "\xF4\x8F\xBF", false, neverFails},
	{"3.3 4-byte U+1FFFFF missing last", "\xF7\xBF\xBF", false, 0},
	{"3.3 2-byte U+0080 missing last", "\xC2", false, neverFails},
	{"3.3 3-byte U+0800 missing last", "\xE0\xA0", false, neverFails},
	{"3.3 4-byte U+10000 missing last", "\xF0\x90\x80", false, neverFails},
	{"3.3 missing last after text", "ok \xE2\x82", false, neverFails},

	// 3.4: concatenation of incomplete sequences; the second lead byte
	// arrives where a continuation byte was due.
	{"3.4 concatenated incomplete", "\xDF\xEF\xBF\xF4\x8F\xBF", false, 1},
	{"3.4 concatenated with overlong lead", "\xC0\xE0\x80\xF0\x80\x80", false, 0},
	{"3.4 lead then ASCII", "\xE2\x82a", false, 2},

	// 3.5: impossible bytes.
	{"3.5 FE", "\xFE", false, 0},
	{"3.5 FF", "\xFF", false, 0},
	{"3.5 FE FE FF FF", "\xFE\xFE\xFF\xFF", false, 0},
	{"3.5 FF after text", "text\xFF", false, 4},

	// 4.1: overlong forms of "/" (U+002F).
	{"4.1 2-byte slash", "\xC0\xAF", false, 0},
	{"4.1 3-byte slash", "\xE0\x80\xAF", false, 1},
	{"4.1 4-byte slash", "\xF0\x80\x80\xAF", false, 1},
	{"4.1 5-byte slash", "\xF8\x80\x80\x80\xAF", false, 0},
	{"4.1 6-byte slash", "\xFC\x80\x80\x80\x80\xAF", false, 0},

	// 4.2: maximum overlong sequences.
	{"4.2 2-byte U+007F", "\xC1\xBF", false, 0},
	{"4.2 3-byte U+07FF", "\xE0\x9F\xBF", false, 1},
	{"4.2 4-byte U+FFFF", "\xF0\x8F\xBF\xBF", false, 1},
	{"4.2 5-byte U+1FFFFF", "\xF8\x87\xBF\xBF\xBF", false, 0},
	{"4.2 6-byte U+3FFFFFF", "\xFC\x83\xBF\xBF\xBF\xBF", false, 0},

	// 4.3: overlong NUL.
	{"4.3 2-byte NUL", "\xC0\x80", false, 0},
	{"4.3 3-byte NUL", "\xE0\x80\x80", false, 1},
	{"4.3 4-byte NUL", "\xF0\x80\x80\x80", false, 1},
	{"4.3 5-byte NUL", "\xF8\x80\x80\x80\x80", false, 0},
	{"4.3 6-byte NUL", "\xFC\x80\x80\x80\x80\x80", false, 0},

	// 5.1: single UTF-16 surrogates.
	{"5.1 U+D800", "\xED\xA0\x80", false, 1},
	{"5.1 U+DB7F", "\xED\xAD\xBF", false, 1},
	{"5.1 U+DB80", "\xED\xAE\x80", false, 1},
	{"5.1 U+DBFF", "\xED\xAF\xBF", false, 1},
	{"5.1 U+DC00", "\xED\xB0\x80", false, 1},
	{"5.1 U+DF80", "\xED\xBE\x80", false, 1},
	{"5.1 U+DFFF", "\xED\xBF\xBF", false, 1},
	{"5.1 U+D800 after text", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80edited", false, 12},

	// 5.2: paired UTF-16 surrogates.
	{"5.2 U+D800 U+DC00", "\xED\xA0\x80\xED\xB0\x80", false, 1},
	{"5.2 U+D800 U+DFFF", "\xED\xA0\x80\xED\xBF\xBF", false, 1},
	{"5.2 U+DB7F U+DC00", "\xED\xAD\xBF\xED\xB0\x80", false, 1},
	{"5.2 U+DB7F U+DFFF", "\xED\xAD\xBF\xED\xBF\xBF", false, 1},
	{"5.2 U+DB80 U+DC00", "\xED\xAE\x80\xED\xB0\x80", false, 1},
	{"5.2 U+DB80 U+DFFF", "\xED\xAE\x80\xED\xBF\xBF", false, 1},
	{"5.2 U+DBFF U+DC00", "\xED\xAF\xBF\xED\xB0\x80", false, 1},
	{"5.2 U+DBFF U+DFFF", "\xED\xAF\xBF\xED\xBF\xBF", false, 1},

	// 5.3: noncharacters are well-formed UTF-8 and must be accepted.
	{"5.3 U+FFFE", "\xEF\xBF\xBE", true, neverFails},
	{"5.3 U+FFFF", "\xEF\xBF\xBF", true, neverFails},
	{"5.3 U+FDD0", "\xEF\xB7\x90", true, neverFails},
	{"5.3 U+FDEF", "\xEF\xB7\xAF", true, neverFails},
	{"5.3 U+1FFFE", "\xF0\x9F\xBF\xBE", true, neverFails},
	{"5.3 U+10FFFE", "\xF4\x8F\xBF\xBE", true, neverFails},

	// Code points above U+10FFFF.
	{"above U+10FFFF F4 90", "\xF4\x90\x80\x80", false, 1},
	{"above U+10FFFF F4 BF", "\xF4\xBF\xBF\xBF", false, 1},
	{"above U+10FFFF F5", "\xF5\x80\x80\x80", false, 0},
	{"above U+10FFFF F7", "\xF7\xBF\xBF\xBF", false, 0},
}

// lonelyStartCases builds Kuhn's section 3.2: every start byte followed by a
// space. A start byte that can begin a character fails at the space; one that
// cannot fails at once.
func lonelyStartCases() []utf8Case {
	var cases []utf8Case
	for b := 0xC0; b <= 0xFF; b++ {
		failAt := 1
		if b <= 0xC1 || b >= 0xF5 {
			failAt = 0
		}
		cases = append(cases, utf8Case{fmt.Sprintf("3.2 lonely %02X", b), string([]byte{byte(b), ' '}), false, failAt})
	}
	// Kuhn's 3.1.9: all 64 continuation bytes in a row.
	var continuations []byte
	for b := 0x80; b <= 0xBF; b++ {
		continuations = append(continuations, byte(b))
	}
	cases = append(cases, utf8Case{"3.1 all 64 continuation bytes", string(continuations), false, 0})
	return cases
}

// failIndexByteByByte feeds p to v one byte at a time and returns the index of
// the first byte for which write returned false, or neverFails.
func failIndexByteByByte(v *utf8Validator, p []byte) int {
	for i := range p {
		if !v.write(p[i : i+1]) {
			return i
		}
	}
	return neverFails
}

func TestUTF8ValidatorKuhn(t *testing.T) {
	for _, tc := range slices.Concat(kuhnCases, lonelyStartCases()) {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			if got := utf8.Valid(in); got != tc.valid {
				t.Fatalf("table row disagrees with utf8.Valid = %v", got)
			}
			if got := longestValidPrefix(in); (tc.failAt == neverFails && got != len(in)) || (tc.failAt != neverFails && got != tc.failAt) {
				t.Fatalf("table row failAt %d disagrees with reference longest valid prefix %d", tc.failAt, got)
			}

			var v utf8Validator
			if got := failIndexByteByByte(&v, in); got != tc.failAt {
				t.Errorf("byte by byte: write first false at %d, want %d", got, tc.failAt)
			}
			if got := v.complete(); got != tc.valid {
				t.Errorf("byte by byte: complete() = %v, want %v", got, tc.valid)
			}
			if tc.failAt != neverFails && v.write([]byte("a")) {
				t.Error("write returned true after a failure")
			}

			v.reset()
			if got := v.write(in); got != (tc.failAt == neverFails) {
				t.Errorf("whole: write = %v, want %v", got, tc.failAt == neverFails)
			}
			if got := v.complete(); got != tc.valid {
				t.Errorf("whole: complete() = %v, want %v", got, tc.valid)
			}

			v.reset()
			if !v.write([]byte("fresh \xE2\x82\xAC")) || !v.complete() {
				t.Error("reset did not return the validator to its zero state")
			}
		})
	}
}

func TestUTF8ValidatorCompleteAtMessageEnd(t *testing.T) {
	// Each row feeds frames in order; after every frame write and complete
	// must report what a reader needs: write decides whether to fail the
	// connection now, complete decides whether a final frame may end the
	// message.
	tests := []struct {
		name         string
		frames       []string
		wantWrite    []bool
		wantComplete []bool
	}{
		{"no frames yet", nil, nil, nil},
		{"empty frame", []string{""}, []bool{true}, []bool{true}},
		{"ascii", []string{"hello"}, []bool{true}, []bool{true}},
		{"euro split 1+2", []string{"\xE2", "\x82\xAC"}, []bool{true, true}, []bool{false, true}},
		{"euro split 2+1", []string{"a\xE2\x82", "\xAC"}, []bool{true, true}, []bool{false, true}},
		{"emoji split over four frames", []string{"\xF0", "\x9F", "\x98", "\x80"}, []bool{true, true, true, true}, []bool{false, false, false, true}},
		{"empty frame keeps character open", []string{"\xC3", "", "\xA9"}, []bool{true, true, true}, []bool{false, false, true}},
		{"open then ASCII", []string{"\xC3", "x"}, []bool{true, false}, []bool{false, false}},
		{"open then new lead", []string{"\xE2\x82", "\xE2\x82\xAC"}, []bool{true, false}, []bool{false, false}},
		{"surrogate split at lead", []string{"ok\xED", "\xA0\x80"}, []bool{true, false}, []bool{false, false}},
		{"overlong split at lead", []string{"\xE0", "\x9F\xBF"}, []bool{true, false}, []bool{false, false}},
		{"above max split at lead", []string{"\xF4", "\x90\x80\x80"}, []bool{true, false}, []bool{false, false}},
		{"bad third byte in next frame", []string{"\xF0\x9F", "\x98\x28"}, []bool{true, false}, []bool{false, false}},
		{"failure is sticky", []string{"\xFF", "ok"}, []bool{false, false}, []bool{false, false}},
		{"character finished then more open", []string{"\xC3\xA9\xE2", "\x82\xAC\xF0\x9F"}, []bool{true, true}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v utf8Validator
			if !v.complete() {
				t.Fatal("zero validator is not complete")
			}
			for i, frame := range tt.frames {
				if got := v.write([]byte(frame)); got != tt.wantWrite[i] {
					t.Errorf("frame %d: write = %v, want %v", i, got, tt.wantWrite[i])
				}
				if got := v.complete(); got != tt.wantComplete[i] {
					t.Errorf("frame %d: complete = %v, want %v", i, got, tt.wantComplete[i])
				}
			}
		})
	}
}

// classBytes holds one or two bytes from every range Table 3-7 treats
// differently, so every combination of them walks every transition of the
// validator.
var classBytes = []byte{
	0x00, 0x41, 0x7F, // ASCII
	0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, // continuation sub-ranges
	0xC0, 0xC1, // overlong 2-byte leads
	0xC2, 0xDF, // 2-byte leads
	0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, // 3-byte leads
	0xF0, 0xF1, 0xF3, 0xF4, // 4-byte leads
	0xF5, 0xFF, // never valid
}

func TestUTF8ValidatorAllShortInputs(t *testing.T) {
	// Every input of up to four bytes drawn from classBytes, checked
	// whole and byte by byte against the standard library and the
	// reference prefix function.
	const maxLen = 4
	in := make([]byte, 0, maxLen)
	var walk func()
	walk = func() {
		checkAgainstReference(t, in)
		if len(in) == maxLen {
			return
		}
		for _, b := range classBytes {
			in = append(in, b)
			walk()
			in = in[:len(in)-1]
		}
	}
	walk()
}

// checkAgainstReference checks the validator on p, fed whole and byte by
// byte, against utf8.Valid and longestValidPrefix.
func checkAgainstReference(t *testing.T, p []byte) {
	t.Helper()
	want := utf8.Valid(p)
	wantFailAt := longestValidPrefix(p)
	if wantFailAt == len(p) {
		wantFailAt = neverFails
	}

	var v utf8Validator
	if ok := v.write(p); ok != (wantFailAt == neverFails) || (ok && v.complete()) != want {
		t.Fatalf("%q whole: write = %v, complete = %v; want utf8.Valid = %v, fail at %d", p, ok, v.complete(), want, wantFailAt)
	}
	v.reset()
	if got := failIndexByteByByte(&v, p); got != wantFailAt || v.complete() != want {
		t.Fatalf("%q byte by byte: fail at %d, complete = %v; want fail at %d, utf8.Valid = %v", p, got, v.complete(), wantFailAt, want)
	}
}

// randomText returns n bytes or a little more of text drawn from ASCII,
// 2-, 3- and 4-byte characters (including the edges of each range), with
// corrupt bytes mixed in when corrupt is set.
func randomText(r *rand.Rand, n int, corrupt bool) []byte {
	edges := []rune{0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF}
	var b []byte
	for len(b) < n {
		switch k := r.IntN(10); {
		case k < 4:
			for range r.IntN(20) {
				b = append(b, byte(r.IntN(utf8.RuneSelf)))
			}
		case k < 5:
			b = utf8.AppendRune(b, edges[r.IntN(len(edges))])
		case k < 9:
			ranges := [][2]rune{{0x80, 0x7FF}, {0x800, 0xD7FF}, {0xE000, 0xFFFF}, {0x10000, 0x10FFFF}}
			rg := ranges[r.IntN(len(ranges))]
			b = utf8.AppendRune(b, rg[0]+r.Int32N(rg[1]-rg[0]+1))
		default:
			if corrupt {
				b = append(b, byte(r.IntN(256)))
			}
		}
	}
	if corrupt && len(b) > 0 && r.IntN(2) == 0 {
		// Cut at an arbitrary byte so some inputs end inside a character.
		b = b[:r.IntN(len(b))]
	}
	return b
}

// feedInSplits feeds p to v in chunks whose sizes come from r. It returns
// the index of the chunk whose write first returned false, or neverFails,
// and the chunk boundaries as offsets (len(starts) == number of chunks).
func feedInSplits(v *utf8Validator, p []byte, r *rand.Rand) (failChunk int, starts []int) {
	failChunk = neverFails
	for off := 0; off < len(p); {
		size := 1 + r.IntN(min(len(p)-off, 1+r.IntN(40)))
		starts = append(starts, off)
		if !v.write(p[off:off+size]) && failChunk == neverFails {
			failChunk = len(starts) - 1
		}
		off += size
	}
	return failChunk, starts
}

// checkSplits feeds p to a fresh validator in splits drawn from r and
// checks that write fails in the chunk holding the first bad byte, and that
// the message result matches utf8.Valid.
func checkSplits(t *testing.T, p []byte, r *rand.Rand) {
	t.Helper()
	var v utf8Validator
	failChunk, starts := feedInSplits(&v, p, r)
	prefix := longestValidPrefix(p)
	wantChunk := neverFails
	for i, s := range starts {
		if s <= prefix && prefix < len(p) {
			wantChunk = i
		}
	}
	if failChunk != wantChunk {
		t.Fatalf("%q in chunks starting at %v: write first false in chunk %d, want %d (longest valid prefix %d)", p, starts, failChunk, wantChunk, prefix)
	}
	if got, want := failChunk == neverFails && v.complete(), utf8.Valid(p); got != want {
		t.Fatalf("%q in chunks starting at %v: message valid = %v, utf8.Valid = %v", p, starts, got, want)
	}
}

func TestUTF8ValidatorRandomSplits(t *testing.T) {
	const (
		inputs  = 2000
		maxSize = 300
	)
	r := rand.New(rand.NewPCG(6455, 1007))
	var valid, invalid int
	for i := range inputs {
		p := randomText(r, r.IntN(maxSize), i%2 == 1)
		if utf8.Valid(p) {
			valid++
		} else {
			invalid++
		}
		checkAgainstReference(t, p)
		checkSplits(t, p, r)
	}
	// The generator must exercise both outcomes for the test to mean
	// anything.
	if valid < inputs/4 || invalid < inputs/8 {
		t.Fatalf("generator produced %d valid and %d invalid inputs", valid, invalid)
	}
}

func FuzzUTF8Validator(f *testing.F) {
	for _, tc := range kuhnCases {
		f.Add([]byte(tc.in), uint64(len(tc.in)))
	}
	f.Add([]byte("abc\xE2\x82\xAC\xF0\x9F\x98\x80 \xC3\xA9\xED\x9F\xBF"), uint64(7))
	f.Fuzz(func(t *testing.T, data []byte, splitSeed uint64) {
		checkAgainstReference(t, data)
		checkSplits(t, data, rand.New(rand.NewPCG(splitSeed, splitSeed>>1)))
	})
}

func TestUTF8ValidatorZeroAllocs(t *testing.T) {
	text := []byte(strings.Repeat("plain ascii, caf\xC3\xA9, \xE4\xB8\x96\xE7\x95\x8C, \xF0\x9F\x98\x80 ", 40))
	var v utf8Validator
	allocs := testing.AllocsPerRun(100, func() {
		v.reset()
		v.write(text[:len(text)/3+1])
		v.write(text[len(text)/3+1:])
		if !v.complete() {
			t.Fatal("sample text rejected")
		}
	})
	if allocs != 0 {
		t.Fatalf("validator allocated %v times per message, want 0", allocs)
	}
}

var (
	// validPrefixesOnce guards validPrefixes.
	validPrefixesOnce sync.Once
	// validPrefixes holds every proper prefix (1 to 3 bytes) of the UTF-8
	// encoding of every Unicode scalar value, built from utf8.EncodeRune so
	// that the reference does not share the validator's tables.
	validPrefixes map[string]bool
)

// longestValidPrefix is the slow reference: the length of the longest prefix
// of p that some continuation could turn into well-formed UTF-8. A
// fail-fast validator fed p byte by byte must first fail at this index.
func longestValidPrefix(p []byte) int {
	validPrefixesOnce.Do(func() {
		validPrefixes = make(map[string]bool)
		var buf [utf8.UTFMax]byte
		for r := rune(0); r <= utf8.MaxRune; r++ {
			if !utf8.ValidRune(r) {
				continue
			}
			n := utf8.EncodeRune(buf[:], r)
			for k := 1; k < n; k++ {
				validPrefixes[string(buf[:k])] = true
			}
		}
	})
	i := 0
	for i < len(p) {
		r, size := utf8.DecodeRune(p[i:])
		if r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		// p[i:] does not start with a whole character: the valid prefix
		// extends as far as p[i:] is the start of one.
		for k := min(utf8.UTFMax-1, len(p)-i); k > 0; k-- {
			if validPrefixes[string(p[i:i+k])] {
				return i + k
			}
		}
		return i
	}
	return len(p)
}

// benchText builds size bytes of text by repeating sample, padding with
// ASCII so the length is exact and the text ends on a character boundary.
func benchText(sample string, size int) []byte {
	b := make([]byte, 0, size)
	for len(b)+len(sample) <= size {
		b = append(b, sample...)
	}
	for _, r := range sample {
		if len(b)+utf8.RuneLen(r) > size {
			break
		}
		b = utf8.AppendRune(b, r)
	}
	for len(b) < size {
		b = append(b, ' ')
	}
	return b
}

func BenchmarkUTF8Validator(b *testing.B) {
	samples := []struct{ name, text string }{
		{"ascii", "The quick brown fox jumps over the lazy dog; {\"id\": 42, \"ok\": true}\n"},
		{"latin-cjk", "Grüße aus Köln, señor! 東京の天気は晴れです。 Ça va très bien. 中文测试文本，汉字。"},
		{"emoji", "🎉🚀 ok 😀😃😄 👍🏽 🇬🇷🇯🇵 ❤️🔥✨ 🧪🦄🌍"},
	}
	sizes := []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}}
	for _, s := range samples {
		for _, sz := range sizes {
			text := benchText(s.text, sz.n)
			if !utf8.Valid(text) {
				b.Fatalf("%s/%s: bench text is not valid UTF-8", s.name, sz.name)
			}
			b.Run(s.name+"/"+sz.name+"/validator", func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				var v utf8Validator
				for b.Loop() {
					v.reset()
					if !v.write(text) || !v.complete() {
						b.Fatal("rejected valid text")
					}
				}
			})
			b.Run(s.name+"/"+sz.name+"/utf8.Valid", func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					if !utf8.Valid(text) {
						b.Fatal("rejected valid text")
					}
				}
			})
		}
	}
}
