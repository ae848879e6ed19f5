package websocket

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// The frame reader seen from the wire: a raw peer sends bytes that follow or
// break RFC 6455, and each test checks both the close frame the library
// answers with and the error its read methods return.

// wireClientFrame encodes a masked frame, as a client sends it.
func wireClientFrame(first byte, payload string) []byte {
	return encodeTestFrame(first, []byte(payload), true)
}

// wireServerFrame encodes an unmasked frame, as a server sends it.
func wireServerFrame(first byte, payload string) []byte {
	return encodeTestFrame(first, []byte(payload), false)
}

// wireFrames concatenates encoded frames into one write.
func wireFrames(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

// wireCloseBody is a close frame payload: code, then reason.
func wireCloseBody(code int, reason string) string {
	return string(binary.BigEndian.AppendUint16(nil, uint16(code))) + reason
}

// wireHeader is a masked client frame header with the given second byte
// length code and extended length bytes, and no payload.
func wireHeader(first, lengthCode byte, extended ...byte) []byte {
	b := append([]byte{first, maskBit | lengthCode}, extended...)
	return append(b, 0x11, 0x22, 0x33, 0x44)
}

// startReadServer serves a connection that setup (when not nil) prepares and
// that then echoes every message until a read fails; the first read error
// comes out of the channel. A raw client is connected to it.
func startReadServer(t *testing.T, setup func(*Conn)) (*rawPeer, <-chan error) {
	t.Helper()
	errs := make(chan error, 1)
	wsURL := startServer(t, nil, func(c *Conn) {
		c.SetReadDeadline(time.Now().Add(testTimeout))
		if setup != nil {
			setup(c)
		}
		for {
			messageType, p, err := c.ReadMessage()
			if err != nil {
				errs <- err
				return
			}
			if err := c.WriteMessage(messageType, p); err != nil {
				errs <- fmt.Errorf("echo failed: %w", err)
				return
			}
		}
	})
	return dialRaw(t, wsURL), errs
}

// awaitValue waits, at most testTimeout, for a value from ch.
func awaitValue[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("channel closed without a value")
		}
		return v
	case <-time.After(testTimeout):
		t.Fatal("timed out waiting for the connection handler")
	}
	panic("unreachable")
}

// expectCloseFrame reads frames until a close frame and returns it.
func expectCloseFrame(t *testing.T, p *rawPeer) testFrame {
	t.Helper()
	for {
		f, err := p.readFrame()
		if err != nil {
			t.Fatalf("no close frame before %v", err)
		}
		if f.opcode() == closeFrame {
			if f.first != finalBit|closeFrame {
				t.Errorf("close frame first byte %#x, want %#x", f.first, finalBit|closeFrame)
			}
			return f
		}
	}
}

// expectFrame reads one frame and fails the test unless it has first as its
// first byte and payload as its payload; what names the frame in the failure.
func expectFrame(t *testing.T, p *rawPeer, what string, first byte, payload []byte) {
	t.Helper()
	f, err := p.readFrame()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if f.first != first || !bytes.Equal(f.payload, payload) {
		t.Fatalf("%s: first byte %#x payload %q, want %#x %q", what, f.first, f.payload, first, payload)
	}
}

// closeNormally starts the close handshake with CloseNormalClosure and checks
// that the server echoes the code and that its read ended with it.
func closeNormally(t *testing.T, p *rawPeer, errs <-chan error) {
	t.Helper()
	p.writeFrame(finalBit|closeFrame, []byte(wireCloseBody(CloseNormalClosure, "")))
	checkCloseFrame(t, expectCloseFrame(t, p), CloseNormalClosure)
	checkReadErr(t, awaitValue(t, errs), &CloseError{Code: CloseNormalClosure})
}

// checkCloseFrame checks that f carries code, where CloseNoStatusReceived
// stands for an empty payload.
func checkCloseFrame(t *testing.T, f testFrame, code int) {
	t.Helper()
	if code == CloseNoStatusReceived {
		if len(f.payload) != 0 {
			t.Errorf("close payload % x, want an empty one", f.payload)
		}
		return
	}
	if len(f.payload) < closeCodeSize {
		t.Errorf("close payload % x, want code %d", f.payload, code)
		return
	}
	if got := f.closeCode(); got != code {
		t.Errorf("close code %d (reason %q), want %d", got, f.payload[2:], code)
	}
}

// protocolErr is the expected error of a rule broken by the peer: a
// *ProtocolError with the close code, whose Rule contains rule.
func protocolErr(code int, rule string) error { return &ProtocolError{Code: code, Rule: rule} }

