package main

import (
	"bytes"
	"fmt"
	"testing"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// largePayload returns n bytes of a text the suite would send: ASCII, so
// that it is also valid UTF-8, and not one repeated byte.
func largePayload(n int) []byte {
	return bytes.Repeat([]byte("BAsd7&jh23"), n/10+1)[:n]
}

// TestCategory9Limits plays cases 9.1.1 to 9.8.6 (big messages, many
// frames, small writes, many messages), with the sizes and counts capped
// where the suite's would make the tests slow; the README lists the caps.
// It adds the other side of category 9: the endpoints' read limit is 16 MiB,
// the suite's largest message, so a 16 MiB message is echoed and one byte
// more fails the connection with 1009 (RFC 6455 section 7.4.1), also when
// the byte count is only reached by decompressing.
func TestCategory9Limits(t *testing.T) { runCases(t, category9Cases()) }

// category9Cases returns the cases of TestCategory9Limits.
func category9Cases() []autobahnCase {
	var cases []autobahnCase
	for group, opcode := range []byte{opText, opBinary} {
		// 9.1 and 9.2: one message in one frame, of 64 KiB to 16 MiB. All
		// endpoints get the sizes to 1 MiB; 16 MiB, the read limit, goes to
		// the /message endpoint; 4 and 8 MiB are left out.
		for i, size := range []int{64 * kib, 256 * kib, 1 * mib, 4 * mib, 8 * mib, 16 * mib} {
			c := echoCase(fmt.Sprintf("9.%d.%d", group+1, i+1), opcode, largePayload(size), 0)
			switch {
			case size == 4*mib || size == 8*mib:
				continue
			case size > mib:
				c.only = onlyMessageEndpoint
			}
			cases = append(cases, c)
		}
		// 9.3 and 9.4: a message of 4 MiB in the suite, 256 KiB here, in
		// fragments of 64 bytes to 4 MiB (from 256 KiB on, one frame).
		payload := largePayload(256 * kib)
		for i, size := range []int{64, 256, 1 * kib, 4 * kib, 16 * kib, 64 * kib, 256 * kib, 1 * mib, 4 * mib} {
			cases = append(cases, autobahnCase{id: fmt.Sprintf("9.%d.%d", group+3, i+1),
				play: sendFrames(fragments(opcode, payload, size)...), want: []event{message(opcode, payload)}})
		}
		// 9.5 and 9.6: a 1 MiB message in the suite, 128 KiB here, written
		// in chops of 64 to 2048 bytes.
		payload = largePayload(128 * kib)
		for i, size := range []int{64, 128, 256, 512, 1024, 2048} {
			cases = append(cases, echoCase(fmt.Sprintf("9.%d.%d", group+5, i+1), opcode, payload, size))
		}
		// 9.7 and 9.8: 1000 messages in the suite, 50 here, each sent when
		// the previous one has come back.
		for i, size := range []int{0, 16, 64, 256, 1024, 4096} {
			payload := largePayload(size)
			cases = append(cases, autobahnCase{id: fmt.Sprintf("9.%d.%d", group+7, i+1), play: func(rc *rawConn) {
				for range 50 {
					rc.send(frame(true, 0, opcode, payload))
					rc.expect(message(opcode, payload))
				}
			}})
		}
	}
	const limit = 16 * mib
	cases = append(cases,
		autobahnCase{id: "limit/over-by-one", play: func(rc *rawConn) {
			// The header announces the length: the server refuses it before
			// the payload comes, so only a little of it is sent.
			f := frame(true, 0, opBinary, make([]byte, limit+1))
			rc.send(f[:64*kib])
		}, fail: []int{closeTooBig}},
		autobahnCase{id: "limit/over-by-one-in-fragments", play: func(rc *rawConn) {
			rc.send(frame(false, 0, opBinary, make([]byte, limit)), frame(true, 0, opContinuation, []byte{0}))
		}, fail: []int{closeTooBig}, only: onlyMessageEndpoint},
		autobahnCase{id: "limit/over-by-one-decompressed", offer: "permessage-deflate", play: func(rc *rawConn) {
			rc.sendMessage(opBinary, make([]byte, limit+1), 0)
		}, fail: []int{closeTooBig}, only: onlyMessageEndpoint},
	)
	return cases
}

// TestCategory10AutoFragmentation plays case 10.1.1: a 64 KiB text message
// the client fragments into 1300-byte frames comes back whole. The /stream
// endpoint, whose write buffer is 1 KiB, must itself fragment its echo
// (RFC 6455 section 5.4 lets either side fragment a message as it likes).
func TestCategory10AutoFragmentation(t *testing.T) {
	payload := bytes.Repeat([]byte("*"), 64*kib)
	forEachEndpoint(t, func(t *testing.T, e endpoint, url string) {
		rc := dialRaw(t, url, "")
		rc.send(fragments(opText, payload, 1300)...)
		got := rc.next()
		if !got.matches(message(opText, payload)) {
			t.Fatalf("got %v, want the 64 KiB text message", got)
		}
		if e.writeBufferSize > 0 && got.frames < len(payload)/e.writeBufferSize {
			t.Errorf("the echo came in %d frames; a write buffer of %d bytes makes at least %d", got.frames, e.writeBufferSize, len(payload)/e.writeBufferSize)
		}
		rc.closeNormally()
	})
}
