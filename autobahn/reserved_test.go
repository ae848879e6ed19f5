package main

import (
	"fmt"
	"testing"
)

// rsv puts the suite's 3-bit "RSV = n" value in place in the first header
// byte: 4 is RSV1, 2 is RSV2, 1 is RSV3.
func rsv(n byte) byte { return n << 4 }

// TestCategory3ReservedBits plays cases 3.1 to 3.7: without a negotiated
// extension a frame with any reserved bit set fails the connection with
// 1002 (RFC 6455 section 5.2), and the server answers nothing that came
// after it, not even the ping.
func TestCategory3ReservedBits(t *testing.T) { runCases(t, category3Cases()) }

// category3Cases returns the cases of TestCategory3ReservedBits.
func category3Cases() []autobahnCase {
	hello := "Hello, world!"
	binary := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	echoed := []event{textMessage(hello)}
	cases := []autobahnCase{
		{id: "3.1", play: sendFrames(frame(true, rsv(1), opText, []byte(hello))), fail: []int{closeProtocol}},
		{id: "3.2", play: sendFrames(textFrame(hello), frame(true, rsv(2), opText, []byte(hello)), pingFrame("")),
			want: echoed, fail: []int{closeProtocol}},
		{id: "3.3", play: sendFrames(textFrame(hello), frame(true, rsv(3), opText, []byte(hello)), pingFrame("")),
			want: echoed, fail: []int{closeProtocol}},
		{id: "3.4", play: sendChops(1, textFrame(hello), frame(true, rsv(4), opText, []byte(hello)), pingFrame("")),
			want: echoed, fail: []int{closeProtocol}},
		{id: "3.5", play: sendFrames(frame(true, rsv(5), opBinary, binary)), fail: []int{closeProtocol}},
		{id: "3.6", play: sendFrames(frame(true, rsv(6), opPing, []byte(hello))), fail: []int{closeProtocol}},
		{id: "3.7", play: sendFrames(frame(true, rsv(7), opClose, closePayload(closeNormal, ""))), fail: []int{closeProtocol}},
	}
	return cases
}

// TestCategory4ReservedOpcodes plays cases 4.1.1 to 4.2.5: a frame with a
// reserved data opcode (3 to 7) or control opcode (11 to 15) fails the
// connection with 1002 (RFC 6455 section 5.2), with or without a payload,
// after the server has echoed what came before it and before it answers the
// ping that follows.
func TestCategory4ReservedOpcodes(t *testing.T) { runCases(t, category4Cases()) }

// category4Cases returns the cases of TestCategory4ReservedOpcodes.
func category4Cases() []autobahnCase {
	hello := "Hello, world!"
	payload := []byte("reserved opcode payload")
	var cases []autobahnCase
	for group, base := range []byte{3, 11} {
		id := func(i int) string { return fmt.Sprintf("4.%d.%d", group+1, i) }
		cases = append(cases,
			autobahnCase{id: id(1), play: sendFrames(frame(true, 0, base, nil)), fail: []int{closeProtocol}},
			autobahnCase{id: id(2), play: sendFrames(frame(true, 0, base+1, payload)), fail: []int{closeProtocol}},
			autobahnCase{id: id(3), play: sendFrames(textFrame(hello), frame(true, 0, base+2, nil), pingFrame("")),
				want: []event{textMessage(hello)}, fail: []int{closeProtocol}},
			autobahnCase{id: id(4), play: sendFrames(textFrame(hello), frame(true, 0, base+3, payload), pingFrame("")),
				want: []event{textMessage(hello)}, fail: []int{closeProtocol}},
			autobahnCase{id: id(5), play: sendChops(1, textFrame(hello), frame(true, 0, base+4, payload), pingFrame("")),
				want: []event{textMessage(hello)}, fail: []int{closeProtocol}},
		)
	}
	return cases
}