// checkReadErr compares the error a read returned with want:
//   - *ProtocolError: same type and Code, Rule containing want.Rule;
//   - *CloseError: same type, Code and Text;
//   - anything else: the very same error value.
func checkReadErr(t *testing.T, got, want error) {
	t.Helper()
	switch w := want.(type) {
	case *ProtocolError:
		pe, ok := got.(*ProtocolError)
		if !ok {
			t.Errorf("read error %T %v, want a *ProtocolError with code %d", got, got, w.Code)
			return
		}
		if pe.Code != w.Code {
			t.Errorf("read error code %d (%v), want %d", pe.Code, pe, w.Code)
		}
		if pe.Rule == "" || !strings.Contains(pe.Rule, w.Rule) {
			t.Errorf("read error rule %q, want one naming %q", pe.Rule, w.Rule)
		}
	case *CloseError:
		ce, ok := got.(*CloseError)
		if !ok {
			t.Errorf("read error %T %v, want *CloseError %v", got, got, w)
			return
		}
		if *ce != *w {
			t.Errorf("read error %+v, want %+v", *ce, *w)
		}
	default:
		if got != want {
			t.Errorf("read error %T %v, want %v", got, got, want)
		}
	}
}

// readCase is one exchange with a server: the bytes a raw client sends, the
// close code the server answers with and the error its read returns.
type readCase struct {
	name  string
	setup func(*Conn)
	send  []byte
	close int
	err   error
}

func runReadCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			peer, errs := startReadServer(t, tc.setup)
			peer.write(tc.send)
			checkCloseFrame(t, expectCloseFrame(t, peer), tc.close)
			checkReadErr(t, awaitValue(t, errs), tc.err)
		})
	}
}

func TestReadFrameHeaderViolations(t *testing.T) {
	cases := []readCase{
		{
			name:  "unmasked client frame",
			send:  wireServerFrame(finalBit|textFrame, "hello"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "unmasked"),
		},
		{
			name:  "fragmented ping",
			send:  wireClientFrame(pingFrame, "ping"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "fragmented control frame"),
		},
		{
			name:  "ping payload of 126 bytes",
			send:  wireClientFrame(finalBit|pingFrame, strings.Repeat("p", 126)),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "125"),
		},
		{
			name:  "close payload of 126 bytes",
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(CloseNormalClosure, strings.Repeat("c", 124))),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "125"),
		},
		{
			name:  "continuation with nothing to continue",
			send:  wireClientFrame(finalBit|continuationFrame, "orphan"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "continuation"),
		},
		{
			name: "text frame inside a fragmented message",
			send: wireFrames(
				wireClientFrame(textFrame, "first "),
				wireClientFrame(finalBit|textFrame, "second"),
			),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "inside a fragmented message"),
		},
		{
			name: "binary frame inside a fragmented message",
			send: wireFrames(
				wireClientFrame(binaryFrame, "first "),
				wireClientFrame(finalBit|binaryFrame, "second"),
			),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "inside a fragmented message"),
		},
		{
			name:  "64-bit length with the top bit set",
			send:  wireHeader(finalBit|binaryFrame, payloadLength64, 0x80, 0, 0, 0, 0, 0, 0, 0),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "most significant bit"),
		},
		{
			name:  "16-bit encoding of a 5-byte length",
			send:  append(wireHeader(finalBit|binaryFrame, payloadLength16, 0, 5), "abcde"...),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "minimal"),
		},
		{
			name:  "64-bit encoding of a 126-byte length",
			send:  append(wireHeader(finalBit|binaryFrame, payloadLength64, 0, 0, 0, 0, 0, 0, 0, 126), strings.Repeat("x", 126)...),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "minimal"),
		},
		{
			name:  "64-bit encoding of a 65535-byte length",
			send:  wireHeader(finalBit|binaryFrame, payloadLength64, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "minimal"),
		},
		{
			name:  "16-bit encoding of a ping's length",
			send:  append(wireHeader(finalBit|pingFrame, payloadLength16, 0, 4), "ping"...),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "minimal"),
		},
	}
	for _, rsv := range []struct {
		name string
		bit  byte
	}{{"RSV1", rsv1Bit}, {"RSV2", rsv2Bit}, {"RSV3", rsv3Bit}} {
		cases = append(cases, readCase{
			name:  rsv.name + " without extension",
			send:  wireClientFrame(finalBit|rsv.bit|textFrame, "hello"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "reserved bits"),
		})
	}
	for _, opcode := range []byte{3, 4, 5, 6, 7, 11, 12, 13, 14, 15} {
		cases = append(cases, readCase{
			name:  fmt.Sprintf("reserved opcode %d", opcode),
			send:  wireClientFrame(finalBit|opcode, ""),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "reserved opcode"),
		})
	}
	runReadCases(t, cases)
}

