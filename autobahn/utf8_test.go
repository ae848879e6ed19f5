package main

import (
	"bytes"
	"fmt"
	"testing"
	"unicode/utf8"
)

// utf8Group is one group of the suite's cases 6.5 to 6.23: the sequences of
// Markus Kuhn's UTF-8 decoder stress test, each marked valid or not.
type utf8Group struct {
	name      string
	sequences []utf8Sequence
}

type utf8Sequence struct {
	valid bool
	bytes []byte
}

// utf8StressGroups returns the groups in the suite's order, so that group i
// holds cases 6.(i+5).*.
func utf8StressGroups() []utf8Group {
	valid := func(b ...byte) utf8Sequence { return utf8Sequence{true, b} }
	invalid := func(b ...byte) utf8Sequence { return utf8Sequence{false, b} }
	kosme := []byte{0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5} // κόσμε

	var prefixes []utf8Sequence
	for i := 1; i <= len(kosme); i++ {
		prefixes = append(prefixes, utf8Sequence{utf8.Valid(kosme[:i]), kosme[:i]})
	}
	var continuations []byte
	for b := 0x80; b < 0xbf; b++ {
		continuations = append(continuations, byte(b))
	}
	var lonelyStarts []utf8Sequence
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s []byte
		for b := r[0]; b < r[1]; b++ {
			s = append(s, byte(b), ' ')
		}
		lonelyStarts = append(lonelyStarts, invalid(s...))
	}
	lastMissing := [][]byte{{0xc0}, {0xe0, 0x80}, {0xf0, 0x80, 0x80}, {0xf8, 0x80, 0x80, 0x80}, {0xfc, 0x80, 0x80, 0x80, 0x80},
		{0xdf}, {0xef, 0xbf}, {0xf7, 0xbf, 0xbf}, {0xfb, 0xbf, 0xbf, 0xbf}, {0xfd, 0xbf, 0xbf, 0xbf, 0xbf}}
	var lastMissingSeqs []utf8Sequence
	for _, s := range lastMissing {
		lastMissingSeqs = append(lastMissingSeqs, invalid(s...))
	}
	// Noncharacters U+FFFE, U+FFFF and U+nFFFE, U+nFFFF of planes 1 to 16
	// are valid UTF-8 (RFC 3629).
	nonCharacters := []utf8Sequence{valid(0xef, 0xbf, 0xbe), valid(0xef, 0xbf, 0xbf)}
	for lead := byte(0xf0); lead <= 0xf4; lead++ {
		for _, second := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if (lead == 0xf4 && second != 0x8f) || (lead == 0xf0 && second == 0x8f) {
				continue // beyond U+10FFFF, or overlong
			}
			nonCharacters = append(nonCharacters, valid(lead, second, 0xbf, 0xbe), valid(lead, second, 0xbf, 0xbf))
		}
	}
	return []utf8Group{
		{"valid sequences", []utf8Sequence{valid([]byte("hello$world")...), valid([]byte("hello\u00a2world")...),
			valid([]byte("hello\u20acworld")...), valid([]byte("hello\U00024b62world")...), valid(kosme...)}},
		{"prefixes of a valid string", prefixes},
		{"first sequence of each length", []utf8Sequence{valid(0x00), valid(0xc2, 0x80), valid(0xe0, 0xa0, 0x80), valid(0xf0, 0x90, 0x80, 0x80)}},
		{"first sequences of length 5 and 6", []utf8Sequence{invalid(0xf8, 0x88, 0x80, 0x80, 0x80), invalid(0xfc, 0x84, 0x80, 0x80, 0x80, 0x80)}},
		{"last sequence of each length", []utf8Sequence{valid(0x7f), valid(0xdf, 0xbf), valid(0xef, 0xbf, 0xbf), valid(0xf4, 0x8f, 0xbf, 0xbf)}},
		{"last sequences of length 4 to 6", []utf8Sequence{invalid(0xf7, 0xbf, 0xbf, 0xbf), invalid(0xfb, 0xbf, 0xbf, 0xbf, 0xbf), invalid(0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf)}},
		{"other boundaries", []utf8Sequence{valid(0xed, 0x9f, 0xbf), valid(0xee, 0x80, 0x80), valid(0xef, 0xbf, 0xbd),
			valid(0xf4, 0x8f, 0xbf, 0xbf), invalid(0xf4, 0x90, 0x80, 0x80)}},
		{"unexpected continuation bytes", []utf8Sequence{invalid(0x80), invalid(0xbf), invalid(0x80, 0xbf), invalid(0x80, 0xbf, 0x80),
			invalid(0x80, 0xbf, 0x80, 0xbf), invalid(0x80, 0xbf, 0x80, 0xbf, 0x80), invalid(0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf), invalid(continuations...)}},
		{"lonely start bytes", lonelyStarts},
		{"last continuation byte missing", lastMissingSeqs},
		{"concatenated incomplete sequences", []utf8Sequence{invalid(bytes.Join(lastMissing, nil)...)}},
		{"impossible bytes", []utf8Sequence{invalid(0xfe), invalid(0xff), invalid(0xfe, 0xfe, 0xff, 0xff)}},
		{"overlong '/'", []utf8Sequence{invalid(0xc0, 0xaf), invalid(0xe0, 0x80, 0xaf), invalid(0xf0, 0x80, 0x80, 0xaf),
			invalid(0xf8, 0x80, 0x80, 0x80, 0xaf), invalid(0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf)}},
		{"maximum overlong sequences", []utf8Sequence{invalid(0xc1, 0xbf), invalid(0xe0, 0x9f, 0xbf), invalid(0xf0, 0x8f, 0xbf, 0xbf),
			invalid(0xf8, 0x87, 0xbf, 0xbf, 0xbf), invalid(0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf)}},
		{"overlong NUL", []utf8Sequence{invalid(0xc0, 0x80), invalid(0xe0, 0x80, 0x80), invalid(0xf0, 0x80, 0x80, 0x80),
			invalid(0xf8, 0x80, 0x80, 0x80, 0x80), invalid(0xfc, 0x80, 0x80, 0x80, 0x80, 0x80)}},
		{"single UTF-16 surrogates", []utf8Sequence{invalid(0xed, 0xa0, 0x80), invalid(0xed, 0xad, 0xbf), invalid(0xed, 0xae, 0x80),
			invalid(0xed, 0xaf, 0xbf), invalid(0xed, 0xb0, 0x80), invalid(0xed, 0xbe, 0x80), invalid(0xed, 0xbf, 0xbf)}},
		{"paired UTF-16 surrogates", []utf8Sequence{invalid(0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80), invalid(0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf),
			invalid(0xed, 0xad, 0xbf, 0xed, 0xb0, 0x80), invalid(0xed, 0xad, 0xbf, 0xed, 0xbf, 0xbf),
			invalid(0xed, 0xae, 0x80, 0xed, 0xb0, 0x80), invalid(0xed, 0xae, 0x80, 0xed, 0xbf, 0xbf),
			invalid(0xed, 0xaf, 0xbf, 0xed, 0xb0, 0x80), invalid(0xed, 0xaf, 0xbf, 0xed, 0xbf, 0xbf)}},
		{"noncharacters", nonCharacters},
		{"specials", []utf8Sequence{valid(0xef, 0xbf, 0xb9), valid(0xef, 0xbf, 0xba), valid(0xef, 0xbf, 0xbb), valid(0xef, 0xbf, 0xbc),
			valid(0xef, 0xbf, 0xbd), valid(0xef, 0xbf, 0xbe), valid(0xef, 0xbf, 0xbf)}},
	}
}

