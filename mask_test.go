package websocket

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"math/rand/v2"
	"testing"
)

// maskFunc is the shape shared by maskBytes and its implementations.
type maskFunc func(key [maskKeySize]byte, pos int, b []byte) int

// maskImpl names one masking implementation for tests and benchmarks.
type maskImpl struct {
	name string
	mask maskFunc
}

// vectorMaskImpls holds the assembly paths this build and CPU can run;
// mask_amd64_test.go fills it in. It stays empty elsewhere.
var vectorMaskImpls []maskImpl

// portableMaskImpl is the pure-Go implementation every build has.
var portableMaskImpl = maskImpl{"portable", maskBytesGeneric}

// testedMaskImpls returns every implementation the tests must check:
// maskBytes as the connection code calls it, plus each path it can take.
func testedMaskImpls() []maskImpl {
	impls := []maskImpl{{"maskBytes", maskBytes}, portableMaskImpl}
	return append(impls, vectorMaskImpls...)
}

// maskReference is the byte-at-a-time definition from RFC 6455 section 5.3,
// the oracle the fast implementations are compared with.
func maskReference(key [maskKeySize]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[pos]
		pos = (pos + 1) % maskKeySize
	}
	return pos
}

// randomBytes returns n bytes from r.
func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestMaskBytesMatchesReference(t *testing.T) {
	const (
		maxLen    = 512
		maxOffset = 63
		// guardLen bytes after the slice must stay untouched; it is longer
		// than any vector step so an overrun by a whole store shows up.
		guardLen = 128
		guard    = 0xA5
	)
	key := [maskKeySize]byte{0x01, 0x23, 0x45, 0x67}
	r := rand.New(rand.NewPCG(1, 2))
	src := randomBytes(r, maxLen)

	// want[pos][n] is src[:n] masked from key position pos; it does not
	// depend on the offset, so it is computed once.
	var want [maskKeySize][][]byte
	var wantPos [maskKeySize][]int
	for pos := range maskKeySize {
		for n := 0; n <= maxLen; n++ {
			w := bytes.Clone(src[:n])
			wantPos[pos] = append(wantPos[pos], maskReference(key, pos, w))
			want[pos] = append(want[pos], w)
		}
	}

	guardBuf := bytes.Repeat([]byte{guard}, maxOffset+maxLen+guardLen)
	buf := make([]byte, len(guardBuf))
	for _, impl := range testedMaskImpls() {
		t.Run(impl.name, func(t *testing.T) {
			failures := 0
			for n := 0; n <= maxLen && failures < 10; n++ {
				for off := 0; off <= maxOffset; off++ {
					for pos := range maskKeySize {
						copy(buf, guardBuf)
						copy(buf[off:], src[:n])
						// A capped slice: the implementation may not
						// legitimately touch anything past n.
						gotPos := impl.mask(key, pos, buf[off:off+n:off+n])
						ok := gotPos == wantPos[pos][n] &&
							bytes.Equal(buf[off:off+n], want[pos][n]) &&
							bytes.Equal(buf[:off], guardBuf[:off]) &&
							bytes.Equal(buf[off+n:], guardBuf[off+n:])
						if !ok {
							failures++
							t.Errorf("len %d offset %d pos %d: returned pos %d want %d\n got %x\nwant %x\nbefore %x\nafter %x",
								n, off, pos, gotPos, wantPos[pos][n],
								buf[off:off+n], want[pos][n], buf[:off], buf[off+n:])
						}
					}
				}
			}
		})
	}
}

func TestMaskBytesChainsFragments(t *testing.T) {
	const (
		rounds     = 200
		maxPayload = 4096
		maxFrag    = 300
	)
	r := rand.New(rand.NewPCG(3, 4))
	for _, impl := range testedMaskImpls() {
		t.Run(impl.name, func(t *testing.T) {
			for round := range rounds {
				var key [maskKeySize]byte
				copy(key[:], randomBytes(r, maskKeySize))
				startPos := r.IntN(maskKeySize)
				payload := randomBytes(r, r.IntN(maxPayload+1))

				whole := bytes.Clone(payload)
				wholePos := impl.mask(key, startPos, whole)

				frags := bytes.Clone(payload)
				pos := startPos
				var cuts []int
				for rest := frags; len(rest) > 0; {
					n := min(r.IntN(maxFrag+1), len(rest))
					cuts = append(cuts, n)
					pos = impl.mask(key, pos, rest[:n])
					rest = rest[n:]
				}

				if pos != wholePos || !bytes.Equal(frags, whole) {
					t.Fatalf("round %d: key %x pos %d len %d fragments %v: chained result (pos %d) differs from one call (pos %d)",
						round, key, startPos, len(payload), cuts, pos, wholePos)
				}
				if wantPos := (startPos + len(payload)) % maskKeySize; wholePos != wantPos {
					t.Fatalf("round %d: returned pos %d, want %d", round, wholePos, wantPos)
				}
			}
		})
	}
}