func TestReadCloseFrames(t *testing.T) {
	var cases []readCase
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, readCase{
			name:  fmt.Sprintf("invalid code %d", code),
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(code, "bye")),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "close code"),
		})
	}
	for _, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		cases = append(cases, readCase{
			name:  fmt.Sprintf("valid code %d", code),
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(code, "bye")),
			close: code,
			err:   &CloseError{Code: code, Text: "bye"},
		})
	}
	cases = append(cases,
		readCase{
			name:  "valid code without reason",
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(CloseGoingAway, "")),
			close: CloseGoingAway,
			err:   &CloseError{Code: CloseGoingAway},
		},
		readCase{
			name:  "valid code with a UTF-8 reason of 123 bytes",
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(CloseNormalClosure, strings.Repeat("é", 61)+"!")),
			close: CloseNormalClosure,
			err:   &CloseError{Code: CloseNormalClosure, Text: strings.Repeat("é", 61) + "!"},
		},
		readCase{
			name:  "1-byte payload",
			send:  wireClientFrame(finalBit|closeFrame, "\x03"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "1 byte"),
		},
		readCase{
			name:  "empty payload",
			send:  wireClientFrame(finalBit|closeFrame, ""),
			close: CloseNoStatusReceived, // an empty close frame back
			err:   &CloseError{Code: CloseNoStatusReceived},
		},
		readCase{
			name:  "invalid UTF-8 in the reason",
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(CloseNormalClosure, "bye \xff")),
			close: CloseInvalidFramePayloadData,
			err:   protocolErr(CloseInvalidFramePayloadData, "UTF-8"),
		},
		readCase{
			name:  "reason ending inside a UTF-8 sequence",
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(CloseNormalClosure, "bye \xe2\x82")),
			close: CloseInvalidFramePayloadData,
			err:   protocolErr(CloseInvalidFramePayloadData, "UTF-8"),
		},
		readCase{
			name: "close inside a fragmented message",
			send: wireFrames(
				wireClientFrame(textFrame, "unfinished"),
				wireClientFrame(finalBit|closeFrame, wireCloseBody(CloseGoingAway, "bye")),
			),
			close: CloseGoingAway,
			err:   &CloseError{Code: CloseGoingAway, Text: "bye"},
		},
	)
	runReadCases(t, cases)
}

// wireBytePerFrame encodes s one byte per frame: a text frame, then continuations,
// the last one final when final is true.
func wireBytePerFrame(s string, final bool) []byte {
	var b []byte
	for i := range len(s) {
		first := byte(continuationFrame)
		if i == 0 {
			first = textFrame
		}
		if final && i == len(s)-1 {
			first |= finalBit
		}
		b = append(b, wireClientFrame(first, s[i:i+1])...)
	}
	return b
}