// firstBadByte returns the index of the first byte of p that no bytes
// after it could make valid UTF-8, or len(p) when p is valid or only cut
// short. It follows Table 3-7 of the Unicode Standard on its own, so it does
// not share the library's validator's mistakes.
func firstBadByte(p []byte) int {
	for i := 0; i < len(p); {
		b := p[i]
		if b < 0x80 {
			i++
			continue
		}
		n, lo, hi := 0, byte(0x80), byte(0xbf)
		switch {
		case b >= 0xc2 && b <= 0xdf:
			n = 2
		case b == 0xe0:
			n, lo = 3, 0xa0
		case b == 0xed:
			n, hi = 3, 0x9f
		case b >= 0xe1 && b <= 0xef:
			n = 3
		case b == 0xf0:
			n, lo = 4, 0x90
		case b == 0xf4:
			n, hi = 4, 0x8f
		case b >= 0xf1 && b <= 0xf3:
			n = 4
		default:
			return i
		}
		for j := 1; j < n; j++ {
			if i+j == len(p) {
				return len(p)
			}
			c := p[i+j]
			if (j == 1 && (c < lo || c > hi)) || (j > 1 && (c < 0x80 || c > 0xbf)) {
				return i + j
			}
		}
		i += n
	}
	return len(p)
}

