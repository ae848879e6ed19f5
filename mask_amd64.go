//go:build amd64 && !purego

package websocket

import "golang.org/x/sys/cpu"

// minVectorMaskLen is the shortest payload handed to the assembly. Below it
// the portable word loop is as fast or faster, because the vector code's
// fixed cost (the call, broadcasting the keys, masking the first and final
// vectors separately) is not yet paid back; measured with payload sizes
// spread over 16-256 bytes so that branch prediction is realistic.
const minVectorMaskLen = 64

// useAVX2 selects the 32-byte AVX2 loop over the 16-byte SSE2 baseline that
// every amd64 CPU has. Tests reach the SSE2 path through maskBytesVector and
// maskCopyVector, which take the choice as an argument.
var useAVX2 = cpu.X86.HasAVX2

// maskBytes XORs b in place with key, starting at key byte pos (0..3), and
// returns the key position after the last byte (RFC 6455 section 5.3).
func maskBytes(key [maskKeySize]byte, pos int, b []byte) int {
	return maskBytesVector(key, pos, b, useAVX2)
}

// maskBytesVector is maskBytes with the vector width chosen by the caller:
// AVX2 when avx2 is true, SSE2 otherwise.
func maskBytesVector(key [maskKeySize]byte, pos int, b []byte, avx2 bool) int {
	if len(b) < minVectorMaskLen {
		return maskBytesGeneric(key, pos, b)
	}
	k := rotatedKey(key, pos)
	if avx2 {
		maskAVX2(k, b)
	} else {
		maskSSE2(k, b)
	}
	// The key repeats every 4 bytes, so only len(b) mod 4 moves the position.
	return (pos + len(b)) & maskPosMask
}

// maskSSE2 XORs b in place with the 4-byte pattern key (little-endian, low
// byte first) repeated, 16 bytes per step. It needs len(b) >=
// minVectorMaskLen (64), because it covers the tail with 64 bytes that end
// at the last byte. Implemented in mask_amd64.s.
//
//go:noescape
func maskSSE2(key uint32, b []byte)

// maskAVX2 is maskSSE2 with 32-byte AVX2 steps; it needs a CPU with AVX2
// and, like maskSSE2, len(b) >= minVectorMaskLen. Implemented in
// mask_amd64.s.
//
//go:noescape
func maskAVX2(key uint32, b []byte)

// minVectorMaskCopyLen is the shortest payload handed to the copying
// assembly, which needs 64 bytes as the in-place one does. Measured like
// minVectorMaskLen over cut-offs from 64 to 256, 64 and 96 tied and higher
// ones lost: the portable copy, which covers its tail with one overlapping
// word, is ahead only below about 80 bytes.
const minVectorMaskCopyLen = 64

// maskCopy writes src XORed with key, starting at key byte pos (0..3), to dst
// and returns the key position after the last byte (RFC 6455 section 5.3).
// dst must be at least as long as src and must not overlap it; src is not
// changed. It reads and writes each byte once, where a copy followed by
// maskBytes goes over the payload twice.
func maskCopy(key [maskKeySize]byte, pos int, dst, src []byte) int {
	return maskCopyVector(key, pos, dst, src, useAVX2)
}

// maskCopyVector is maskCopy with the vector width chosen by the caller:
// AVX2 when avx2 is true, SSE2 otherwise.
func maskCopyVector(key [maskKeySize]byte, pos int, dst, src []byte, avx2 bool) int {
	if len(src) < minVectorMaskCopyLen {
		return maskCopyGeneric(key, pos, dst, src)
	}
	// The assembly writes len(src) bytes at dst without checking; this
	// panics first if dst is too short.
	dst = dst[:len(src)]
	k := rotatedKey(key, pos)
	if avx2 {
		maskCopyAVX2(k, dst, src)
	} else {
		maskCopySSE2(k, dst, src)
	}
	return (pos + len(src)) & maskPosMask
}

// maskCopySSE2 writes src XORed with the 4-byte pattern key (little-endian,
// low byte first) repeated to dst, 16 bytes per step. dst must be as long as
// src and must not overlap it, and len(src) >= minVectorMaskCopyLen (64).
// Implemented in mask_amd64.s.
//
//go:noescape
func maskCopySSE2(key uint32, dst, src []byte)

// maskCopyAVX2 is maskCopySSE2 with 32-byte AVX2 steps; it needs a CPU with
// AVX2. Implemented in mask_amd64.s.
//
//go:noescape
func maskCopyAVX2(key uint32, dst, src []byte)