func TestReadInvalidUTF8(t *testing.T) {
	// Each case that sends an unfinished message shows that the check is
	// fail-fast: without the failure the server would wait for the rest.
	const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // "κόσμε"
	surrogate := kosme + "\xed\xa0\x80"                          // U+D800 encoded, forbidden
	invalid := protocolErr(CloseInvalidFramePayloadData, "UTF-8")
	runReadCases(t, []readCase{
		{
			name:  "one frame",
			send:  wireClientFrame(finalBit|textFrame, "hello \xff world"),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
		{
			name:  "overlong encoding",
			send:  wireClientFrame(finalBit|textFrame, "\xc0\xaf"),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
		{
			name: "second of three fragments, before the last arrives",
			send: wireFrames(
				wireClientFrame(textFrame, "hello "),
				wireClientFrame(continuationFrame, "w\xf5rld"),
			),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
		{
			name:  "byte per frame, fails at the 0xa0 byte",
			send:  wireBytePerFrame(surrogate[:len(surrogate)-1], false),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
		{
			name:  "byte per frame, fails at a lone continuation byte",
			send:  wireBytePerFrame(kosme+"\x80", false),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
		{
			name:  "message ending inside a sequence",
			send:  wireClientFrame(finalBit|textFrame, "price: \xe2\x82"),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
		{
			name: "fragmented message ending inside a sequence",
			send: wireFrames(
				wireClientFrame(textFrame, "price: \xe2"),
				wireClientFrame(finalBit|continuationFrame, "\x82"),
			),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
		{
			name: "empty final fragment after an open sequence",
			send: wireFrames(
				wireClientFrame(textFrame, "price: \xe2\x82"),
				wireClientFrame(finalBit|continuationFrame, ""),
			),
			close: CloseInvalidFramePayloadData,
			err:   invalid,
		},
	})
}

func TestReadValidUTF8BytePerFrame(t *testing.T) {
	const text = "κόσμε € 𝄞 ok"
	peer, errs := startReadServer(t, nil)
	peer.write(wireBytePerFrame(text, true))
	expectFrame(t, peer, "echo", finalBit|textFrame, []byte(text))
	closeNormally(t, peer, errs)
}

func TestReadLimit(t *testing.T) {
	const limit = 16
	limited := func(c *Conn) { c.SetReadLimit(limit) }
	runReadCases(t, []readCase{
		{
			name:  "one frame over the limit",
			setup: limited,
			send:  wireClientFrame(finalBit|binaryFrame, strings.Repeat("b", limit+1)),
			close: CloseMessageTooBig,
			err:   ErrReadLimit,
		},
		{
			name:  "text frame over the limit",
			setup: limited,
			send:  wireClientFrame(finalBit|textFrame, strings.Repeat("t", limit+1)),
			close: CloseMessageTooBig,
			err:   ErrReadLimit,
		},
		{
			name:  "second fragment goes over the limit",
			setup: limited,
			send: wireFrames(
				wireClientFrame(binaryFrame, strings.Repeat("1", limit/2+1)),
				wireClientFrame(finalBit|continuationFrame, strings.Repeat("2", limit/2)),
			),
			close: CloseMessageTooBig,
			err:   ErrReadLimit,
		},
		{
			name:  "16-bit length header over the limit, no payload sent",
			setup: limited,
			send:  wireHeader(finalBit|binaryFrame, payloadLength16, 0x01, 0x00),
			close: CloseMessageTooBig,
			err:   ErrReadLimit,
		},
		{
			name:  "64-bit length header over the limit, no payload sent",
			setup: limited,
			send:  wireHeader(finalBit|binaryFrame, payloadLength64, 0, 0, 0x01, 0, 0, 0, 0, 0),
			close: CloseMessageTooBig,
			err:   ErrReadLimit,
		},
		{
			name:  "continuation header over the limit, no payload sent",
			setup: limited,
			send: wireFrames(
				wireClientFrame(textFrame, "0123456789"),
				wireHeader(continuationFrame, 7),
			),
			close: CloseMessageTooBig,
			err:   ErrReadLimit,
		},
	})

	t.Run("messages at the limit pass", func(t *testing.T) {
		peer, errs := startReadServer(t, limited)
		whole := strings.Repeat("w", limit)
		peer.write(wireFrames(
			wireClientFrame(finalBit|binaryFrame, whole),
			wireClientFrame(textFrame, whole[:limit/2]),
			wireClientFrame(finalBit|continuationFrame, whole[limit/2:]),
		))
		for _, want := range []byte{finalBit | binaryFrame, finalBit | textFrame} {
			expectFrame(t, peer, "echo", want, []byte(whole))
		}
		// The limit applies to each message, not to the connection.
		peer.write(wireClientFrame(finalBit|binaryFrame, whole+"!"))
		checkCloseFrame(t, expectCloseFrame(t, peer), CloseMessageTooBig)
		checkReadErr(t, awaitValue(t, errs), ErrReadLimit)
	})
	t.Run("control frames do not count", func(t *testing.T) {
		peer, errs := startReadServer(t, limited)
		ping := strings.Repeat("p", maxControlFramePayload)
		peer.write(wireFrames(
			wireClientFrame(binaryFrame, "12345678"),
			wireClientFrame(finalBit|pingFrame, ping),
			wireClientFrame(finalBit|pongFrame, ping),
			wireClientFrame(finalBit|continuationFrame, "12345678"),
		))
		expectFrame(t, peer, "first frame back, the pong", finalBit|pongFrame, []byte(ping))
		opcode, payload := readTestMessage(t, peer)
		if opcode != binaryFrame || string(payload) != "1234567812345678" {
			t.Fatalf("echo: opcode %d payload %q, want the whole message", opcode, payload)
		}
		closeNormally(t, peer, errs)
	})
}

func TestReadPingInsideFragmentedMessage(t *testing.T) {
	peer, errs := startReadServer(t, nil)
	peer.write(wireFrames(
		wireClientFrame(textFrame, "Hello, "),
		wireClientFrame(finalBit|pingFrame, "are you there?"),
		wireClientFrame(continuationFrame, "wor"),
		wireClientFrame(finalBit|continuationFrame, "ld"),
	))
	// The pong is written while the message is still being read, so it comes
	// before the echo of the message.
	expectFrame(t, peer, "first frame back, a pong with the ping's payload", finalBit|pongFrame, []byte("are you there?"))
	expectFrame(t, peer, "second frame back, the whole message", finalBit|textFrame, []byte("Hello, world"))
	closeNormally(t, peer, errs)
}

func TestReadUnsolicitedPong(t *testing.T) {
	peer, errs := startReadServer(t, nil)
	peer.write(wireFrames(
		wireClientFrame(finalBit|pongFrame, "unasked"),
		wireClientFrame(textFrame, "after "),
		wireClientFrame(finalBit|pongFrame, ""),
		wireClientFrame(finalBit|continuationFrame, "pong"),
	))
	expectFrame(t, peer, "first frame back, the echo of the text message", finalBit|textFrame, []byte("after pong"))
	closeNormally(t, peer, errs)
}

func TestReadPingPayloadSizes(t *testing.T) {
	for _, size := range []int{0, 1, maxControlFramePayload} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			peer, errs := startReadServer(t, nil)
			payload := make([]byte, size)
			for i := range payload {
				payload[i] = byte(i * 7)
			}
			peer.writeFrame(finalBit|pingFrame, payload)
			expectFrame(t, peer, "answer, a pong with the ping's payload", finalBit|pongFrame, payload)
			closeNormally(t, peer, errs)
		})
	}
}

// TestReadClientSide runs our client against a raw server that breaks the
// rules a server must keep.
func TestReadClientSide(t *testing.T) {
	tests := []readCase{
		{
			name:  "masked server frame",
			send:  wireClientFrame(finalBit|textFrame, "masked"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "masked server frame"),
		},
		{
			name:  "RSV1 without extension",
			send:  wireServerFrame(finalBit|rsv1Bit|textFrame, "hello"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "reserved bits"),
		},
		{
			name:  "RSV2 and RSV3 without extension",
			send:  wireServerFrame(finalBit|rsv2Bit|rsv3Bit|binaryFrame, "hello"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "reserved bits"),
		},
		{
			name:  "reserved opcode 3",
			send:  wireServerFrame(finalBit|3, ""),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "reserved opcode"),
		},
		{
			name:  "reserved opcode 11",
			send:  wireServerFrame(finalBit|11, ""),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "reserved opcode"),
		},
		{
			name:  "invalid UTF-8 text",
			send:  wireServerFrame(finalBit|textFrame, "bad \xff text"),
			close: CloseInvalidFramePayloadData,
			err:   protocolErr(CloseInvalidFramePayloadData, "UTF-8"),
		},
		{
			name: "invalid UTF-8 in an unfinished message",
			send: wireFrames(
				wireServerFrame(textFrame, "ok "),
				wireServerFrame(continuationFrame, "\xed\xbf\xbf"),
			),
			close: CloseInvalidFramePayloadData,
			err:   protocolErr(CloseInvalidFramePayloadData, "UTF-8"),
		},
		{
			name:  "server-initiated close",
			send:  wireServerFrame(finalBit|closeFrame, wireCloseBody(CloseGoingAway, "restarting")),
			close: CloseGoingAway,
			err:   &CloseError{Code: CloseGoingAway, Text: "restarting"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wsURL, peers := serveRaw(t)
			c := dial(t, nil, wsURL)
			peer := awaitValue(t, peers)
			c.SetReadDeadline(time.Now().Add(testTimeout))
			peer.write(tc.send)
			_, _, err := c.ReadMessage()
			checkReadErr(t, err, tc.err)
			checkCloseFrame(t, expectCloseFrame(t, peer), tc.close)
			// A server closes the TCP connection after the close handshake;
			// doing so here spares the client's Close its wait for it.
			peer.conn.Close()
		})
	}
}

func TestReadErrorIsSticky(t *testing.T) {
	tests := []readCase{
		{
			name:  "protocol error",
			send:  wireClientFrame(finalBit|rsv2Bit|textFrame, "x"),
			close: CloseProtocolError,
			err:   protocolErr(CloseProtocolError, "reserved bits"),
		},
		{
			name:  "invalid UTF-8",
			send:  wireClientFrame(finalBit|textFrame, "\xff"),
			close: CloseInvalidFramePayloadData,
			err:   protocolErr(CloseInvalidFramePayloadData, "UTF-8"),
		},
		{
			name:  "read limit",
			setup: func(c *Conn) { c.SetReadLimit(4) },
			send:  wireClientFrame(finalBit|binaryFrame, "12345"),
			close: CloseMessageTooBig,
			err:   ErrReadLimit,
		},
		{
			name:  "close frame",
			send:  wireClientFrame(finalBit|closeFrame, wireCloseBody(CloseGoingAway, "bye")),
			close: CloseGoingAway,
			err:   &CloseError{Code: CloseGoingAway, Text: "bye"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results := make(chan [3]error, 1)
			wsURL := startServer(t, nil, func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(testTimeout))
				if tc.setup != nil {
					tc.setup(c)
				}
				var errs [3]error
				_, _, errs[0] = c.ReadMessage()
				_, _, errs[1] = c.ReadMessage()
				_, _, errs[2] = c.NextReader()
				results <- errs
			})
			peer := dialRaw(t, wsURL)
			// A valid message after the bad frame must not be delivered.
			peer.write(wireFrames(tc.send, wireClientFrame(finalBit|binaryFrame, "valid")))
			checkCloseFrame(t, expectCloseFrame(t, peer), tc.close)
			errs := awaitValue(t, results)
			checkReadErr(t, errs[0], tc.err)
			if errs[1] != errs[0] || errs[2] != errs[0] {
				t.Errorf("later reads returned %v and %v, want the first error %v again", errs[1], errs[2], errs[0])
			}
			// The failure sends one close frame; the later reads send nothing.
			if f, err := peer.readFrame(); err == nil {
				t.Errorf("unexpected frame after the close: %#x %q", f.first, f.payload)
			}
		})
	}
}

