package interop

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iris-contrib/websocket"
)

// A session is one open connection between our side and a peer, with the
// helpers that speak the peers' command protocol (see node/peer.js and
// python/peer.py): data messages are echoed, text messages that start with
// cmdPrefix carry commands and their answers.

const cmdPrefix = "\x01"

type session struct {
	t           *testing.T
	conn        *websocket.Conn
	peer        *peer
	wire        *countingConn
	weAreServer bool
	pings       chan string // payloads of the pings we received
	pongs       chan string // payloads of the pongs we received
}

func newSession(t *testing.T, c *websocket.Conn, p *peer, weAreServer bool) *session {
	t.Helper()
	wire, ok := c.NetConn().(*countingConn)
	if !ok {
		t.Fatalf("the connection is a %T, not the countingConn the test dialed or accepted", c.NetConn())
	}
	s := &session{
		t: t, conn: c, peer: p, wire: wire, weAreServer: weAreServer,
		pings: make(chan string, 16), pongs: make(chan string, 16),
	}
	t.Cleanup(func() { c.Close() })
	answerPing := c.PingHandler()
	c.SetPingHandler(func(data string) error {
		s.pings <- data
		return answerPing(data)
	})
	c.SetPongHandler(func(data string) error {
		s.pongs <- data
		return nil
	})
	return s
}

// handshake returns the request and the response as they crossed the wire.
func (s *session) handshake() (*http.Request, *http.Response) {
	s.t.Helper()
	return s.wire.handshake(s.t, s.weAreServer)
}

// negotiatedExtensions is the Sec-WebSocket-Extensions header of the
// handshake response, as it crossed the wire.
func (s *session) negotiatedExtensions() string {
	s.t.Helper()
	_, resp := s.handshake()
	return strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", ")
}

// send writes one message, bounded by peerTimeout.
func (s *session) send(messageType int, data []byte) {
	s.t.Helper()
	if err := s.conn.SetWriteDeadline(time.Now().Add(peerTimeout)); err != nil {
		s.t.Fatal(err)
	}
	if err := s.conn.WriteMessage(messageType, data); err != nil {
		s.t.Fatalf("write a %s of %d bytes: %v", typeName(messageType), len(data), err)
	}
}

// read reads one message, bounded by peerTimeout.
func (s *session) read() (int, []byte, error) {
	if err := s.conn.SetReadDeadline(time.Now().Add(peerTimeout)); err != nil {
		return 0, nil, err
	}
	return s.conn.ReadMessage()
}

// command sends a command to the peer.
func (s *session) command(cmd map[string]any) {
	s.t.Helper()
	b, err := json.Marshal(cmd)
	if err != nil {
		s.t.Fatal(err)
	}
	s.send(websocket.TextMessage, append([]byte(cmdPrefix), b...))
}

// answer reads the peer's next message, which must be the answer event.
func (s *session) answer(event string) map[string]any {
	s.t.Helper()
	mt, p, err := s.read()
	if err != nil {
		s.t.Fatalf("read the %q answer: %v", event, err)
	}
	if mt != websocket.TextMessage || !bytes.HasPrefix(p, []byte(cmdPrefix)) {
		s.t.Fatalf("got a %s of %d bytes, want the %q answer", typeName(mt), len(p), event)
	}
	var ans map[string]any
	if err := json.Unmarshal(p[len(cmdPrefix):], &ans); err != nil {
		s.t.Fatalf("answer %q: %v", p, err)
	}
	if ans["event"] != event {
		s.t.Fatalf("got answer %v, want %q", ans, event)
	}
	return ans
}

// ask sends a command without arguments and returns its answer.
func (s *session) ask(op string) map[string]any {
	s.t.Helper()
	s.command(map[string]any{"op": op})
	return s.answer(op)
}

// roundTrip sends a message, reads its echo and checks it byte for byte.
// It returns what crossed the wire for the exchange.
func (s *session) roundTrip(messageType int, data []byte) traffic {
	s.t.Helper()
	before := s.wire.snapshot()
	s.send(messageType, data)
	s.expectEcho(messageType, data)
	return s.wire.since(before)
}

// expectEcho reads the next message and checks it is data, of messageType.
func (s *session) expectEcho(messageType int, data []byte) {
	s.t.Helper()
	mt, got, err := s.read()
	if err != nil {
		s.t.Fatalf("read the echo of a %s of %d bytes: %v", typeName(messageType), len(data), err)
	}
	if mt != messageType {
		s.t.Fatalf("echo of a %s of %d bytes is a %s of %d bytes", typeName(messageType), len(data), typeName(mt), len(got))
	}
	if !bytes.Equal(got, data) {
		s.t.Fatalf("echo of a %s of %d bytes differs: %s", typeName(messageType), len(data), diff(data, got))
	}
}

// expectClose reads the next message, which must be the close: a
// *CloseError with code and, unless reason is nil, that reason. Then it
// closes the connection, as an application does when its read fails: a
// server closes the TCP connection first (RFC 6455 section 7.1.1), and the
// peer reports the close when that happens.
func (s *session) expectClose(code int, reason *string) {
	s.t.Helper()
	mt, p, err := s.read()
	if err == nil {
		s.t.Fatalf("got a %s of %d bytes, want the close %d", typeName(mt), len(p), code)
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		s.t.Fatalf("read: %v, want a *websocket.CloseError with code %d", err, code)
	}
	if ce.Code != code || (reason != nil && ce.Text != *reason) {
		s.t.Fatalf("got close %d %q, want %d %q", ce.Code, ce.Text, code, deref(reason))
	}
	if err := s.conn.Close(); err != nil {
		s.t.Errorf("close after the close handshake: %v", err)
	}
}

// peerClosed waits for the peer's report of the end of the connection and
// checks the close code (and reason, unless nil) it received.
func (s *session) peerClosed(code int, reason *string) {
	s.t.Helper()
	ev := s.peer.event(s.t, "closed")
	gotCode, _ := ev["code"].(float64)
	gotReason, _ := ev["reason"].(string)
	if int(gotCode) != code || (reason != nil && gotReason != *reason) {
		s.t.Fatalf("%s received close %v %q, want %d %q", s.peer.rt.name, ev["code"], gotReason, code, deref(reason))
	}
}

func deref(s *string) string {
	if s == nil {
		return "(any reason)"
	}
	return *s
}

func b64(p []byte) string { return base64.StdEncoding.EncodeToString(p) }

func typeName(messageType int) string {
	switch messageType {
	case websocket.TextMessage:
		return "text message"
	case websocket.BinaryMessage:
		return "binary message"
	}
	return fmt.Sprintf("message of type %d", messageType)
}

// diff describes where got first differs from want.
func diff(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	return fmt.Sprintf("length %d, want %d; first difference at byte %d", len(got), len(want), i)
}
