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

// maskCopyFunc is the shape shared by maskCopy and its implementations.
type maskCopyFunc func(key [maskKeySize]byte, pos int, dst, src []byte) int

// maskImpl names one masking implementation for tests and benchmarks: its
// in-place function and its copying one.
type maskImpl struct {
	name     string
	mask     maskFunc
	maskCopy maskCopyFunc
}

// vectorMaskImpls holds the assembly paths this build and CPU can run;
// mask_amd64_test.go fills it in. It stays empty elsewhere.
var vectorMaskImpls []maskImpl

// portableMaskImpl is the pure-Go implementation every build has.
var portableMaskImpl = maskImpl{"portable", maskBytesGeneric, maskCopyGeneric}

// testedMaskImpls returns every implementation the tests must check:
// maskBytes and maskCopy as the connection code calls them, plus each path
// they can take.
func testedMaskImpls() []maskImpl {
	impls := []maskImpl{{"dispatch", maskBytes, maskCopy}, portableMaskImpl}
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

// The exhaustive tests try every payload length up to maskTestMaxLen at
// every offset up to maskTestMaxOffset in a buffer of guard bytes.
const (
	maskTestMaxLen    = 512
	maskTestMaxOffset = 63
	// maskTestGuardLen bytes after the slice must stay untouched; it is
	// longer than any vector step so an overrun by a whole store shows up.
	maskTestGuardLen = 128
	maskTestGuard    = 0xA5
)

func TestMaskBytesMatchesReference(t *testing.T) {
	key := [maskKeySize]byte{0x01, 0x23, 0x45, 0x67}
	r := rand.New(rand.NewPCG(1, 2))
	src := randomBytes(r, maskTestMaxLen)

	// want[pos][n] is src[:n] masked from key position pos; it does not
	// depend on the offset, so it is computed once.
	var want [maskKeySize][][]byte
	var wantPos [maskKeySize][]int
	for pos := range maskKeySize {
		for n := 0; n <= maskTestMaxLen; n++ {
			w := bytes.Clone(src[:n])
			wantPos[pos] = append(wantPos[pos], maskReference(key, pos, w))
			want[pos] = append(want[pos], w)
		}
	}

	guardBuf := bytes.Repeat([]byte{maskTestGuard}, maskTestMaxOffset+maskTestMaxLen+maskTestGuardLen)
	buf := make([]byte, len(guardBuf))
	for _, impl := range testedMaskImpls() {
		t.Run(impl.name, func(t *testing.T) {
			failures := 0
			for n := 0; n <= maskTestMaxLen && failures < 10; n++ {
				for off := 0; off <= maskTestMaxOffset; off++ {
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

func TestMaskCopyMatchesReference(t *testing.T) {
	key := [maskKeySize]byte{0x89, 0xab, 0xcd, 0xef}
	r := rand.New(rand.NewPCG(7, 8))
	payload := randomBytes(r, maskTestMaxLen)

	// want[pos] is the payload masked from key position pos; its first n
	// bytes are what a copy of n bytes must produce.
	var want [maskKeySize][]byte
	for pos := range maskKeySize {
		want[pos] = bytes.Clone(payload)
		maskReference(key, pos, want[pos])
	}

	guardBuf := bytes.Repeat([]byte{maskTestGuard}, maskTestMaxOffset+maskTestMaxLen+maskTestGuardLen)
	// intact reports whether buf holds b at off and guard bytes elsewhere.
	intact := func(buf []byte, off int, b []byte) bool {
		end := off + len(b)
		return bytes.Equal(buf[:off], guardBuf[:off]) &&
			bytes.Equal(buf[off:end], b) &&
			bytes.Equal(buf[end:], guardBuf[end:])
	}
	// src and dst come from one allocation, a multiple of 4 KiB apart, so
	// that dst lies dstOff-srcOff bytes after src modulo 4 KiB: the vector
	// code runs its loop backward when that is positive, forward otherwise.
	mem := make([]byte, copyDirectionPeriod+len(guardBuf))
	srcBuf := mem[:len(guardBuf):len(guardBuf)]
	dstBuf := mem[copyDirectionPeriod:]
	copy(dstBuf, guardBuf)
	for _, impl := range testedMaskImpls() {
		t.Run(impl.name, func(t *testing.T) {
			failures := 0
			for n := 0; n <= maskTestMaxLen && failures < 10; n++ {
				for srcOff := 0; srcOff <= maskTestMaxOffset; srcOff++ {
					copy(srcBuf, guardBuf)
					copy(srcBuf[srcOff:], payload[:n])
					// A capped src: nothing past it may be read. dst is
					// handed over longer than src, up to the end of its
					// buffer, since only len(src) bytes may be written.
					src := srcBuf[srcOff : srcOff+n : srcOff+n]
					for dstOff := 0; dstOff <= maskTestMaxOffset; dstOff++ {
						for pos := range maskKeySize {
							gotPos := impl.maskCopy(key, pos, dstBuf[dstOff:], src)
							wantPos := (pos + n) % maskKeySize
							dstOK := intact(dstBuf, dstOff, want[pos][:n])
							srcOK := intact(srcBuf, srcOff, payload[:n])
							if gotPos != wantPos || !dstOK || !srcOK {
								failures++
								t.Errorf("len %d src offset %d dst offset %d pos %d: returned pos %d want %d, dst as expected: %v, src and its guards unchanged: %v\n got %x\nwant %x",
									n, srcOff, dstOff, pos, gotPos, wantPos, dstOK, srcOK,
									dstBuf[dstOff:dstOff+n], want[pos][:n])
								copy(srcBuf, guardBuf)
								copy(srcBuf[srcOff:], payload[:n])
							}
							copy(dstBuf, guardBuf)
						}
					}
				}
			}
		})
	}
}

// copyDirectionPeriod is the distance modulo which the vector maskCopy picks
// the direction of its loop from where dst lies after src.
const copyDirectionPeriod = 4096

func TestMaskCopyDirections(t *testing.T) {
	// Long payloads at chosen distances between src and dst modulo
	// copyDirectionPeriod, so that the vector loops run many times in
	// each direction: backward from 1 to 2047 bytes, forward otherwise.
	key := [maskKeySize]byte{0x10, 0x32, 0x54, 0x76}
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{256, 1000, 70001} {
		payload := randomBytes(r, n)
		for _, gap := range []int{0, 1, 14, 2047, 2048, 4078, 4095} {
			for _, srcOff := range []int{0, 5} {
				// dst starts gap bytes (modulo the period) after src,
				// past its end.
				dstStart := srcOff + (n+copyDirectionPeriod)/copyDirectionPeriod*copyDirectionPeriod + gap
				mem := make([]byte, dstStart+n)
				src := mem[srcOff : srcOff+n]
				copy(src, payload)
				for _, impl := range testedMaskImpls() {
					for pos := range maskKeySize {
						want := bytes.Clone(payload)
						wantPos := maskReference(key, pos, want)
						dst := mem[dstStart:]
						gotPos := impl.maskCopy(key, pos, dst, src)
						if gotPos != wantPos || !bytes.Equal(dst, want) || !bytes.Equal(src, payload) {
							t.Fatalf("%s: len %d gap %d src offset %d pos %d: returned pos %d want %d, dst as expected: %v, src unchanged: %v",
								impl.name, n, gap, srcOff, pos, gotPos, wantPos, bytes.Equal(dst, want), bytes.Equal(src, payload))
						}
					}
				}
			}
		}
	}
}

func TestMaskChainsFragments(t *testing.T) {
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

				// The same fragments copied one after the other.
				copied := make([]byte, len(payload))
				pos = startPos
				src, dst := payload, copied
				for _, n := range cuts {
					pos = impl.maskCopy(key, pos, dst, src[:n])
					src, dst = src[n:], dst[n:]
				}
				if pos != wholePos || !bytes.Equal(copied, whole) {
					t.Fatalf("round %d: key %x pos %d len %d fragments %v: chained copy (pos %d) differs from masking in one call (pos %d)",
						round, key, startPos, len(payload), cuts, pos, wholePos)
				}
			}
		})
	}
}

func TestMaskRoundTrip(t *testing.T) {
	// Masking is its own inverse: the server unmasks with the same call the
	// client masked with. The sizes reach past the exhaustive tests' 512
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

				masked := make([]byte, tt.len)
				if pos := impl.maskCopy(key, tt.pos, masked, orig); pos != wantPos || !bytes.Equal(masked, want) {
					t.Fatalf("masked copy returned pos %d (want %d), copy equal to reference: %v",
						pos, wantPos, bytes.Equal(masked, want))
				}
				unmasked := make([]byte, tt.len)
				impl.maskCopy(key, tt.pos, unmasked, masked)
				if !bytes.Equal(unmasked, b) || !bytes.Equal(orig, b) {
					t.Fatalf("masked copy of the masked copy equals the payload: %v; source unchanged: %v",
						bytes.Equal(unmasked, b), bytes.Equal(orig, b))
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

func FuzzMaskCopy(f *testing.F) {
	f.Add([]byte("Hello"), uint32(0x37fa213d), uint8(0), uint16(2), uint16(0))
	f.Add(bytes.Repeat([]byte{0xff}, 300), uint32(0xdeadbeef), uint8(3), uint16(33), uint16(14))
	f.Add(bytes.Repeat([]byte{0x0f}, 700), uint32(0x01020304), uint8(2), uint16(600), uint16(4000))
	f.Add([]byte{}, uint32(1), uint8(1), uint16(0), uint16(7))
	f.Fuzz(func(t *testing.T, data []byte, rawKey uint32, rawPos uint8, rawSplit uint16, rawGap uint16) {
		const (
			guard    = 0x5A
			guardLen = 64
		)
		key := [maskKeySize]byte{byte(rawKey), byte(rawKey >> 8), byte(rawKey >> 16), byte(rawKey >> 24)}
		pos := int(rawPos) % maskKeySize
		split := int(rawSplit) % (len(data) + 1)
		// src at the start of one allocation and dst gap bytes after it
		// modulo copyDirectionPeriod, past src and a guard, so that the
		// vector code's alignment and direction vary.
		gap := int(rawGap) % copyDirectionPeriod
		dstStart := (len(data)+guardLen+copyDirectionPeriod)/copyDirectionPeriod*copyDirectionPeriod + gap
		end := dstStart + len(data)
		guardBuf := bytes.Repeat([]byte{guard}, end+guardLen)

		want := bytes.Clone(data)
		wantPos := maskReference(key, pos, want)
		for _, impl := range testedMaskImpls() {
			mem := bytes.Clone(guardBuf)
			src := mem[:len(data)]
			copy(src, data)
			dst := mem[dstStart:]
			gotPos := impl.maskCopy(key, pos, dst, src[:split])
			gotPos = impl.maskCopy(key, gotPos, dst[split:], src[split:])
			if gotPos != wantPos || !bytes.Equal(mem[dstStart:end], want) {
				t.Fatalf("%s: key %x pos %d split %d gap %d: got pos %d %x, want pos %d %x",
					impl.name, key, pos, split, gap, gotPos, mem[dstStart:end], wantPos, want)
			}
			if !bytes.Equal(src, data) {
				t.Fatalf("%s: key %x pos %d split %d gap %d: the source changed", impl.name, key, pos, split, gap)
			}
			if !bytes.Equal(mem[len(data):dstStart], guardBuf[len(data):dstStart]) || !bytes.Equal(mem[end:], guardBuf[end:]) {
				t.Fatalf("%s: key %x pos %d split %d gap %d: bytes around the copy changed", impl.name, key, pos, split, gap)
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

// BenchmarkMaskCopy measures masking into a second buffer: each
// implementation's maskCopy (impl/size), copy followed by its in-place
// mask (copy+impl/size), and copy alone. dst starts maxFrameHeaderSize bytes
// into its buffer, where a write buffer holds the payload, so that dst is
// unaligned while src is aligned, as on the client write path.
func BenchmarkMaskCopy(b *testing.B) {
	key := [maskKeySize]byte{0x01, 0x23, 0x45, 0x67}
	// bench runs one row: step copies src to dst its own way.
	bench := func(name string, n int, step func(dst, src []byte)) {
		b.Run(name, func(b *testing.B) {
			src := make([]byte, n)
			dst := make([]byte, maxFrameHeaderSize+n)[maxFrameHeaderSize:]
			b.SetBytes(int64(n))
			for b.Loop() {
				step(dst, src)
			}
		})
	}
	for _, size := range maskBenchSizes {
		bench("copy/"+size.name, size.n, func(dst, src []byte) { copy(dst, src) })
	}
	impls := append([]maskImpl{portableMaskImpl}, vectorMaskImpls...)
	for _, impl := range impls {
		for _, size := range maskBenchSizes {
			bench(impl.name+"/"+size.name, size.n, func(dst, src []byte) {
				impl.maskCopy(key, 1, dst, src)
			})
			bench("copy+"+impl.name+"/"+size.name, size.n, func(dst, src []byte) {
				impl.mask(key, 1, dst[:copy(dst, src)])
			})
		}
	}
}