// TestCategory6UTF8 plays cases 6.1.1 to 6.23.7 (RFC 6455 section 8.1: a
// text message that is not valid UTF-8 fails the connection with 1007).
// Each stress sequence of 6.5 to 6.23 is sent three ways: in one frame (the
// suite's case), in frames of one byte, and in one frame written a byte at a
// time. An invalid sequence must fail the connection fast: at the frame, or
// within the frame at the write, that carries the first byte no
// continuation could repair, with the rest never sent. A ping sent just
// before that frame must still be answered, so the server did not fail
// early either.
func TestCategory6UTF8(t *testing.T) { runCases(t, category6Cases()) }

// category6Cases returns the cases of TestCategory6UTF8.
func category6Cases() []autobahnCase {
	hello := []byte("Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!")
	kosme := []byte("\u03ba\u1f79\u03c3\u03bc\u03b5")
	invalid := []byte{0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64}
	f := func(fin bool, opcode byte, payload string) []byte { return frame(fin, 0, opcode, []byte(payload)) }
	cases := []autobahnCase{
		{id: "6.1.1", play: sendFrames(textFrame("")), want: []event{textMessage("")}},
		{id: "6.1.2", play: sendFrames(f(false, opText, ""), f(false, opContinuation, ""), f(true, opContinuation, "")), want: []event{textMessage("")}},
		{id: "6.1.3", play: sendFrames(f(false, opText, ""), f(false, opContinuation, "middle frame payload"), f(true, opContinuation, "")),
			want: []event{textMessage("middle frame payload")}},
		{id: "6.2.1", play: sendFrames(frame(true, 0, opText, hello)), want: []event{message(opText, hello)}},
		{id: "6.2.2", play: sendFrames(frame(false, 0, opText, hello[:12]), frame(true, 0, opContinuation, hello[12:])), want: []event{message(opText, hello)}},
		{id: "6.2.3", play: sendFrames(fragments(opText, hello, 1)...), want: []event{message(opText, hello)}},
		{id: "6.2.4", play: sendFrames(fragments(opText, kosme, 1)...), want: []event{message(opText, kosme)}},
		{id: "6.3.1", play: sendFrames(frame(true, 0, opText, invalid)), fail: []int{closeInvalidData}},
		{id: "6.3.2", play: sendFrames(fragments(opText, invalid, 1)...), fail: []int{closeInvalidData}},
	}
	// 6.4.1 to 6.4.4: the text turns invalid in the second of three parts;
	// the third is never sent. The suite waits a second between parts; the
	// pong to a ping sent after the first part shows it was accepted.
	for i, parts := range [][3][]byte{
		{kosme, {0xf4, 0x90, 0x80, 0x80}, []byte("edited")},
		{append(bytes.Clone(kosme), 0xf4), {0x90}, {0x80, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64}},
	} {
		cases = append(cases,
			autobahnCase{id: fmt.Sprintf("6.4.%d", i+1), play: func(rc *rawConn) {
				rc.send(frame(false, 0, opText, parts[0]), pingFrame("part 1"))
				rc.expect(pong("part 1"))
				rc.send(frame(false, 0, opContinuation, parts[1]))
			}, fail: []int{closeInvalidData}},
			autobahnCase{id: fmt.Sprintf("6.4.%d", i+3), play: func(rc *rawConn) {
				whole := frame(true, 0, opText, bytes.Join(parts[:], nil))
				header := len(whole) - len(parts[0]) - len(parts[1]) - len(parts[2])
				rc.send(whole[:header+len(parts[0])], whole[header+len(parts[0]):header+len(parts[0])+len(parts[1])])
			}, fail: []int{closeInvalidData}},
		)
	}
	for g, group := range utf8StressGroups() {
		for s, seq := range group.sequences {
			cases = append(cases, utf8Cases(fmt.Sprintf("6.%d.%d", g+5, s+1), seq)...)
		}
	}
	return cases
}

