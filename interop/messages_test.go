package interop

import (
	"strings"
	"testing"
	"time"

	"github.com/iris-contrib/websocket"
)

// Messages, fragments, pings, closes and subprotocols between our side and
// each peer, with permessage-deflate off and on at its defaults.

// messageSizes sit at the edges of the frame header's length encodings
// (RFC 6455 section 5.2), plus a message of 1 MiB.
var messageSizes = []int{0, 125, 126, 65535, 65536, 1 << 20}

// The subprotocols each side lists: the client asks for one the server does
// not know first, the server prefers one the client did not ask for, so
// only "chat.v1" can be chosen.
var (
	clientSubprotocols = []string{"x-unknown", "chat.v1"}
	serverSubprotocols = []string{"chat.v2", "chat.v1"}
)

const wantSubprotocol = "chat.v1"

func TestMessages(t *testing.T) {
	for _, rt := range allRuntimes {
		t.Run(rt.name, func(t *testing.T) {
			rt.require(t)
			t.Logf("peer: %s %s (%s)", rt.name, rt.version, rt.exe)
			for _, tp := range topologies {
				for _, compress := range []bool{false, true} {
					t.Run(tp.name+"/"+deflateName(compress), func(t *testing.T) {
						t.Run("exchange", func(t *testing.T) { testExchange(t, tp, rt, compress) })
						for _, cc := range closeCases {
							t.Run("close/"+cc.name, func(t *testing.T) { testClose(t, tp, rt, compress, cc) })
						}
					})
				}
			}
		})
	}
}

func deflateName(compress bool) string {
	if compress {
		return "deflate"
	}
	return "plain"
}

// basicPeerConfig configures a peer with permessage-deflate at its defaults
// or off, accepting or asking for protocols.
func basicPeerConfig(rt *runtime, compress bool, protocols []string) map[string]any {
	cfg := map[string]any{"protocols": protocols}
	switch rt {
	case nodeWS:
		cfg["perMessageDeflate"] = false
		if compress {
			cfg["perMessageDeflate"] = map[string]any{}
		}
	case pythonWebsockets:
		cfg["compression"] = nil
		if compress {
			cfg["compression"] = "deflate"
		}
	}
	return cfg
}

// testExchange runs every kind of exchange on one connection, and closes it
// with 1000 "bye".
func testExchange(t *testing.T, tp topology, rt *runtime, compress bool) {
	ours := ourOptions{subprotocols: clientSubprotocols, enableCompression: compress}
	peerProtocols := serverSubprotocols
	if tp.weAreServer() {
		ours.subprotocols, peerProtocols = serverSubprotocols, clientSubprotocols
	}
	s := connect(t, tp, rt, ours, basicPeerConfig(rt, compress, peerProtocols))

	info := s.ask("info")
	extensions := s.negotiatedExtensions()
	t.Logf("peer %v; Sec-WebSocket-Extensions: %q", info["peer"], extensions)
	checkHandshake(t, s, info, wantSubprotocol, compress)

	t.Run("sizes", func(t *testing.T) {
		s.t = t
		for _, messageType := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			for _, size := range messageSizes {
				data := payload(messageType, size)
				tr := s.roundTrip(messageType, data)
				if size == 1<<20 && messageType == websocket.TextMessage {
					checkCompressed(t, "a 1 MiB text message", tr, size, compress)
				}
			}
		}
	})
	t.Run("fragmented-by-us", func(t *testing.T) {
		s.t = t
		for _, messageType := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			data := payload(messageType, 100_000)
			s.sendInPieces(messageType, data, 999)
			s.expectEcho(messageType, data)
		}
	})
	t.Run("fragmented-by-peer", func(t *testing.T) {
		s.t = t
		partSizes := []int{0, 1, 125, 126, 7, 65536}
		for _, messageType := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			data := payload(messageType, 70_000)
			keepRunes := messageType == websocket.TextMessage && !rt.splitsUTF8
			var parts []string
			for _, p := range splitParts(data, partSizes, keepRunes) {
				parts = append(parts, b64(p))
			}
			s.command(map[string]any{"op": "fragments", "binary": messageType == websocket.BinaryMessage, "parts64": parts})
			s.expectEcho(messageType, data)
		}
	})
	t.Run("ping-pong", func(t *testing.T) {
		s.t = t
		for _, data := range [][]byte{{}, []byte("ping é"), binaryPayload(125, 7)} {
			s.pingPeer(data)
			s.pingedByPeer(data)
		}
	})
	s.t = t
	if err := s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(peerTimeout)); err != nil {
		t.Fatal(err)
	}
	s.expectClose(websocket.CloseNormalClosure, nil)
	bye := "bye"
	s.peerClosed(websocket.CloseNormalClosure, &bye)
}

