package websocket

import "encoding/binary"

// Opcodes of RFC 6455 section 5.2.
const (
	continuationFrame = 0x0
	textFrame         = 0x1
	binaryFrame       = 0x2
	closeFrame        = 0x8
	pingFrame         = 0x9
	pongFrame         = 0xA
)

// Bits of the first two header bytes (RFC 6455 section 5.2).
const (
	finalBit      = 1 << 7
	rsv1Bit       = 1 << 6
	rsv2Bit       = 1 << 5
	rsv3Bit       = 1 << 4
	rsvBits       = rsv1Bit | rsv2Bit | rsv3Bit
	opcodeBits    = 0x0F
	maskBit       = 1 << 7
	payloadLength = 0x7F
)

// Payload length encodings (RFC 6455 section 5.2): lengths up to 125 fit in
// the second byte; 126 announces a 16-bit length, 127 a 64-bit length.
const (
	maxInlinePayload   = 125
	payloadLength16    = 126
	payloadLength64    = 127
	maxPayloadLength16 = 0xFFFF
)

const (
	// maxControlFramePayload is the largest payload of a control frame (RFC 6455 section 5.5).
	maxControlFramePayload = 125
	// maskKeySize is the length of a masking key (RFC 6455 section 5.3).
	maskKeySize = 4
	// maxFrameHeaderSize is the longest frame header: 2 bytes, a 64-bit length and a masking key.
	maxFrameHeaderSize = 2 + 8 + maskKeySize
	// minFrameHeaderSize is the shortest frame header.
	minFrameHeaderSize = 2
)

// frameHeader is a decoded frame header.
type frameHeader struct {
	final         bool
	rsv           byte // the reserved bits, in place in the first byte
	opcode        byte
	masked        bool
	maskKey       [maskKeySize]byte
	payloadLength uint64
	// minimalLength is false when the length was not encoded in the fewest bytes,
	// which RFC 6455 section 5.2 forbids.
	minimalLength bool
}

// isControlOpcode reports whether opcode names a control frame (RFC 6455 section 5.5).
func isControlOpcode(opcode byte) bool { return opcode&0x8 != 0 }

// encodedHeaderSize returns the size of the header announced by its first two bytes.
func encodedHeaderSize(b1 byte) int {
	n := minFrameHeaderSize
	switch b1 & payloadLength {
	case payloadLength16:
		n += 2
	case payloadLength64:
		n += 8
	}
	if b1&maskBit != 0 {
		n += maskKeySize
	}
	return n
}

// decodeFrameHeader decodes a header; p holds exactly encodedHeaderSize(p[1]) bytes.
func decodeFrameHeader(p []byte) frameHeader {
	h := frameHeader{
		final:         p[0]&finalBit != 0,
		rsv:           p[0] & rsvBits,
		opcode:        p[0] & opcodeBits,
		masked:        p[1]&maskBit != 0,
		minimalLength: true,
	}
	rest := p[2:]
	switch length := p[1] & payloadLength; length {
	case payloadLength16:
		h.payloadLength = uint64(binary.BigEndian.Uint16(rest))
		h.minimalLength = h.payloadLength > maxInlinePayload
		rest = rest[2:]
	case payloadLength64:
		h.payloadLength = binary.BigEndian.Uint64(rest)
		h.minimalLength = h.payloadLength > maxPayloadLength16
		rest = rest[8:]
	default:
		h.payloadLength = uint64(length)
	}
	if h.masked {
		copy(h.maskKey[:], rest)
	}
	return h
}

// frameHeaderSize returns the size of the header for a payload of length bytes.
func frameHeaderSize(length int, masked bool) int {
	n := minFrameHeaderSize
	switch {
	case length > maxPayloadLength16:
		n += 8
	case length > maxInlinePayload:
		n += 2
	}
	if masked {
		n += maskKeySize
	}
	return n
}

// putFrameHeader encodes a header into dst, which must be exactly
// frameHeaderSize(length, masked) bytes long. first is the first header byte
// (final bit, reserved bits and opcode).
func putFrameHeader(dst []byte, first byte, length int, masked bool, maskKey [maskKeySize]byte) {
	dst[0] = first
	var b1 byte
	if masked {
		b1 = maskBit
	}
	rest := dst[2:]
	switch {
	case length > maxPayloadLength16:
		dst[1] = b1 | payloadLength64
		binary.BigEndian.PutUint64(rest, uint64(length))
		rest = rest[8:]
	case length > maxInlinePayload:
		dst[1] = b1 | payloadLength16
		binary.BigEndian.PutUint16(rest, uint16(length))
		rest = rest[2:]
	default:
		dst[1] = b1 | byte(length)
	}
	if masked {
		copy(rest, maskKey[:])
	}
}