// TestUTF8StressSequences checks the test's own data: each sequence is marked
// as unicode/utf8 judges it, and firstBadByte finds no bad byte in the valid
// ones and one in each invalid one that is not merely cut short.
func TestUTF8StressSequences(t *testing.T) {
	count := 0
	for g, group := range utf8StressGroups() {
		for s, seq := range group.sequences {
			count++
			id := fmt.Sprintf("6.%d.%d (%s)", g+5, s+1, group.name)
			if seq.valid != utf8.Valid(seq.bytes) {
				t.Errorf("%s: marked valid=%v, unicode/utf8 says %v", id, seq.valid, !seq.valid)
			}
			bad := firstBadByte(seq.bytes)
			if seq.valid && bad != len(seq.bytes) {
				t.Errorf("%s: valid, but firstBadByte says byte %d", id, bad)
			}
			if bad < len(seq.bytes) && firstBadByte(seq.bytes[:bad]) != bad {
				t.Errorf("%s: the bytes before the bad byte %d are themselves bad", id, bad)
			}
		}
	}
	// The suite's 6.5.1 to 6.23.7: 5+11+4+2+4+3+5+8+5+10+1+3+5+5+5+7+8+34+7.
	if count != 132 {
		t.Errorf("%d sequences, the suite has 132", count)
	}
}

// utf8Cases returns the three ways of sending one stress sequence.
func utf8Cases(id string, seq utf8Sequence) []autobahnCase {
	p := seq.bytes
	if seq.valid {
		echoed := []event{message(opText, p)}
		return []autobahnCase{
			{id: id, play: sendFrames(frame(true, 0, opText, p)), want: echoed},
			{id: id + "/frame-per-byte", play: sendFrames(fragments(opText, p, 1)...), want: echoed},
			{id: id + "/write-per-byte", play: sendChops(1, frame(true, 0, opText, p)), want: echoed},
		}
	}
	bad := min(firstBadByte(p), len(p)-1) // a sequence only cut short fails at its end
	failed := []int{closeInvalidData}
	return []autobahnCase{
		{id: id, play: sendFrames(frame(true, 0, opText, p)), fail: failed},
		{id: id + "/frame-per-byte", play: func(rc *rawConn) {
			frames := fragments(opText, p, 1)
			rc.send(append(frames[:bad:bad], pingFrame("before"))...)
			rc.expect(pong("before"))
			rc.send(frames[bad])
		}, fail: failed},
		{id: id + "/write-per-byte", play: func(rc *rawConn) {
			whole := frame(true, 0, opText, p)
			header := len(whole) - len(p)
			rc.send(chop(whole[:header+bad+1], 1)...)
		}, fail: failed},
	}
}
