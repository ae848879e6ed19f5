package websocket

import (
	"bytes"
	"compress/flate"
	"fmt"
	"math/rand/v2"
	"testing"
)

// deflaterLevels are the levels SetCompressionLevel accepts, each of which
// takes a path of its own through the deflater.
var deflaterLevels = []int{flate.HuffmanOnly, flate.DefaultCompression, flate.NoCompression, 1, 2, 3, 4, 5, 6, 7, 8, 9}

// deflaterInputs are messages that reach the corners of the matchers and the
// block writer, built from a fixed seed.
func deflaterInputs() []struct {
	name string
	data []byte
} {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 70_000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	period := func(n, size int) []byte {
		unit := random[:n]
		return bytes.Repeat(unit, size/n+1)[:size]
	}
	return []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{'x'}},
		{"four bytes", []byte("abab")},
		{"short text", []byte("hello hello hello hello")},
		{"json 200B", benchJSON(200, 1)},
		{"json 16KiB", benchJSON(16<<10, 2)},
		{"json 100KiB", benchJSON(100<<10, 3)},
		{"random 70KB", random},
		{"one byte repeated", bytes.Repeat([]byte{'a'}, 70_000)},
		{"period 300", period(300, 40_000)},      // beyond a 2^8 window
		{"period 1000", period(1000, 40_000)},    // beyond 2^8 and 2^9
		{"period 40000", period(40_000, 70_000)}, // beyond every window
	}
}

// TestDeflaterRoundTrip compresses each input at every level and window, as
// one message and as the second message under context takeover, in pieces
// that cross block boundaries, and inflates it with compress/flate.
func TestDeflaterRoundTrip(t *testing.T) {
	for _, in := range deflaterInputs() {
		for _, level := range deflaterLevels {
			for _, windowBits := range []int{minWindowBits, 9, 12, maxWindowBits} {
				t.Run(fmt.Sprintf("%s/level %d/window %d", in.name, level, windowBits), func(t *testing.T) {
					d := newDeflater(level, windowBits)
					defer d.release()
					var history []byte
					for message := range 2 { // the second refers back to the first
						got := compressInPieces(t, d, in.data, 5000+message*7777)
						res := referenceInflate(got, history, 1<<30)
						if !res.valid || !bytes.Equal(res.out, in.data) {
							t.Fatalf("message %d (%d bytes compressed): valid %v, inflated %d bytes, want %d equal bytes", message, len(got), res.valid, len(res.out), len(in.data))
						}
						history = append(history, in.data...)
					}
				})
			}
		}
	}
}