func TestReadNextReaderDiscardsUnreadMessage(t *testing.T) {
	tests := []struct {
		name      string
		first     []byte
		readFirst int // bytes of the first message the application reads
	}{
		{"unread frame", wireClientFrame(finalBit|textFrame, "first message"), 0},
		{"unread fragments", wireFrames(
			wireClientFrame(textFrame, "first "),
			wireClientFrame(finalBit|pingFrame, "ping"),
			wireClientFrame(continuationFrame, ""),
			wireClientFrame(finalBit|continuationFrame, "message"),
		), 0},
		{"half-read frame", wireClientFrame(finalBit|binaryFrame, "first message"), 3},
		{"half-read fragments", wireFrames(
			wireClientFrame(textFrame, "first "),
			wireClientFrame(finalBit|continuationFrame, "message"),
		), 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				second    string
				secondErr error
				staleErr  error
			}
			results := make(chan result, 1)
			wsURL := startServer(t, nil, func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(testTimeout))
				var res result
				defer func() { results <- res }()
				_, r1, err := c.NextReader()
				if err != nil {
					res.secondErr = fmt.Errorf("first NextReader: %w", err)
					return
				}
				if tc.readFirst > 0 {
					if _, err := io.ReadFull(r1, make([]byte, tc.readFirst)); err != nil {
						res.secondErr = fmt.Errorf("reading the first message: %w", err)
						return
					}
				}
				_, r2, err := c.NextReader()
				if err != nil {
					res.secondErr = err
					return
				}
				p, err := io.ReadAll(r2)
				res.second, res.secondErr = string(p), err
				_, res.staleErr = r1.Read(make([]byte, 8))
			})
			peer := dialRaw(t, wsURL)
			peer.write(wireFrames(tc.first, wireClientFrame(finalBit|textFrame, "second")))
			res := awaitValue(t, results)
			if res.secondErr != nil || res.second != "second" {
				t.Fatalf("second message %q, %v; want %q", res.second, res.secondErr, "second")
			}
			// The previous message is gone: io.EOF, as gorilla/websocket answers.
			if res.staleErr != io.EOF {
				t.Errorf("read from the previous NextReader's reader: %v, want io.EOF", res.staleErr)
			}
		})
	}
}

