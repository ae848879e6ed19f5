package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// A frame-level WebSocket peer that plays the suite's client: it sends
// frames as they are written, breaking the rules where a case asks, chops
// them into TCP writes of any size, and records what the server answers as
// the suite does (whole messages, pings, pongs, the close frame, the end of
// the TCP connection). It checks every frame the server sends against RFC
// 6455 and RFC 7692, as the suite's client would, and reports a broken rule
// as a violation event.
//
// The same peer plays the suite's fuzzing server against this package's
// client (acceptRaw): the cases are written as a client sends them, masked,
// and the peer strips the masks on the way out.

// testTimeout bounds every wait, so that a peer that stays silent fails the
// test instead of hanging it. Nothing is asserted about speed: the bound is
// generous for a 16 MiB echo under the race detector on a busy machine.
const testTimeout = 30 * time.Second

// acceptGUID is the key suffix of RFC 6455 section 1.3.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// eventKind is what the client observed.
type eventKind int

const (
	evMessage   eventKind = iota // a whole data message
	evPing                       // a ping frame
	evPong                       // a pong frame
	evClose                      // a close frame
	evClosed                     // the server ended the TCP connection
	evViolation                  // the server broke a rule; reason says which
)

func (k eventKind) String() string {
	return [...]string{"message", "ping", "pong", "close", "tcp closed", "violation"}[k]
}

// event is one observation. The suite compares the list of events it
// received with the list a case expects, and so do the tests.
type event struct {
	kind    eventKind
	opcode  byte   // of a message: opText or opBinary
	payload []byte // of a message (decompressed), ping or pong
	code    int    // of a close: its status code, closeNoStatus when it has none
	reason  string // of a close, or what a violation broke
	frames  int    // of a message: how many frames carried it
	wire    int    // of a message: its payload bytes on the wire, compressed or not
}

// message, textMessage and pong build expected events.
func message(opcode byte, payload []byte) event {
	return event{kind: evMessage, opcode: opcode, payload: payload}
}
func textMessage(s string) event { return message(opText, []byte(s)) }
func pong(payload string) event  { return event{kind: evPong, payload: []byte(payload)} }

func (e event) String() string {
	switch e.kind {
	case evMessage:
		kind := "binary"
		if e.opcode == opText {
			kind = "text"
		}
		s := fmt.Sprintf("%s message of %d bytes %s", kind, len(e.payload), abbreviate(e.payload))
		if e.frames > 0 {
			s += fmt.Sprintf(" in %d frames", e.frames)
		}
		return s
	case evPing, evPong:
		return fmt.Sprintf("%s %s", e.kind, abbreviate(e.payload))
	case evClose:
		return fmt.Sprintf("close %d %q", e.code, e.reason)
	}
	return fmt.Sprintf("%s: %s", e.kind, e.reason)
}

// abbreviate quotes a payload, cut short when it is long.
func abbreviate(p []byte) string {
	const show = 32
	if len(p) <= show {
		return fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("%q...", p[:show])
}

// matches reports whether e is the expected event want.
func (e event) matches(want event) bool {
	if e.kind != want.kind {
		return false
	}
	switch e.kind {
	case evMessage:
		return e.opcode == want.opcode && bytes.Equal(e.payload, want.payload)
	case evPing, evPong:
		return bytes.Equal(e.payload, want.payload)
	}
	return true
}

// rawConn is the test's end of a connection.
type rawConn struct {
	t        testing.TB
	conn     net.Conn
	br       *bufio.Reader
	server   bool           // the test plays the server; the peer under test is a client
	unmasker unmasker       // strips the masks of what a server sends
	deflate  *deflateParams // the negotiated permessage-deflate, nil without
	writer   *rawDeflater   // compresses what the test sends, when negotiated

	mu       sync.Mutex
	events   []event
	arrived  chan struct{} // signalled when an event is queued
	done     chan struct{} // closed when the read loop ends; nil until it starts
	writeErr error         // the first failed write; later writes are skipped
}

// start runs the read loop, with inflater for compressed messages (nil when
// permessage-deflate was not negotiated).
func (rc *rawConn) start(inflater *rawInflater) {
	rc.done = make(chan struct{})
	go rc.readLoop(inflater)
}

// dialRaw opens a connection to wsURL (ws://host:port/path) and does the
// opening handshake of RFC 6455 section 4.1 by hand. offer, when not empty,
// is sent as the Sec-WebSocket-Extensions header.
func dialRaw(t testing.TB, wsURL, offer string) *rawConn {
	t.Helper()
	rc, resp, err := tryDialRaw(wsURL, offer)
	if err != nil {
		t.Fatalf("dial %s: %v", wsURL, err)
	}
	rc.t = t
	t.Cleanup(rc.shutdown)
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		if offer == "" {
			t.Fatalf("the server answered the extension %q that was not offered", ext)
		}
		params, err := parseDeflateResponse(ext)
		if err != nil {
			t.Fatalf("invalid extension response %q: %v", ext, err)
		}
		rc.deflate = &params
		rc.writer = newRawDeflater(!params.clientNoContextTakeover, params.clientWindowBits())
		rc.start(&rawInflater{takeover: !params.serverNoContextTakeover, windowBits: params.serverWindowBits()})
		return rc
	}
	rc.start(nil)
	return rc
}