// compressInPieces writes data to d in pieces of the given size and returns
// the compressed message.
func compressInPieces(t *testing.T, d *deflater, data []byte, piece int) []byte {
	t.Helper()
	var out bytesWriter
	d.dst = &out
	for p := data; len(p) > 0; {
		n := min(piece, len(p))
		if err := d.write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := d.endMessage(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeflaterEmptyMessage checks the encoding RFC 7692 section 7.2.3.6 gives
// an empty message: the single byte 0x00.
func TestDeflaterEmptyMessage(t *testing.T) {
	for _, level := range deflaterLevels {
		d := newDeflater(level, maxWindowBits)
		got := compressInPieces(t, d, nil, 1)
		d.release()
		if !bytes.Equal(got, []byte{0}) {
			t.Errorf("level %d: empty message is % x, want 00", level, got)
		}
	}
}

// TestMatchersHonourWindow runs each matcher over an input whose repeats lie
// both inside and beyond the window, after a history, and replays the
// tokens: they must rebuild the input and never reach back further than the
// window (RFC 7692 section 7.1.2).
func TestMatchersHonourWindow(t *testing.T) {
	inputs := deflaterInputs()
	for _, in := range inputs {
		if len(in.data) == 0 {
			continue
		}
		for _, level := range []int{1, 2, 4, 9} {
			for _, windowBits := range []int{minWindowBits, 9, 12, maxWindowBits} {
				d := newDeflater(level, windowBits)
				history := benchJSON(2000, 9)
				d.buf = append(append(d.buf, history...), in.data[:min(len(in.data), maxBlockInput)]...)
				d.pending = len(history)
				b := blockWriterPool.Get().(*blockWriter)
				if level == 1 {
					d.matchGreedy(b, d.pending, len(d.buf))
				} else {
					d.matchChained(b, d.pending, len(d.buf), efforts[level])
				}
				out, longest := replayTokens(t, b.tokens, history, d.window)
				if !bytes.Equal(out[len(history):], d.buf[d.pending:]) {
					t.Errorf("%s, level %d, window %d: the tokens do not rebuild the input", in.name, level, windowBits)
				}
				if longest > d.window {
					t.Errorf("%s, level %d, window %d: a match reaches back %d bytes", in.name, level, windowBits, longest)
				}
				b.resetTokens()
				blockWriterPool.Put(b)
				d.release()
			}
		}
	}
}

// replayTokens applies tokens after history and returns the output and the
// longest distance used.
func replayTokens(t *testing.T, tokens []uint32, history []byte, window int) (out []byte, longest int) {
	out = append([]byte(nil), history...)
	for _, tok := range tokens {
		if tok < matchToken {
			out = append(out, byte(tok))
			continue
		}
		lengthCode, distCode := tok>>lengthCodeShift&tokenFieldMask, tok>>distCodeShift&tokenFieldMask
		length := int(lengthBases[lengthCode]) + minMatchLength + int(tok>>lengthExtraShift&tokenFieldMask)
		distance := int(distBases[distCode]) + 1 + int(tok&distExtraMask)
		if distance > len(out) {
			t.Fatalf("a match reaches %d bytes back from %d", distance, len(out))
		}
		longest = max(longest, distance)
		for range length {
			out = append(out, out[len(out)-distance])
		}
	}
	return out, longest
}

// TestDeflaterRatio pins that each level compresses the benchmark's JSON at
// least as well as compress/flate at the same level: the levels are a trade
// of speed for size that users compare against that package.
func TestDeflaterRatio(t *testing.T) {
	data := benchJSON(16<<10, 5)
	for _, level := range []int{1, 2, 4, 6, 9} {
		d := newDeflater(level, maxWindowBits)
		ours := len(compressInPieces(t, d, data, len(data)))
		d.release()
		var ref bytes.Buffer
		w, _ := flate.NewWriter(&ref, level)
		w.Write(data)
		w.Flush()
		theirs := ref.Len() - len(deflateTail)
		if ours > theirs {
			t.Errorf("level %d: %d bytes, compress/flate %d", level, ours, theirs)
		}
	}
}

// TestDeflaterAllocations pins that compressing a message, once the pools
// are warm, allocates nothing.
func TestDeflaterAllocations(t *testing.T) {
	skipAllocationsUnderRace(t)
	data := benchJSON(16<<10, 4)
	out := make(bytesWriter, 0, len(data))
	for _, level := range []int{1, 6} {
		allocs := testing.AllocsPerRun(50, func() {
			d := newDeflater(level, maxWindowBits)
			out = out[:0]
			d.dst = &out
			if err := d.write(data); err != nil {
				t.Fatal(err)
			}
			if err := d.endMessage(); err != nil {
				t.Fatal(err)
			}
			d.release()
		})
		if allocs != 0 {
			t.Errorf("level %d: %v allocations per message, want 0", level, allocs)
		}
	}
}

// FuzzDeflater compresses data as two messages under context takeover, the
// second starting at split, at the level and window the flags give, and
// inflates them with compress/flate.
func FuzzDeflater(f *testing.F) {
	f.Add([]byte("hello hello hello"), uint16(6), byte(0x30))
	f.Add(benchJSON(600, 1), uint16(300), byte(0x09))
	f.Add(bytes.Repeat([]byte("abc"), 400), uint16(1000), byte(0x1b))
	f.Fuzz(func(t *testing.T, data []byte, split uint16, flags byte) {
		level := deflaterLevels[int(flags&0xf)%len(deflaterLevels)]
		windowBits := minWindowBits + int(flags>>4)%(maxWindowBits-minWindowBits+1)
		d := newDeflater(level, windowBits)
		defer d.release()
		cut := min(int(split), len(data))
		var history []byte
		for _, message := range [][]byte{data[:cut], data[cut:]} {
			got := compressInPieces(t, d, message, 1+int(split)%4000)
			res := referenceInflate(got, history, 1<<30)
			if !res.valid || !bytes.Equal(res.out, message) {
				t.Fatalf("level %d, window %d: valid %v, inflated %d bytes, want %d equal bytes", level, windowBits, res.valid, len(res.out), len(message))
			}
			history = append(history, message...)
		}
	})
}