func TestReadNextReaderValidatesDiscardedText(t *testing.T) {
	tests := []struct {
		name string
		send []byte
	}{
		{"invalid byte", wireClientFrame(finalBit|textFrame, "bad \xff")},
		{"invalid byte in a later fragment", wireFrames(
			wireClientFrame(textFrame, "fine "),
			wireClientFrame(finalBit|continuationFrame, "\xc3\x28"),
		)},
		{"ends inside a sequence", wireClientFrame(finalBit|textFrame, "cut \xf0\x9f\x98")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results := make(chan error, 1)
			wsURL := startServer(t, nil, func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(testTimeout))
				if _, _, err := c.NextReader(); err != nil {
					results <- fmt.Errorf("first NextReader: %w", err)
					return
				}
				// The text is never read, but it is still checked.
				_, _, err := c.NextReader()
				results <- err
			})
			peer := dialRaw(t, wsURL)
			peer.write(wireFrames(tc.send, wireClientFrame(finalBit|textFrame, "valid")))
			checkCloseFrame(t, expectCloseFrame(t, peer), CloseInvalidFramePayloadData)
			checkReadErr(t, awaitValue(t, results), protocolErr(CloseInvalidFramePayloadData, "UTF-8"))
		})
	}
}

func TestReadPeerGoneMidMessage(t *testing.T) {
	tests := []struct {
		name string
		send []byte
	}{
		{"nothing sent", nil},
		{"inside the first header bytes", []byte{finalBit | textFrame}},
		{"inside the extended length", []byte{finalBit | binaryFrame, maskBit | payloadLength16, 0x01}},
		{"inside the mask key", []byte{finalBit | binaryFrame, maskBit | 5, 0x11, 0x22}},
		{"inside the payload", wireClientFrame(finalBit|binaryFrame, "0123456789")[:2+4+3]},
		{"between fragments", wireClientFrame(textFrame, "to be continued")},
		{"inside a ping", wireClientFrame(finalBit|pingFrame, "ping")[:2+4+2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			peer, errs := startReadServer(t, nil)
			if len(tc.send) > 0 {
				peer.write(tc.send)
			}
			peer.conn.Close()
			err := awaitValue(t, errs)
			ce, ok := err.(*CloseError)
			if !ok || ce.Code != CloseAbnormalClosure {
				t.Fatalf("read error %T %v, want *CloseError with code %d", err, err, CloseAbnormalClosure)
			}
		})
	}
}

