package main

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Frames as RFC 6455 section 5 defines them, encoded and decoded by the test
// on its own.

// Opcodes and header bits of RFC 6455 section 5.2, written out again here so
// that the client does not share a line of code with the server it checks.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA

	bitFinal = 0x80
	bitRSV1  = 0x40
	bitRSV2  = 0x20
	bitRSV3  = 0x10
	bitMask  = 0x80

	maxControlPayload = 125
	closeNormal       = 1000
	closeProtocol     = 1002
	closeInvalidData  = 1007
	closeTooBig       = 1009
	closeNoStatus     = 1005 // no code in the close frame
)

// frame encodes a masked client frame (RFC 6455 section 5.2) with a fresh
// random masking key. rsv holds the reserved bits in their place in the
// first byte (bitRSV1 and so on).
func frame(fin bool, rsv, opcode byte, payload []byte) []byte {
	first := rsv | opcode
	if fin {
		first |= bitFinal
	}
	b := []byte{first, bitMask}
	switch n := len(payload); {
	case n <= 125:
		b[1] |= byte(n)
	case n <= 0xFFFF:
		b[1] |= 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] |= 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	rand.Read(key[:])
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	xorMask(b[start:], key, 0)
	return b
}

// xorMask masks or unmasks p in place with key (RFC 6455 section 5.3),
// starting pos bytes into the key, and returns the position after p. It
// XORs a buffer at a time with crypto/subtle, so that the race detector
// checks ranges rather than every byte of a 16 MiB message.
func xorMask(p []byte, key [4]byte, pos int) int {
	var stream [4096]byte
	n := min(len(p), len(stream))
	for i := range n {
		stream[i] = key[(pos+i)&3]
	}
	for len(p) > 0 {
		m := subtle.XORBytes(p, p, stream[:min(len(p), n)]) // n is a multiple of 4 unless p ends here
		p = p[m:]
		pos += m
	}
	return pos
}

// textFrame, pingFrame, pongFrame and closeFrame encode an unfragmented frame.
func textFrame(s string) []byte       { return frame(true, 0, opText, []byte(s)) }
func pingFrame(payload string) []byte { return frame(true, 0, opPing, []byte(payload)) }
func pongFrame(payload string) []byte { return frame(true, 0, opPong, []byte(payload)) }
func closeFrame(code int, reason string) []byte {
	return frame(true, 0, opClose, closePayload(code, reason))
}

// closePayload is a close frame's payload: the code, then the reason.
func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// fragments encodes payload as a data message of opcode in frames of size
// bytes (one frame when size is 0), the way the suite auto-fragments.
func fragments(opcode byte, payload []byte, size int) [][]byte {
	if size <= 0 || len(payload) <= size {
		return [][]byte{frame(true, 0, opcode, payload)}
	}
	pieces := chop(payload, size)
	frames := make([][]byte, len(pieces))
	for i, p := range pieces {
		op := byte(opContinuation)
		if i == 0 {
			op = opcode
		}
		frames[i] = frame(i == len(pieces)-1, 0, op, p)
	}
	return frames
}

// chop cuts b into pieces of size bytes, the last one shorter.
func chop(b []byte, size int) [][]byte {
	var pieces [][]byte
	for len(b) > size {
		pieces = append(pieces, b[:size])
		b = b[size:]
	}
	return append(pieces, b)
}

// frameHeader is a decoded frame header.
type frameHeader struct {
	fin    bool
	rsv    byte
	opcode byte
	masked bool
}

// errFrameFormat marks a frame header that breaks the encoding rules.
var errFrameFormat = errors.New("malformed frame")