// acceptRaw accepts a client's connection on ln and answers its opening
// handshake by hand (RFC 6455 section 4.2). respond returns the
// Sec-WebSocket-Extensions answer to the client's offer, empty for none.
func acceptRaw(t testing.TB, ln net.Listener, respond func(offer string) string) *rawConn {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(testTimeout))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	rc := &rawConn{t: t, conn: conn, br: bufio.NewReader(conn), server: true, arrived: make(chan struct{}, 1)}
	conn.SetDeadline(time.Now().Add(testTimeout))
	req, err := http.ReadRequest(rc.br)
	if err != nil {
		conn.Close()
		t.Fatalf("reading the handshake request: %v", err)
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	switch {
	case req.Method != http.MethodGet, !strings.EqualFold(req.Header.Get("Upgrade"), "websocket"),
		!strings.Contains(strings.ToLower(req.Header.Get("Connection")), "upgrade"),
		req.Header.Get("Sec-WebSocket-Version") != "13", len(key) != 24:
		conn.Close()
		t.Fatalf("not a WebSocket handshake (RFC 6455 section 4.1): %s %v", req.Method, req.Header)
	}
	sum := sha1.Sum([]byte(key + acceptGUID))
	var resp strings.Builder
	resp.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	fmt.Fprintf(&resp, "Sec-WebSocket-Accept: %s\r\n", base64.StdEncoding.EncodeToString(sum[:]))
	ext := respond(req.Header.Get("Sec-WebSocket-Extensions"))
	if ext != "" {
		fmt.Fprintf(&resp, "Sec-WebSocket-Extensions: %s\r\n", ext)
	}
	resp.WriteString("\r\n")
	if _, err := io.WriteString(conn, resp.String()); err != nil {
		conn.Close()
		t.Fatalf("writing the handshake response: %v", err)
	}
	conn.SetDeadline(time.Time{})
	t.Cleanup(rc.shutdown)
	if ext == "" {
		rc.start(nil)
		return rc
	}
	params, err := parseDeflateResponse(ext)
	if err != nil {
		t.Fatalf("the test's own response %q: %v", ext, err)
	}
	rc.deflate = &params
	rc.writer = newRawDeflater(!params.serverNoContextTakeover, params.serverWindowBits())
	rc.start(&rawInflater{takeover: !params.clientNoContextTakeover, windowBits: params.clientWindowBits()})
	return rc
}

// tryDialRaw is dialRaw without a testing.TB, returning the response too.
func tryDialRaw(wsURL, offer string) (*rawConn, *http.Response, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, nil, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, testTimeout)
	if err != nil {
		return nil, nil, err
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", u.RequestURI(), u.Host)
	fmt.Fprintf(&req, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", key)
	if offer != "" {
		fmt.Fprintf(&req, "Sec-WebSocket-Extensions: %s\r\n", offer)
	}
	req.WriteString("\r\n")
	conn.SetDeadline(time.Now().Add(testTimeout))
	br := bufio.NewReader(conn)
	resp, err := func() (*http.Response, error) {
		if _, err := io.WriteString(conn, req.String()); err != nil {
			return nil, err
		}
		return http.ReadResponse(br, nil)
	}()
	if err == nil {
		err = checkHandshakeResponse(resp, key)
	}
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	conn.SetDeadline(time.Time{})
	return &rawConn{conn: conn, br: br, arrived: make(chan struct{}, 1)}, resp, nil
}

// checkHandshakeResponse applies RFC 6455 section 4.1's checks of the
// server's answer.
func checkHandshakeResponse(resp *http.Response, key string) error {
	sum := sha1.Sum([]byte(key + acceptGUID))
	switch {
	case resp.StatusCode != http.StatusSwitchingProtocols:
		return fmt.Errorf("status %s", resp.Status)
	case !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"):
		return fmt.Errorf("upgrade header %q", resp.Header.Get("Upgrade"))
	case !strings.EqualFold(resp.Header.Get("Connection"), "upgrade"):
		return fmt.Errorf("connection header %q", resp.Header.Get("Connection"))
	case resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]):
		return fmt.Errorf("wrong Sec-WebSocket-Accept %q", resp.Header.Get("Sec-WebSocket-Accept"))
	}
	return nil
}

