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
		k := uint64(rotatedKey(key, pos))
		k |= k << 32
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
