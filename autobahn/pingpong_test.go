package main

import (
	"bytes"
	"fmt"
	"testing"
)

// TestCategory2PingPong plays cases 2.1 to 2.11: pings with empty, text,
// binary and 125-byte payloads must be answered by a pong with the same
// payload (RFC 6455 section 5.5.2), a 126-byte ping fails the connection
// (section 5.5: control payloads are at most 125 bytes), unsolicited pongs
// are ignored (section 5.5.3), and ten pings get ten pongs in order, also
// when every byte comes in a write of its own.
func TestCategory2PingPong(t *testing.T) { runCases(t, category2Cases()) }

// category2Cases returns the cases of TestCategory2PingPong.
func category2Cases() []autobahnCase {
	binary := string([]byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff})
	max := string(bytes.Repeat([]byte{0xfe}, 125))
	tooLong := string(bytes.Repeat([]byte{0xfe}, 126))
	var tenPings [][]byte
	var tenPongs []event
	for i := range 10 {
		payload := fmt.Sprintf("payload-%d", i)
		tenPings = append(tenPings, pingFrame(payload))
		tenPongs = append(tenPongs, pong(payload))
	}
	cases := []autobahnCase{
		{id: "2.1", play: sendFrames(pingFrame("")), want: []event{pong("")}},
		{id: "2.2", play: sendFrames(pingFrame("Hello, world!")), want: []event{pong("Hello, world!")}},
		{id: "2.3", play: sendFrames(pingFrame(binary)), want: []event{pong(binary)}},
		{id: "2.4", play: sendFrames(pingFrame(max)), want: []event{pong(max)}},
		{id: "2.5", play: sendFrames(pingFrame(tooLong)), fail: []int{closeProtocol}},
		{id: "2.6", play: sendChops(1, pingFrame(max)), want: []event{pong(max)}},
		{id: "2.7", play: sendFrames(pongFrame(""))},
		{id: "2.8", play: sendFrames(pongFrame("unsolicited pong payload"))},
		{id: "2.9", play: sendFrames(pongFrame("unsolicited pong payload"), pingFrame("ping payload")), want: []event{pong("ping payload")}},
		{id: "2.10", play: sendFrames(tenPings...), want: tenPongs},
		{id: "2.11", play: sendChops(1, tenPings...), want: tenPongs},
	}
	return cases
}