// shutdown closes the connection and waits for the read loop to end.
func (rc *rawConn) shutdown() {
	rc.conn.Close()
	if rc.done != nil {
		select {
		case <-rc.done:
		case <-time.After(testTimeout):
			rc.t.Errorf("the read loop did not end")
		}
	}
	rc.writer.release()
}

// push queues an event for next.
func (rc *rawConn) push(e event) {
	rc.mu.Lock()
	rc.events = append(rc.events, e)
	rc.mu.Unlock()
	select {
	case rc.arrived <- struct{}{}:
	default:
	}
}

// next returns the next event, waiting at most testTimeout for it.
func (rc *rawConn) next() event {
	rc.t.Helper()
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for {
		rc.mu.Lock()
		if len(rc.events) > 0 {
			e := rc.events[0]
			rc.events = rc.events[1:]
			rc.mu.Unlock()
			return e
		}
		rc.mu.Unlock()
		select {
		case <-rc.arrived:
		case <-deadline.C:
			rc.t.Fatalf("nothing from the server within %v", testTimeout)
		}
	}
}

// expect fails the test unless the next events are want, in order.
func (rc *rawConn) expect(want ...event) {
	rc.t.Helper()
	for i, w := range want {
		if got := rc.next(); !got.matches(w) {
			rc.t.Fatalf("event %d: got %v, want %v", i+1, got, w)
		}
	}
}

// expectFailed fails the test unless the server fails the connection: a
// close frame with one of codes, then the end of the TCP connection, and
// nothing else (RFC 6455 section 7.1.7).
func (rc *rawConn) expectFailed(codes ...int) {
	rc.t.Helper()
	got := rc.next()
	if got.kind != evClose || !containsCode(codes, got.code) {
		rc.t.Fatalf("got %v, want the connection failed with close code %v", got, codes)
	}
	rc.expectTCPClosed()
}

// closeAndExpectEcho starts the close handshake with code and fails the test
// unless the server answers with one of echoes (RFC 6455 section 5.5.1) and
// then closes the TCP connection (section 7.1.1: the server closes first).
func (rc *rawConn) closeAndExpectEcho(code int, reason string, echoes ...int) {
	rc.t.Helper()
	rc.send(closeFrame(code, reason))
	got := rc.next()
	if got.kind != evClose || !containsCode(echoes, got.code) {
		rc.t.Fatalf("got %v, want a close frame with code %v", got, echoes)
	}
	rc.expectTCPClosed()
}

// closeNormally ends a case that expects a clean close, as the suite does.
func (rc *rawConn) closeNormally() {
	rc.t.Helper()
	rc.closeAndExpectEcho(closeNormal, "", closeNormal)
}

// expectTCPClosed fails the test unless the server closes the TCP connection
// next. When the test is the server, it closes the connection itself, as a
// server does once the close frames are exchanged (RFC 6455 section 7.1.1).
func (rc *rawConn) expectTCPClosed() {
	rc.t.Helper()
	if rc.server {
		rc.conn.Close()
		return
	}
	if got := rc.next(); got.kind != evClosed {
		rc.t.Fatalf("got %v, want the server to close the TCP connection", got)
	}
}

