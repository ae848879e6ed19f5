package websocket

import (
	"encoding/binary"
	"math/bits"
)

// RFC 6455 section 5.3: every byte i of a client-to-server payload is XORed
// with octet (i MOD 4) of the 4-byte masking key.
const (
	// maskPosMask reduces a running byte count to a key position, since the
	// key repeats every maskKeySize bytes.
	maskPosMask = maskKeySize - 1
	// maskWordLen is how many payload bytes the portable loop XORs at once.
	maskWordLen = 8
)

// maskBytesGeneric is the portable maskBytes: it XORs b in place with key,
// starting at key byte pos (0..3), and returns the key position after the
// last byte so that the next fragment of the same payload continues the
// pattern.
//
// It masks 8 bytes per step with a 64-bit key whose low byte is the key
// byte due at b[0]. Whole words keep the key phase, so the same word serves
// to the end, then a 4-byte step and at most 3 single bytes finish the tail.
// The payload is not first aligned to a word boundary byte by byte:
// encoding/binary's accesses become single unaligned moves where the CPU
// allows them and byte moves where it does not, so alignment buys nothing,
// and on amd64 such a head measured slower at every size.
func maskBytesGeneric(key [maskKeySize]byte, pos int, b []byte) int {
	pos &= maskPosMask
	if len(b) >= maskWordLen {
		k := wordKey(key, pos)
		// Four words per iteration cut the loop overhead.
		for len(b) >= 4*maskWordLen {
			xorWord(b[0*maskWordLen:], k)
			xorWord(b[1*maskWordLen:], k)
			xorWord(b[2*maskWordLen:], k)
			xorWord(b[3*maskWordLen:], k)
			b = b[4*maskWordLen:]
		}
		for len(b) >= maskWordLen {
			xorWord(b, k)
			b = b[maskWordLen:]
		}
	}
	if len(b) >= maskKeySize {
		// One 4-byte step is also phase-neutral and leaves at most 3
		// bytes for the slow loop.
		binary.LittleEndian.PutUint32(b, binary.LittleEndian.Uint32(b)^rotatedKey(key, pos))
		b = b[maskKeySize:]
	}
	for i := range b {
		b[i] ^= key[pos&maskPosMask]
		pos++
	}
	return pos & maskPosMask
}

// maskCopyGeneric is the portable maskCopy: it writes src XORed with key,
// starting at key byte pos (0..3), to dst and returns the key position after
// the last byte. dst must be at least as long as src and must not overlap it.
//
// It reads each byte of src once and writes each byte of dst once, 8 bytes
// per step like maskBytesGeneric. Since src does not change, the bytes after
// the last whole word are done by one more word that ends at the last byte
// and overlaps the previous one: it writes the same values there. Payloads
// shorter than a word get two overlapping 4-byte steps, or single bytes.
func maskCopyGeneric(key [maskKeySize]byte, pos int, dst, src []byte) int {
	pos &= maskPosMask
	n := len(src)
	// Panics at once when dst is too short, and tells the compiler that
	// every index valid in src is valid in dst.
	dst = dst[:n]
	// The key position of the last 8 or 4 bytes: n-8 and n-4 are n mod 4.
	end := (pos + n) & maskPosMask
	switch {
	case n >= maskWordLen:
		k := wordKey(key, pos)
		// The loops compare the end of the next step with n, a form in
		// which the compiler proves the accesses in bounds; testing the
		// start measured a third slower. Four words per iteration cut the
		// loop overhead.
		i := 4 * maskWordLen
		for ; i <= n; i += 4 * maskWordLen {
			d, s := dst[i-4*maskWordLen:i], src[i-4*maskWordLen:i]
			xorWordTo(d[0*maskWordLen:], s[0*maskWordLen:], k)
			xorWordTo(d[1*maskWordLen:], s[1*maskWordLen:], k)
			xorWordTo(d[2*maskWordLen:], s[2*maskWordLen:], k)
			xorWordTo(d[3*maskWordLen:], s[3*maskWordLen:], k)
		}
		for i -= 3 * maskWordLen; i <= n; i += maskWordLen {
			xorWordTo(dst[i-maskWordLen:i], src[i-maskWordLen:i], k)
		}
		xorWordTo(dst[n-maskWordLen:], src[n-maskWordLen:], wordKey(key, end))
	case n >= maskKeySize:
		xorKeyTo(dst, src, rotatedKey(key, pos))
		xorKeyTo(dst[n-maskKeySize:], src[n-maskKeySize:], rotatedKey(key, end))
	default:
		for i := range src {
			dst[i] = src[i] ^ key[(pos+i)&maskPosMask]
		}
	}
	return end
}

// xorWordTo stores the first 8 bytes of src XORed with the little-endian
// word k in the first 8 bytes of dst.
func xorWordTo(dst, src []byte, k uint64) {
	binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k)
}

// xorKeyTo stores the first 4 bytes of src XORed with the little-endian key
// k in the first 4 bytes of dst.
func xorKeyTo(dst, src []byte, k uint32) {
	binary.LittleEndian.PutUint32(dst, binary.LittleEndian.Uint32(src)^k)
}

// xorWord XORs the first 8 bytes of b with the little-endian word k.
func xorWord(b []byte, k uint64) {
	binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
}

// rotatedKey returns the masking key as a little-endian 32-bit word whose
// low byte is key[pos], so that XORing it onto 4 payload bytes that start at
// key position pos masks each of them with the right key byte.
func rotatedKey(key [maskKeySize]byte, pos int) uint32 {
	return bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*(pos&maskPosMask))
}

// wordKey is rotatedKey twice over: the key for 8 payload bytes that start
// at key position pos.
func wordKey(key [maskKeySize]byte, pos int) uint64 {
	k := uint64(rotatedKey(key, pos))
	return k | k<<32
}
