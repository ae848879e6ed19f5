package websocket

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// frameLengthBoundaries are the payload lengths at which the header changes
// shape (RFC 6455 section 5.2), with the header size each needs unmasked and
// the 7-bit length code of its second byte.
var frameLengthBoundaries = []struct {
	length     uint64
	headerSize int
	lengthCode byte
}{
	{0, 2, 0},
	{1, 2, 1},
	{125, 2, 125},
	{126, 4, 126},
	{127, 4, 126},
	{65535, 4, 126},
	{65536, 10, 127},
	{1 << 32, 10, 127},
	{math.MaxInt64, 10, 127},
}

func TestFrameHeaderRoundTrip(t *testing.T) {
	firsts := []byte{
		finalBit | textFrame,
		binaryFrame,
		continuationFrame,
		finalBit | pingFrame,
		finalBit | rsv1Bit | rsv3Bit | binaryFrame,
		0xFF,
	}
	key := [maskKeySize]byte{0xA1, 0xB2, 0xC3, 0xD4}
	for _, tc := range frameLengthBoundaries {
		length := int(tc.length)
		if uint64(length) != tc.length {
			continue // does not fit this platform's int
		}
		for _, masked := range []bool{false, true} {
			for _, first := range firsts {
				wantSize := tc.headerSize
				if masked {
					wantSize += maskKeySize
				}
				size := frameHeaderSize(length, masked)
				if size != wantSize {
					t.Fatalf("frameHeaderSize(%d, %v) = %d, want %d", length, masked, size, wantSize)
				}
				buf := make([]byte, size)
				putFrameHeader(buf, first, length, masked, key)

				// The wire bytes, checked independently of the decoder.
				if buf[0] != first {
					t.Errorf("length %d masked %v: first byte %#x, want %#x", length, masked, buf[0], first)
				}
				if got := buf[1] & 0x7F; got != tc.lengthCode {
					t.Errorf("length %d masked %v: length code %d, want %d", length, masked, got, tc.lengthCode)
				}
				if got := buf[1]&0x80 != 0; got != masked {
					t.Errorf("length %d masked %v: mask bit %v", length, masked, got)
				}
				var ext uint64
				switch tc.lengthCode {
				case 126:
					ext = uint64(binary.BigEndian.Uint16(buf[2:]))
				case 127:
					ext = binary.BigEndian.Uint64(buf[2:])
				default:
					ext = uint64(tc.lengthCode)
				}
				if ext != tc.length {
					t.Errorf("length %d masked %v: encoded length %d", length, masked, ext)
				}
				if masked && !bytes.Equal(buf[size-maskKeySize:], key[:]) {
					t.Errorf("length %d: mask key bytes % x, want % x", length, buf[size-maskKeySize:], key)
				}

				if got := encodedHeaderSize(buf[1]); got != size {
					t.Errorf("length %d masked %v: encodedHeaderSize = %d, want %d", length, masked, got, size)
				}
				h := decodeFrameHeader(buf)
				want := frameHeader{
					final:         first&0x80 != 0,
					rsv:           first & 0x70,
					opcode:        first & 0x0F,
					masked:        masked,
					payloadLength: tc.length,
					minimalLength: true,
				}
				if masked {
					want.maskKey = key
				}
				if h != want {
					t.Errorf("decode(put(first %#x, length %d, masked %v)) = %+v, want %+v", first, length, masked, h, want)
				}
			}
		}
	}
}

func TestFrameHeaderFirstByte(t *testing.T) {
	for b := range 256 {
		first := byte(b)
		h := decodeFrameHeader([]byte{first, 0})
		if h.final != (first&0x80 != 0) || h.rsv != first&0x70 || h.opcode != first&0x0F {
			t.Errorf("first byte %#x decoded as final %v rsv %#x opcode %d", first, h.final, h.rsv, h.opcode)
		}
		if h.masked || h.payloadLength != 0 || !h.minimalLength {
			t.Errorf("first byte %#x: second byte 0 decoded as %+v", first, h)
		}
	}
}

func TestFrameHeaderNonMinimalLength(t *testing.T) {
	len16 := func(n uint16) []byte {
		return binary.BigEndian.AppendUint16([]byte{finalBit | binaryFrame, payloadLength16}, n)
	}
	len64 := func(n uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte{finalBit | binaryFrame, payloadLength64}, n)
	}
	tests := []struct {
		name    string
		header  []byte
		length  uint64
		minimal bool
	}{
		{"16-bit 0", len16(0), 0, false},
		{"16-bit 5", len16(5), 5, false},
		{"16-bit 125", len16(125), 125, false},
		{"16-bit 126", len16(126), 126, true},
		{"16-bit 65535", len16(65535), 65535, true},
		{"64-bit 0", len64(0), 0, false},
		{"64-bit 125", len64(125), 125, false},
		{"64-bit 126", len64(126), 126, false},
		{"64-bit 65535", len64(65535), 65535, false},
		{"64-bit 65536", len64(65536), 65536, true},
		{"64-bit max", len64(math.MaxUint64), math.MaxUint64, true},
	}
	key := []byte{9, 8, 7, 6}
	for _, tc := range tests {
		for _, masked := range []bool{false, true} {
			header := bytes.Clone(tc.header)
			if masked {
				header[1] |= maskBit
				header = append(header, key...)
			}
			if got := encodedHeaderSize(header[1]); got != len(header) {
				t.Fatalf("%s masked %v: encodedHeaderSize = %d, want %d", tc.name, masked, got, len(header))
			}
			h := decodeFrameHeader(header)
			if h.payloadLength != tc.length || h.minimalLength != tc.minimal || h.masked != masked {
				t.Errorf("%s masked %v: length %d minimal %v masked %v, want %d %v %v",
					tc.name, masked, h.payloadLength, h.minimalLength, h.masked, tc.length, tc.minimal, masked)
			}
			if masked && !bytes.Equal(h.maskKey[:], key) {
				t.Errorf("%s: mask key % x, want % x", tc.name, h.maskKey, key)
			}
		}
	}
}

// FuzzFrameHeaderRoundTrip checks that every header the decoder calls
// minimal is encoded again byte for byte by putFrameHeader.
func FuzzFrameHeaderRoundTrip(f *testing.F) {
	f.Add([]byte{0x81, 0x05})
	f.Add([]byte{0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4})
	f.Add([]byte{0x02, 0x7F, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{0x89, 0x7E, 0x00, 0x05})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < minFrameHeaderSize {
			return
		}
		n := encodedHeaderSize(data[1])
		if len(data) < n {
			return
		}
		h := decodeFrameHeader(data[:n])
		length := int(h.payloadLength)
		if !h.minimalLength || length < 0 || uint64(length) != h.payloadLength {
			return
		}
		if got := frameHeaderSize(length, h.masked); got != n {
			t.Fatalf("frameHeaderSize(%d, %v) = %d, header was %d bytes", length, h.masked, got, n)
		}
		buf := make([]byte, n)
		putFrameHeader(buf, data[0], length, h.masked, h.maskKey)
		if !bytes.Equal(buf, data[:n]) {
			t.Fatalf("re-encoded % x, want % x", buf, data[:n])
		}
	})
}