// checkHandshake compares what both ends say was negotiated with what
// crossed the wire.
func checkHandshake(t *testing.T, s *session, info map[string]any, subprotocol string, compress bool) {
	t.Helper()
	_, resp := s.handshake()
	if got := s.conn.Subprotocol(); got != subprotocol {
		t.Errorf("our Conn.Subprotocol() = %q, want %q", got, subprotocol)
	}
	if got := info["protocol"]; got != subprotocol {
		t.Errorf("%s negotiated subprotocol %q, want %q", s.peer.rt.name, got, subprotocol)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != subprotocol {
		t.Errorf("Sec-WebSocket-Protocol on the wire = %q, want %q", got, subprotocol)
	}
	extensions := s.negotiatedExtensions()
	if got := strings.HasPrefix(extensions, "permessage-deflate"); got != compress {
		t.Errorf("Sec-WebSocket-Extensions on the wire = %q; permessage-deflate negotiated: %v, want %v", extensions, got, compress)
	}
	if got := info["extensions"]; got != extensions {
		t.Errorf("%s saw Sec-WebSocket-Extensions %q, the wire %q", s.peer.rt.name, got, extensions)
	}
}

// checkCompressed checks from the bytes on the wire that a compressible
// message went compressed both ways, or uncompressed both ways.
func checkCompressed(t *testing.T, what string, tr traffic, size int, compressed bool) {
	t.Helper()
	t.Logf("%s: %d bytes sent, %d received", what, tr.sent, tr.received)
	if compressed && (tr.sent >= int64(size)*3/4 || tr.received >= int64(size)*3/4) {
		t.Errorf("%s of %d bytes took %d bytes on the wire to the peer and %d back: not compressed both ways", what, size, tr.sent, tr.received)
	}
	if !compressed && (tr.sent < int64(size) || tr.received < int64(size)) {
		t.Errorf("%s of %d bytes took %d bytes on the wire to the peer and %d back: compressed without permessage-deflate", what, size, tr.sent, tr.received)
	}
}

// payload is a message of the type and size, the same on every run.
func payload(messageType, size int) []byte {
	if messageType == websocket.TextMessage {
		return textPayload(size, uint64(size))
	}
	return binaryPayload(size, uint64(size))
}

// sendInPieces streams data through NextWriter in writes of piece bytes:
// the message leaves in several frames, cut inside UTF-8 sequences.
func (s *session) sendInPieces(messageType int, data []byte, piece int) {
	s.t.Helper()
	if err := s.conn.SetWriteDeadline(time.Now().Add(peerTimeout)); err != nil {
		s.t.Fatal(err)
	}
	w, err := s.conn.NextWriter(messageType)
	if err != nil {
		s.t.Fatal(err)
	}
	for rest := data; len(rest) > 0; {
		n := min(piece, len(rest))
		if _, err := w.Write(rest[:n]); err != nil {
			s.t.Fatalf("write a piece: %v", err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		s.t.Fatalf("close the writer: %v", err)
	}
}

// pingPeer pings the peer and checks its pong carries the payload.
func (s *session) pingPeer(data []byte) {
	s.t.Helper()
	if err := s.conn.WriteControl(websocket.PingMessage, data, time.Now().Add(peerTimeout)); err != nil {
		s.t.Fatal(err)
	}
	// The peer answers the ping before it reads the command, so the pong
	// is read before the answer.
	s.ask("sync")
	select {
	case got := <-s.pongs:
		if got != string(data) {
			s.t.Errorf("pong payload %q, want %q", got, data)
		}
	default:
		s.t.Errorf("no pong for the ping %q before the peer answered a later command", data)
	}
}

// pingedByPeer has the peer ping us: it checks that our ping handler saw the
// payload and that the peer got it back in our pong.
func (s *session) pingedByPeer(data []byte) {
	s.t.Helper()
	s.command(map[string]any{"op": "ping", "data64": b64(data)})
	ans := s.answer("pong")
	if ans["data64"] != b64(data) {
		s.t.Errorf("%s got a pong with %v (base64), want %q", s.peer.rt.name, ans["data64"], b64(data))
	}
	select {
	case got := <-s.pings:
		if got != string(data) {
			s.t.Errorf("our ping handler saw %q, want %q", got, data)
		}
	default:
		s.t.Errorf("our ping handler did not see the ping %q", data)
	}
}

// closeCase is a close handshake started by one side.
type closeCase struct {
	name   string
	byPeer bool
	code   int
	reason string
}

var closeCases = []closeCase{
	{name: "ours-4000", code: 4000, reason: "custom ✓"},
	{name: "peer-1000", byPeer: true, code: websocket.CloseNormalClosure, reason: "bye"},
	{name: "peer-4000", byPeer: true, code: 4000, reason: "custom ✓"},
}

// testClose checks that the side that did not start the close handshake
// receives the code and the reason, and that the echo carries the code.
func testClose(t *testing.T, tp topology, rt *runtime, compress bool, cc closeCase) {
	s := connect(t, tp, rt, ourOptions{enableCompression: compress}, basicPeerConfig(rt, compress, nil))
	s.roundTrip(websocket.TextMessage, []byte("before the close"))
	if got := s.conn.Subprotocol(); got != "" {
		t.Errorf("subprotocol %q negotiated when neither side asked for one", got)
	}
	if cc.byPeer {
		s.command(map[string]any{"op": "close", "code": cc.code, "reason": cc.reason})
		s.expectClose(cc.code, &cc.reason)
		s.peerClosed(cc.code, nil)
		return
	}
	msg := websocket.FormatCloseMessage(cc.code, cc.reason)
	if err := s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(peerTimeout)); err != nil {
		t.Fatal(err)
	}
	s.expectClose(cc.code, nil)
	s.peerClosed(cc.code, &cc.reason)
}