// readFrame reads one frame and unmasks its payload; a malformed one is an
// error that wraps errFrameFormat.
func readFrame(br *bufio.Reader) (frameHeader, []byte, error) {
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return frameHeader{}, nil, err
	}
	h := frameHeader{
		fin:    head[0]&bitFinal != 0,
		rsv:    head[0] & (bitRSV1 | bitRSV2 | bitRSV3),
		opcode: head[0] & 0x0F,
		masked: head[1]&bitMask != 0,
	}
	length := uint64(head[1] & 0x7F)
	switch length {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return h, nil, err
		}
		length = uint64(binary.BigEndian.Uint16(ext[:]))
		if length < 126 {
			return h, nil, fmt.Errorf("%w: length %d in 16 bits (RFC 6455 section 5.2: minimal encoding)", errFrameFormat, length)
		}
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return h, nil, err
		}
		length = binary.BigEndian.Uint64(ext[:])
		if length <= 0xFFFF || length>>63 != 0 {
			return h, nil, fmt.Errorf("%w: length %d in 64 bits (RFC 6455 section 5.2)", errFrameFormat, length)
		}
	}
	var key [4]byte
	if h.masked {
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return h, nil, err
		}
	}
	const maxFrame = 64 << 20 // far above anything a case sends
	if length > maxFrame {
		return h, nil, fmt.Errorf("%w: frame of %d bytes", errFrameFormat, length)
	}
	payload := make([]byte, length)
	_, err := io.ReadFull(br, payload)
	if h.masked {
		xorMask(payload, key, 0)
	}
	return h, payload, err
}

// unmasker turns the masked frames the cases are written as into the
// unmasked frames a server sends. It works on the stream: fed any pieces of
// frames, down to single bytes, it passes each byte on as soon as it can,
// holding back only the bytes of a header until the header is whole.
type unmasker struct {
	header    []byte
	key       [4]byte
	pos       int
	remaining uint64 // payload bytes of the current frame still to come
}

func (u *unmasker) feed(in []byte) []byte {
	var out []byte
	for len(in) > 0 {
		if u.remaining > 0 {
			n := min(uint64(len(in)), u.remaining)
			start := len(out)
			out = append(out, in[:n]...)
			u.pos = xorMask(out[start:], u.key, u.pos)
			in, u.remaining = in[n:], u.remaining-n
			continue
		}
		u.header = append(u.header, in[0])
		in = in[1:]
		if len(u.header) < 2 {
			continue
		}
		size := 2 + len(u.key)
		switch u.header[1] &^ bitMask {
		case 126:
			size += 2
		case 127:
			size += 8
		}
		if len(u.header) < size {
			continue
		}
		lengthBytes := u.header[2 : size-len(u.key)]
		var length uint64
		switch len(lengthBytes) {
		case 0:
			length = uint64(u.header[1] &^ bitMask)
		case 2:
			length = uint64(binary.BigEndian.Uint16(lengthBytes))
		default:
			length = binary.BigEndian.Uint64(lengthBytes)
		}
		out = append(out, u.header[0], u.header[1]&^bitMask)
		out = append(out, lengthBytes...)
		copy(u.key[:], u.header[size-len(u.key):])
		u.remaining, u.pos, u.header = length, 0, u.header[:0]
	}
	return out
}

// parseClose decodes a close payload (RFC 6455 section 5.5.1) and checks what
// a server may send: no 1-byte payload, a code it may put on the wire, a
// UTF-8 reason.
func parseClose(p []byte) (event, error) {
	e := event{kind: evClose, code: closeNoStatus}
	switch {
	case len(p) == 0:
		return e, nil
	case len(p) == 1:
		return e, errors.New("close frame with a 1-byte payload")
	}
	e.code = int(binary.BigEndian.Uint16(p))
	e.reason = string(p[2:])
	switch {
	case e.code < 1000 || e.code == 1004 || e.code == 1005 || e.code == 1006 || (e.code > 1014 && e.code < 3000) || e.code > 4999:
		return e, fmt.Errorf("close code %d may not be sent (RFC 6455 section 7.4)", e.code)
	case !utf8.ValidString(e.reason):
		return e, errors.New("close reason that is not UTF-8")
	}
	return e, nil
}