func TestMaskBytesRoundTrip(t *testing.T) {
	// Masking is its own inverse: the server unmasks with the same call the
	// client masked with. The sizes reach past the exhaustive test's 512
	// bytes so the vector loops run many times.
	r := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name string
		len  int
		pos  int
	}{
		{"empty", 0, 0},
		{"one byte", 1, 3},
		{"control frame max", 125, 2},
		{"odd large", 70001, 1},
		{"one MiB and a bit", 1<<20 + 3, 3},
	}
	for _, impl := range testedMaskImpls() {
		for _, tt := range tests {
			t.Run(impl.name+"/"+tt.name, func(t *testing.T) {
				var key [maskKeySize]byte
				copy(key[:], randomBytes(r, maskKeySize))
				orig := randomBytes(r, tt.len)
				want := bytes.Clone(orig)
				wantPos := maskReference(key, tt.pos, want)

				b := bytes.Clone(orig)
				if pos := impl.mask(key, tt.pos, b); pos != wantPos || !bytes.Equal(b, want) {
					t.Fatalf("masking returned pos %d (want %d), payload equal to reference: %v",
						pos, wantPos, bytes.Equal(b, want))
				}
				impl.mask(key, tt.pos, b)
				if !bytes.Equal(b, orig) {
					t.Fatalf("masking twice did not restore the payload")
				}
			})
		}
	}
}

func FuzzMask(f *testing.F) {
	f.Add([]byte("Hello"), uint32(0x37fa213d), uint8(0), uint16(2))
	f.Add(bytes.Repeat([]byte{0xff}, 200), uint32(0xdeadbeef), uint8(3), uint16(33))
	f.Add([]byte{}, uint32(1), uint8(1), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, rawKey uint32, rawPos uint8, rawSplit uint16) {
		key := [maskKeySize]byte{byte(rawKey), byte(rawKey >> 8), byte(rawKey >> 16), byte(rawKey >> 24)}
		pos := int(rawPos) % maskKeySize
		split := int(rawSplit) % (len(data) + 1)

		want := bytes.Clone(data)
		wantPos := maskReference(key, pos, want)
		for _, impl := range testedMaskImpls() {
			got := bytes.Clone(data)
			gotPos := impl.mask(key, pos, got[:split])
			gotPos = impl.mask(key, gotPos, got[split:])
			if gotPos != wantPos || !bytes.Equal(got, want) {
				t.Fatalf("%s: key %x pos %d split %d: got pos %d %x, want pos %d %x",
					impl.name, key, pos, split, gotPos, got, wantPos, want)
			}
		}
	})
}

// maskBenchSizes spans a tiny frame, the control-frame maximum, and message
// sizes up to one larger than a typical L2 cache.
var maskBenchSizes = []struct {
	name string
	n    int
}{
	{"16B", 16},
	{"125B", 125},
	{"1KiB", 1 << 10},
	{"16KiB", 16 << 10},
	{"1MiB", 1 << 20},
}

// benchXORBytes masks with crypto/subtle.XORBytes against a buffer already
// filled with the key pattern: the standard library's XOR speed, a reference
// for what the machine allows rather than a usable implementation (it reads
// a second stream as long as the payload).
func benchXORBytes(b *testing.B, n int) {
	key := [maskKeySize]byte{0x01, 0x23, 0x45, 0x67}
	pattern := bytes.Repeat(key[:], n/maskKeySize+1)[:n]
	buf := make([]byte, n)
	b.SetBytes(int64(n))
	for b.Loop() {
		subtle.XORBytes(buf, buf, pattern)
	}
}

func BenchmarkMask(b *testing.B) {
	key := [maskKeySize]byte{0x01, 0x23, 0x45, 0x67}
	impls := append([]maskImpl{portableMaskImpl}, vectorMaskImpls...)
	for _, impl := range impls {
		for _, size := range maskBenchSizes {
			b.Run(fmt.Sprintf("%s/%s", impl.name, size.name), func(b *testing.B) {
				buf := make([]byte, size.n)
				b.SetBytes(int64(size.n))
				for b.Loop() {
					impl.mask(key, 1, buf)
				}
			})
		}
	}
	for _, size := range maskBenchSizes {
		b.Run("xorbytes/"+size.name, func(b *testing.B) { benchXORBytes(b, size.n) })
	}
}