// TestReadProtocolErrorMessage pins the wording the package promises for a
// protocol error: the rule and the close code.
func TestReadProtocolErrorMessage(t *testing.T) {
	peer, errs := startReadServer(t, nil)
	peer.write(wireServerFrame(finalBit|textFrame, "x"))
	checkCloseFrame(t, expectCloseFrame(t, peer), CloseProtocolError)
	err := awaitValue(t, errs)
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("read error %T %v, want *ProtocolError", err, err)
	}
	want := "websocket: protocol violation: " + pe.Rule + " (close 1002)"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

// readTestMessage reads the frames of one data message from p, answering
// nothing, and returns its opcode and payload.
func readTestMessage(t *testing.T, p *rawPeer) (byte, []byte) {
	t.Helper()
	var opcode byte
	var payload []byte
	for {
		f, err := p.readFrame()
		if err != nil {
			t.Fatalf("reading a message: %v", err)
		}
		switch {
		case f.opcode() == continuationFrame && opcode == 0,
			f.opcode() != continuationFrame && opcode != 0,
			isControlOpcode(f.opcode()):
			t.Fatalf("unexpected frame %#x inside the echo", f.first)
		}
		if opcode == 0 {
			opcode = f.opcode()
		}
		payload = append(payload, f.payload...)
		if f.first&finalBit != 0 {
			return opcode, payload
		}
	}
}

// TestReadLargeFragmentedText sends a long multi-byte text in fragments of
// awkward sizes to a server with a small read buffer: the mask position and
// the UTF-8 check must carry over every cut, in frames and in reads.
func TestReadLargeFragmentedText(t *testing.T) {
	text := strings.Repeat("κόσμε € 𝄞 ", 6000) // about 100 KB
	sizes := []int{1, 2, 3, 125, 126, 127, 65535, 1000, 65536}
	errs := make(chan error, 1)
	wsURL := startServer(t, &Upgrader{ReadBufferSize: 64}, func(c *Conn) {
		c.SetReadDeadline(time.Now().Add(testTimeout))
		messageType, p, err := c.ReadMessage()
		if err == nil {
			err = c.WriteMessage(messageType, p)
		}
		errs <- err
	})
	peer := dialRaw(t, wsURL)
	var send []byte
	rest := text
	for i := 0; rest != ""; i++ {
		n := min(sizes[i%len(sizes)], len(rest))
		first := byte(continuationFrame)
		if i == 0 {
			first = textFrame
		}
		if n == len(rest) {
			first |= finalBit
		}
		send = append(send, wireClientFrame(first, rest[:n])...)
		rest = rest[n:]
	}
	peer.write(send)
	opcode, payload := readTestMessage(t, peer)
	if opcode != textFrame || string(payload) != text {
		t.Fatalf("echo: opcode %d, %d bytes (equal %v), want the %d bytes of text", opcode, len(payload), string(payload) == text, len(text))
	}
	if err := awaitValue(t, errs); err != nil {
		t.Fatal(err)
	}
}

