package main

import (
	"fmt"
	"testing"
)

// TestCategory5Fragmentation plays cases 5.1 to 5.20 (RFC 6455 section
// 5.4): control frames may not be fragmented; a fragmented text message is
// echoed whole, also sent a byte or a frame per write and with pings between
// its fragments, which are answered at once; a continuation with nothing to
// continue, or a new data frame inside a fragmented message, fails the
// connection with 1002.
func TestCategory5Fragmentation(t *testing.T) { runCases(t, category5Cases()) }

// category5Cases returns the cases of TestCategory5Fragmentation.
func category5Cases() []autobahnCase {
	f := func(fin bool, opcode byte, payload string) []byte { return frame(fin, 0, opcode, []byte(payload)) }
	twoFragments := [][]byte{f(false, opText, "fragment1"), f(true, opContinuation, "fragment2")}
	withPing := [][]byte{f(false, opText, "fragment1"), pingFrame("ping payload"), f(true, opContinuation, "fragment2")}
	joined := []event{textMessage("fragment1fragment2")}
	pongThenJoined := []event{pong("ping payload"), textMessage("fragment1fragment2")}
	protocolError := []int{closeProtocol}

	// Cases come in threes: all frames in one write, a byte per write, a
	// frame per write.

	// 5.9 to 5.14: a continuation frame first, then a whole text message.
	strayContinuation := func(fin bool) [][]byte {
		return [][]byte{f(fin, opContinuation, "non-continuation payload"), textFrame("Hello, world!")}
	}
	cases := []autobahnCase{
		{id: "5.1", play: sendFrames(f(false, opPing, "fragment1"), f(true, opContinuation, "fragment2")), fail: protocolError},
		{id: "5.2", play: sendFrames(f(false, opPong, "fragment1"), f(true, opContinuation, "fragment2")), fail: protocolError},
		{id: "5.3", play: sendChops(1<<20, twoFragments...), want: joined},
		{id: "5.4", play: sendChops(1, twoFragments...), want: joined},
		{id: "5.5", play: sendFrames(twoFragments...), want: joined},
		{id: "5.6", play: sendChops(1<<20, withPing...), want: pongThenJoined},
		{id: "5.7", play: sendChops(1, withPing...), want: pongThenJoined},
		{id: "5.8", play: sendFrames(withPing...), want: pongThenJoined},
		{id: "5.9", play: sendChops(1<<20, strayContinuation(true)...), fail: protocolError},
		{id: "5.10", play: sendFrames(strayContinuation(true)...), fail: protocolError},
		{id: "5.11", play: sendChops(1, strayContinuation(true)...), fail: protocolError},
		{id: "5.12", play: sendChops(1<<20, strayContinuation(false)...), fail: protocolError},
		{id: "5.13", play: sendFrames(strayContinuation(false)...), fail: protocolError},
		{id: "5.14", play: sendChops(1, strayContinuation(false)...), fail: protocolError},
		{id: "5.15", play: sendChops(1<<20, f(false, opText, "fragment1"), f(true, opContinuation, "fragment2"),
			f(false, opContinuation, "fragment3"), f(true, opText, "fragment4")), want: joined, fail: protocolError},
		{id: "5.16", play: sendChops(1<<20, repeat(2, f(false, opContinuation, "fragment1"), f(false, opText, "fragment2"),
			f(true, opContinuation, "fragment3"))...), fail: protocolError},
		{id: "5.17", play: sendChops(1<<20, repeat(2, f(true, opContinuation, "fragment1"), f(false, opText, "fragment2"),
			f(true, opContinuation, "fragment3"))...), fail: protocolError},
		{id: "5.18", play: sendChops(1<<20, f(false, opText, "fragment1"), f(true, opText, "fragment2")), fail: protocolError},
		{id: "5.19", play: func(rc *rawConn) { playPingsBetweenFragments(rc, false) }, want: []event{textMessage("fragment1fragment2fragment3fragment4fragment5")}},
		{id: "5.20", play: func(rc *rawConn) { playPingsBetweenFragments(rc, true) }, want: []event{textMessage("fragment1fragment2fragment3fragment4fragment5")}},
	}
	return cases
}

// playPingsBetweenFragments is cases 5.19 and 5.20: two fragments and a
// ping, then, once the pong has come back (the suite waits a second; here
// the pong arriving before the message is complete is the assertion), two
// more fragments, another ping and the last fragment. byFrame sends each
// frame with a write of its own, otherwise each batch goes in one write.
func playPingsBetweenFragments(rc *rawConn, byFrame bool) {
	rc.t.Helper()
	send := func(frames ...[]byte) {
		if byFrame {
			rc.send(frames...)
		} else {
			rc.sendChopped(1<<20, frames...)
		}
	}
	fragment := func(i int, opcode byte, fin bool) []byte {
		return frame(fin, 0, opcode, []byte(fmt.Sprintf("fragment%d", i)))
	}
	send(fragment(1, opText, false), fragment(2, opContinuation, false), pingFrame("pongme 1!"))
	rc.expect(pong("pongme 1!"))
	send(fragment(3, opContinuation, false), fragment(4, opContinuation, false), pingFrame("pongme 2!"), fragment(5, opContinuation, true))
	rc.expect(pong("pongme 2!"))
}

// repeat returns frames n times over.
func repeat(n int, frames ...[]byte) [][]byte {
	var all [][]byte
	for range n {
		all = append(all, frames...)
	}
	return all
}
