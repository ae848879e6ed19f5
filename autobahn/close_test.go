package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestCategory7Close plays cases 7.1.1 to 7.13.2 (RFC 6455 sections 5.5.1,
// 7.1 and 7.4): a close frame is answered with a close frame, after which
// the server sends nothing more (no echo of a message, no pong) and closes
// the TCP connection first; the received code is echoed; a payload of 1
// byte, a reason that makes the payload exceed 125 bytes, a code that may
// not be sent, or a reason that is not UTF-8 fails the connection.
func TestCategory7Close(t *testing.T) { runCases(t, category7Cases()) }

// category7Cases returns the cases of TestCategory7Close.
func category7Cases() []autobahnCase {
	hello := "Hello World!"
	long := strings.Repeat("BAsd7&jh23", 256<<10/10+1)[:256<<10]
	f := func(fin bool, opcode byte, payload string) []byte { return frame(fin, 0, opcode, []byte(payload)) }
	// echoes ends a case whose close frame was sent in play: the server
	// answers with one of codes and closes the TCP connection.
	echoes := func(codes ...int) func(*rawConn) {
		return func(rc *rawConn) {
			rc.t.Helper()
			got := rc.next()
			if got.kind != evClose || !containsCode(codes, got.code) {
				rc.t.Fatalf("got %v, want a close frame with code %v", got, codes)
			}
			rc.expectTCPClosed()
		}
	}
	invalidReason := []byte{0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64}
	cases := []autobahnCase{
		{id: "7.1.1", play: sendFrames(textFrame(hello), closeFrame(closeNormal, "")), want: []event{textMessage(hello)}, end: echoes(closeNormal)},
		{id: "7.1.2", play: sendFrames(closeFrame(closeNormal, ""), closeFrame(closeNormal, "")), end: echoes(closeNormal)},
		{id: "7.1.3", play: sendFrames(closeFrame(closeNormal, ""), pingFrame("")), end: echoes(closeNormal)},
		{id: "7.1.4", play: sendFrames(closeFrame(closeNormal, ""), textFrame(hello)), end: echoes(closeNormal)},
		{id: "7.1.5", play: sendFrames(f(false, opText, "fragment1"), closeFrame(closeNormal, ""), f(true, opContinuation, "fragment2")), end: echoes(closeNormal)},
		// The suite only informs on 7.1.6; a server that reads in order
		// echoes both messages before the close.
		{id: "7.1.6", play: sendFrames(textFrame(long), textFrame(hello), closeFrame(closeNormal, ""), pingFrame("")),
			want: []event{textMessage(long), textMessage(hello)}, end: echoes(closeNormal)},
		{id: "7.3.1", play: sendFrames(frame(true, 0, opClose, nil)), end: echoes(closeNormal, closeNoStatus)},
		{id: "7.3.2", play: sendFrames(frame(true, 0, opClose, []byte("a"))), fail: []int{closeProtocol}},
		{id: "7.3.3", play: sendFrames(closeFrame(closeNormal, "")), end: echoes(closeNormal)},
		{id: "7.3.4", play: sendFrames(closeFrame(closeNormal, hello)), end: echoes(closeNormal)},
		{id: "7.3.5", play: sendFrames(closeFrame(closeNormal, strings.Repeat("*", 123))), end: echoes(closeNormal)},
		{id: "7.3.6", play: sendFrames(closeFrame(closeNormal, strings.Repeat("*", 124))), fail: []int{closeProtocol}},
		{id: "7.5.1", play: sendFrames(frame(true, 0, opClose, append(closePayload(closeNormal, ""), invalidReason...))),
			fail: []int{closeProtocol, closeInvalidData}},
	}
	for i, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cases = append(cases, autobahnCase{id: fmt.Sprintf("7.7.%d", i+1), play: sendFrames(closeFrame(code, "")), end: echoes(closeNormal, code)})
	}
	for i, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cases = append(cases, autobahnCase{id: fmt.Sprintf("7.9.%d", i+1), play: sendFrames(closeFrame(code, "")), fail: []int{closeProtocol}})
	}
	// 7.13.1 and 7.13.2 are informational: the RFC leaves codes of 5000 and
	// above undefined. This library fails the connection with 1002.
	for i, code := range []int{5000, 65535} {
		cases = append(cases, autobahnCase{id: fmt.Sprintf("7.13.%d", i+1), play: sendFrames(closeFrame(code, "")), fail: []int{closeProtocol}})
	}
	return cases
}
