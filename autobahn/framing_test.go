package main

import (
	"bytes"
	"fmt"
	"testing"
)

// echoCase is a case that sends one message in one frame, in writes of
// chopSize bytes (one write when 0), and expects it back.
func echoCase(id string, opcode byte, payload []byte, chopSize int) autobahnCase {
	f := frame(true, 0, opcode, payload)
	play := sendFrames(f)
	if chopSize > 0 {
		play = sendChops(chopSize, f)
	}
	return autobahnCase{id: id, play: play, want: []event{message(opcode, payload)}}
}

// TestCategory1Framing plays cases 1.1.1 to 1.2.8: text ('*') and binary
// (0xfe) messages at each boundary of the payload length encoding (RFC 6455
// section 5.2: 7 bits up to 125, 16 bits up to 65535, 64 bits beyond), the
// largest also sent in chops of 997 bytes. Rows marked "buffer" add the
// boundaries of the server's buffers: 1 KiB on /stream, 4 KiB elsewhere.
func TestCategory1Framing(t *testing.T) { runCases(t, category1Cases()) }

// category1Cases returns the cases of TestCategory1Framing.
func category1Cases() []autobahnCase {
	lengths := []int{0, 125, 126, 127, 128, 65535, 65536}
	var cases []autobahnCase
	for group, kind := range []struct {
		opcode byte
		fill   byte
	}{{opText, '*'}, {opBinary, 0xfe}} {
		for i, n := range lengths {
			id := fmt.Sprintf("1.%d.%d", group+1, i+1)
			cases = append(cases, echoCase(id, kind.opcode, bytes.Repeat([]byte{kind.fill}, n), 0))
		}
		id := fmt.Sprintf("1.%d.8", group+1)
		cases = append(cases, echoCase(id, kind.opcode, bytes.Repeat([]byte{kind.fill}, 65536), 997))
		for _, n := range []int{1023, 1024, 1025, 4095, 4096, 4097, 4096 + 14} {
			id := fmt.Sprintf("1.%d.buffer-%d", group+1, n)
			cases = append(cases, echoCase(id, kind.opcode, bytes.Repeat([]byte{kind.fill}, n), 0))
		}
	}
	return cases
}