func containsCode(codes []int, code int) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// send writes each chunk with a write call of its own, as the suite sends
// its chops. A failed write is not an error of the test: a server that has
// failed the connection may close it under a client that still sends. The
// events decide. When the test is the server, the chunks lose their masks on
// the way, and a chunk that holds only part of a header waits for the rest.
func (rc *rawConn) send(chunks ...[]byte) {
	for _, c := range chunks {
		if rc.writeErr != nil {
			return
		}
		if rc.server {
			if c = rc.unmasker.feed(c); len(c) == 0 {
				continue
			}
		}
		rc.conn.SetWriteDeadline(time.Now().Add(testTimeout))
		if _, err := rc.conn.Write(c); err != nil {
			rc.writeErr = err
		}
	}
}

// sendChopped sends the concatenation of frames in write calls of size bytes.
func (rc *rawConn) sendChopped(size int, frames ...[]byte) {
	rc.send(chop(bytes.Join(frames, nil), size)...)
}

// sendMessage sends a data message in frames of fragmentSize bytes (0 for
// one frame), compressed when permessage-deflate was negotiated: then the
// compressed payload is what is fragmented, and only the first frame has
// RSV1 (RFC 7692 section 6.1).
func (rc *rawConn) sendMessage(opcode byte, payload []byte, fragmentSize int) {
	rc.t.Helper()
	if rc.writer == nil {
		rc.send(fragments(opcode, payload, fragmentSize)...)
		return
	}
	compressed := rc.writer.compress(payload)
	frames := fragments(opcode, compressed, fragmentSize)
	frames[0][0] |= bitRSV1
	rc.send(frames...)
}

// readLoop reads the server's frames until the connection ends and queues
// what it sees as events.
func (rc *rawConn) readLoop(inflater *rawInflater) {
	defer close(rc.done)
	var (
		msgOpcode     byte // 0 between messages
		msgCompressed bool
		msgFrames     int
		msg           []byte
		closed        bool
	)
	violation := func(format string, args ...any) {
		rc.push(event{kind: evViolation, reason: fmt.Sprintf(format, args...)})
	}
	for {
		h, payload, err := readFrame(rc.br)
		if err != nil {
			if errors.Is(err, errFrameFormat) {
				violation("%v", err)
				return
			}
			rc.push(event{kind: evClosed, reason: err.Error()})
			return
		}
		control := h.opcode >= opClose
		switch {
		case closed:
			violation("a frame after the close frame (RFC 6455 section 5.5.1)")
			return
		case h.masked != rc.server:
			violation("masked=%v, from a peer that must mask=%v (RFC 6455 section 5.1)", h.masked, rc.server)
			return
		case h.rsv&(bitRSV2|bitRSV3) != 0:
			violation("RSV2 or RSV3 set (RFC 6455 section 5.2)")
			return
		case h.rsv&bitRSV1 != 0 && (inflater == nil || control || h.opcode == opContinuation):
			violation("RSV1 on a frame that cannot carry it (RFC 7692 section 6)")
			return
		case h.opcode > opBinary && h.opcode < opClose, h.opcode > opPong:
			violation("reserved opcode %d", h.opcode)
			return
		case control && (!h.fin || len(payload) > maxControlPayload):
			violation("fragmented or oversized control frame (RFC 6455 section 5.5)")
			return
		case !control && h.opcode == opContinuation && msgOpcode == 0:
			violation("continuation frame with nothing to continue")
			return
		case !control && h.opcode != opContinuation && msgOpcode != 0:
			violation("new message inside a fragmented message")
			return
		}
		switch h.opcode {
		case opPing:
			rc.push(event{kind: evPing, payload: payload})
			continue
		case opPong:
			rc.push(event{kind: evPong, payload: payload})
			continue
		case opClose:
			e, err := parseClose(payload)
			if err != nil {
				violation("%v", err)
				return
			}
			closed = true
			rc.push(e)
			continue
		case opText, opBinary:
			msgOpcode, msgCompressed, msgFrames, msg = h.opcode, h.rsv&bitRSV1 != 0, 0, nil
		}
		msgFrames++
		msg = append(msg, payload...)
		if !h.fin {
			continue
		}
		wire := len(msg)
		if msgCompressed {
			if msg, err = inflater.inflate(msg); err != nil {
				violation("undecodable compressed message: %v", err)
				return
			}
		}
		if msgOpcode == opText && !utf8.Valid(msg) {
			violation("text message that is not UTF-8 (RFC 6455 section 8.1)")
			return
		}
		rc.push(event{kind: evMessage, opcode: msgOpcode, payload: msg, frames: msgFrames, wire: wire})
		msgOpcode = 0
	}
}