func TestReadEmptyMessages(t *testing.T) {
	peer, errs := startReadServer(t, nil)
	peer.write(wireFrames(
		wireClientFrame(finalBit|textFrame, ""),
		wireClientFrame(binaryFrame, ""),
		wireClientFrame(continuationFrame, ""),
		wireClientFrame(finalBit|continuationFrame, ""),
		wireClientFrame(textFrame, ""),
		wireClientFrame(finalBit|continuationFrame, "end"),
	))
	for _, want := range []struct {
		opcode  byte
		payload string
	}{{textFrame, ""}, {binaryFrame, ""}, {textFrame, "end"}} {
		opcode, payload := readTestMessage(t, peer)
		if opcode != want.opcode || string(payload) != want.payload {
			t.Fatalf("echo: opcode %d payload %q, want %d %q", opcode, payload, want.opcode, want.payload)
		}
	}
	closeNormally(t, peer, errs)
}

// TestAppendMessage reads messages of several shapes into buffers that do
// and do not have room for them, and checks what precedes the payload is
// kept and a buffer with room is used in place.
func TestAppendMessage(t *testing.T) {
	payload := testPayload(BinaryMessage, 3000)
	tests := []struct {
		name   string
		frames []byte
		room   int // spare capacity of dst
	}{
		{"one frame, room", encodeTestFrame(finalBit|binaryFrame, payload, true), len(payload)},
		{"one frame, no room", encodeTestFrame(finalBit|binaryFrame, payload, true), 0},
		{"fragments, room", wireFrames(
			encodeTestFrame(binaryFrame, payload[:1000], true),
			wireClientFrame(finalBit|pingFrame, "between"),
			encodeTestFrame(continuationFrame, payload[1000:1001], true),
			encodeTestFrame(finalBit|continuationFrame, payload[1001:], true),
		), len(payload)},
		{"fragments, little room", wireFrames(
			encodeTestFrame(binaryFrame, payload[:1000], true),
			encodeTestFrame(finalBit|continuationFrame, payload[1000:], true),
		), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client := tcpPair(t)
			c := newConn(server, true, nil, 0, 0, nil)
			go client.Write(tt.frames)
			dst := append(make([]byte, 0, 4+tt.room), "head"...)
			messageType, p, err := c.AppendMessage(dst)
			if err != nil {
				t.Fatal(err)
			}
			if messageType != BinaryMessage {
				t.Errorf("message type %d, want %d", messageType, BinaryMessage)
			}
			if string(p[:4]) != "head" || !bytes.Equal(p[4:], payload) {
				t.Errorf("got %d bytes, want \"head\" and the %d-byte payload", len(p), len(payload))
			}
			if inPlace := &p[0] == &dst[0]; inPlace != (tt.room >= len(payload)) {
				t.Errorf("payload appended in place: %v, with room for %d of %d bytes", inPlace, tt.room, len(payload))
			}
		})
	}
}

// TestAppendMessageError checks a failed read returns dst as it was, and the
// close code sent for the violation.
func TestAppendMessageError(t *testing.T) {
	server, client := tcpPair(t)
	c := newConn(server, true, nil, 0, 0, nil)
	peer := &rawPeer{t: t, conn: client, br: bufio.NewReader(client), masked: true}
	peer.write(wireClientFrame(finalBit|textFrame, "\xff"))
	dst := []byte("kept")
	_, p, err := c.AppendMessage(dst)
	var perr *ProtocolError
	if !errors.As(err, &perr) || perr.Code != CloseInvalidFramePayloadData {
		t.Fatalf("error %v, want a ProtocolError with code %d", err, CloseInvalidFramePayloadData)
	}
	if string(p) != "kept" {
		t.Errorf("p = %q, want dst %q", p, "kept")
	}
	if code := peer.expectClose(); code != CloseInvalidFramePayloadData {
		t.Errorf("close code %d, want %d", code, CloseInvalidFramePayloadData)
	}
}

// TestAppendMessageAllocations pins that a reused buffer reads messages
// without allocating.
func TestAppendMessageAllocations(t *testing.T) {
	skipAllocationsUnderRace(t)
	for _, bs := range benchSizes {
		frame := encodeTestFrame(finalBit|binaryFrame, testPayload(BinaryMessage, bs.size), true)
		c := newConn(&repeatConn{stream: frame}, true, nil, 0, 0, nil)
		buf := make([]byte, 0, bs.size)
		allocs := testing.AllocsPerRun(20, func() {
			var err error
			if _, buf, err = c.AppendMessage(buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per message, want 0", bs.name, allocs)
		}
	}
}
