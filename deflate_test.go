package websocket

import (
	"bytes"
	"compress/flate"
	"errors"
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
						checkCompressed(t, got, history, in.data, 1<<windowBits)
						history = append(history, in.data...)
					}
				})
			}
		}
	}
}

// checkCompressed checks that compressed inflates to want after history,
// with compress/flate and with strictInflate, which also fails on a
// distance beyond window.
func checkCompressed(t *testing.T, compressed, history, want []byte, window int) {
	t.Helper()
	res := referenceInflate(compressed, history, 1<<30)
	if !res.valid || !bytes.Equal(res.out, want) {
		t.Fatalf("compress/flate: valid %v, inflated %d bytes, want %d equal bytes", res.valid, len(res.out), len(want))
	}
	got, err := strictInflate(compressed, history, window)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("strictInflate: %v, inflated %d bytes, want %d equal bytes", err, len(got), len(want))
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
// second starting at split, at the window and the two levels the flags
// give, and checks them with checkCompressed.
func FuzzDeflater(f *testing.F) {
	f.Add([]byte("hello hello hello"), uint16(6), byte(0x30), byte(0x15))
	f.Add(benchJSON(600, 1), uint16(300), byte(0x09), byte(0x36))
	f.Add(bytes.Repeat([]byte("abc"), 400), uint16(1000), byte(0x1b), byte(0x91))
	f.Fuzz(func(t *testing.T, data []byte, split uint16, window, levels byte) {
		windowBits := minWindowBits + int(window)%(maxWindowBits-minWindowBits+1)
		first := deflaterLevels[int(levels&0xf)%len(deflaterLevels)]
		second := deflaterLevels[int(levels>>4)%len(deflaterLevels)]
		d := newDeflater(first, windowBits)
		defer d.release()
		cut := min(int(split), len(data))
		var history []byte
		for i, message := range [][]byte{data[:cut], data[cut:]} {
			if i == 1 {
				d.setLevel(second)
			}
			got := compressInPieces(t, d, message, 1+int(split)%4000)
			checkCompressed(t, got, history, message, 1<<windowBits)
			history = append(history, message...)
		}
	})
}

// failingWriter fails every write, as a connection whose peer is gone.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("write failed") }

// TestDeflaterAfterWriteError fails a compressed write after a block, which
// leaves the bits of an unfinished byte in the shared block writer, and
// checks that the next message, of any connection, does not start with them.
func TestDeflaterAfterWriteError(t *testing.T) {
	d := newDeflater(flate.BestSpeed, maxWindowBits)
	d.dst = failingWriter{}
	if err := d.write(benchJSON(maxBlockInput+1000, 1)); err == nil {
		t.Fatal("the write of a whole block did not fail")
	}
	d.release()
	next := newDeflater(flate.BestSpeed, maxWindowBits)
	defer next.release()
	message := []byte("hello, hello, hello, world")
	checkCompressed(t, compressInPieces(t, next, message, len(message)), nil, message, maxWindowSize)
}
