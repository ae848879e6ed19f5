package interop

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/iris-contrib/websocket"
)

// permessage-deflate (RFC 7692) with its parameters, between our side and a
// peer configured to match: negotiation as it crosses the wire, context
// takeover and window sizes seen on the wire, and byte-exact round trips of
// compressible and random messages up to 1 MiB, many on one connection.

// deflateVariant is one configuration of both sides.
type deflateVariant struct {
	name string
	// peer is the peer's configuration: for ws, {"perMessageDeflate": {...}};
	// for websockets, {"compression": "deflate"} or {"deflate": {factory params}}.
	peer map[string]any
	// peerThreshold is the size from which the peer compresses a message.
	// ws applies it only to a side without context takeover: with takeover
	// it compresses every message.
	peerThreshold int
	ours          *websocket.CompressionOptions
	// wantPeerServer and wantOurServer are the parameters of the
	// negotiated permessage-deflate, when the peer is the server and when
	// we are, in any order.
	wantPeerServer, wantOurServer string
	// only, when set, names the one topology the variant runs in.
	only string
}

// wsThresholdDefault is where ws starts compressing unless told otherwise.
const wsThresholdDefault = 1024

// nodeVariant is a ws configuration: perMessageDeflate is handed to ws as it
// is, and both roles negotiate the same parameters.
func nodeVariant(name string, perMessageDeflate map[string]any, ours *websocket.CompressionOptions, want string) deflateVariant {
	threshold := wsThresholdDefault
	if v, ok := perMessageDeflate["threshold"]; ok {
		threshold = v.(int)
	}
	return deflateVariant{
		name:           name,
		peer:           map[string]any{"perMessageDeflate": perMessageDeflate},
		peerThreshold:  threshold,
		ours:           ours,
		wantPeerServer: want, wantOurServer: want,
	}
}

// windowVariant has both sides keep their context, with the given windows.
func windowVariant(serverBits, clientBits int) deflateVariant {
	return nodeVariant(
		fmt.Sprintf("windows-server-%d-client-%d", serverBits, clientBits),
		map[string]any{"serverMaxWindowBits": serverBits, "clientMaxWindowBits": clientBits, "threshold": 0},
		&websocket.CompressionOptions{
			ServerContextTakeover: true, ClientContextTakeover: true,
			ServerMaxWindowBits: serverBits, ClientMaxWindowBits: clientBits, Threshold: -1,
		},
		fmt.Sprintf("server_max_window_bits=%d; client_max_window_bits=%d", serverBits, clientBits),
	)
}

var nodeVariants = []deflateVariant{
	nodeVariant("defaults", map[string]any{}, nil,
		"server_no_context_takeover; client_no_context_takeover"),
	nodeVariant("context-takeover", map[string]any{"threshold": 0},
		&websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true, Threshold: -1},
		""),
	nodeVariant("server-no-context-takeover", map[string]any{"serverNoContextTakeover": true, "threshold": 0},
		&websocket.CompressionOptions{ClientContextTakeover: true, Threshold: -1},
		"server_no_context_takeover"),
	nodeVariant("client-no-context-takeover", map[string]any{"clientNoContextTakeover": true, "threshold": 0},
		&websocket.CompressionOptions{ServerContextTakeover: true, Threshold: -1},
		"client_no_context_takeover"),
	nodeVariant("both-no-context-takeover", map[string]any{"serverNoContextTakeover": true, "clientNoContextTakeover": true, "threshold": 0},
		&websocket.CompressionOptions{Threshold: -1},
		"server_no_context_takeover; client_no_context_takeover"),
	windowVariant(8, 8),
	windowVariant(9, 9),
	windowVariant(12, 12),
	windowVariant(15, 15),
	windowVariant(8, 15),
	windowVariant(15, 8),
	windowVariant(9, 12),
	windowVariant(12, 9),
	// ws limits both windows on a connection where we configured none.
	nodeVariant("peer-limits-windows", map[string]any{"serverMaxWindowBits": 9, "clientMaxWindowBits": 10, "threshold": 0},
		&websocket.CompressionOptions{Threshold: -1},
		"server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10"),
	// ws applies its threshold only without context takeover.
	nodeVariant("threshold-4096", map[string]any{"threshold": 4096, "serverNoContextTakeover": true, "clientNoContextTakeover": true},
		&websocket.CompressionOptions{Threshold: 4096},
		"server_no_context_takeover; client_no_context_takeover"),
	nodeVariant("threshold-4096-ours-only", map[string]any{"threshold": 4096},
		&websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true, Threshold: 4096},
		""),
}

// pythonVariants use websockets' own defaults and explicit factories;
// websockets compresses every message.
var pythonVariants = []deflateVariant{
	{
		name: "defaults",
		peer: map[string]any{"compression": "deflate"},
		// websockets' server limits both windows to 12 bits by default.
		wantPeerServer: "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12",
		wantOurServer:  "server_no_context_takeover; client_no_context_takeover",
	},
	{
		name: "context-takeover",
		peer: map[string]any{"deflate": map[string]any{}},
		ours: &websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true, Threshold: -1},
	},
	{
		name: "context-takeover-windows-10-11",
		peer: map[string]any{"deflate": map[string]any{"server_max_window_bits": 10, "client_max_window_bits": 11}},
		ours: &websocket.CompressionOptions{
			ServerContextTakeover: true, ClientContextTakeover: true,
			ServerMaxWindowBits: 10, ClientMaxWindowBits: 11, Threshold: -1,
		},
		wantPeerServer: "server_max_window_bits=10; client_max_window_bits=11",
		wantOurServer:  "server_max_window_bits=10; client_max_window_bits=11",
	},
	{
		name: "no-context-takeover-windows-9",
		peer: map[string]any{"deflate": map[string]any{
			"server_no_context_takeover": true, "client_no_context_takeover": true,
			"server_max_window_bits": 9, "client_max_window_bits": 9,
		}},
		ours:           &websocket.CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9, Threshold: -1},
		wantPeerServer: "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		wantOurServer:  "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
	},
	// Python's zlib cannot compress with a window of 8 bits, but inflates
	// with one: our side sends with 8 bits, websockets with 9.
	{
		name: "our-window-8",
		only: "peer-client",
		peer: map[string]any{"deflate": map[string]any{"server_max_window_bits": 8, "client_max_window_bits": 9}},
		ours: &websocket.CompressionOptions{
			ServerContextTakeover: true, ClientContextTakeover: true,
			ServerMaxWindowBits: 8, ClientMaxWindowBits: 9, Threshold: -1,
		},
		wantOurServer: "server_max_window_bits=8; client_max_window_bits=9",
	},
	{
		name: "our-window-8",
		only: "peer-server",
		peer: map[string]any{"deflate": map[string]any{"server_max_window_bits": 9, "client_max_window_bits": 8}},
		ours: &websocket.CompressionOptions{
			ServerContextTakeover: true, ClientContextTakeover: true,
			ServerMaxWindowBits: 9, ClientMaxWindowBits: 8, Threshold: -1,
		},
		wantPeerServer: "server_max_window_bits=9; client_max_window_bits=8",
	},
}

// deflateTopologies are the two roles of the peer; the iris Server shares
// the Upgrader's negotiation, which TestMessages covers.
var deflateTopologies = []topology{
	{name: "peer-client", ours: "net/http"},
	{name: "peer-server", ours: "dialer"},
}

func TestDeflateVariants(t *testing.T) {
	for _, rt := range allRuntimes {
		variants := nodeVariants
		if rt == pythonWebsockets {
			variants = pythonVariants
		}
		t.Run(rt.name, func(t *testing.T) {
			rt.require(t)
			t.Logf("peer: %s %s (%s)", rt.name, rt.version, rt.exe)
			for _, v := range variants {
				for _, tp := range deflateTopologies {
					if v.only != "" && v.only != tp.name {
						continue
					}
					t.Run(v.name+"/"+tp.name, func(t *testing.T) { testDeflateVariant(t, rt, tp, v) })
				}
			}
		})
	}
}

func testDeflateVariant(t *testing.T, rt *runtime, tp topology, v deflateVariant) {
	want := parseDeflateParams(t, v.wantPeerServer)
	if tp.weAreServer() {
		want = parseDeflateParams(t, v.wantOurServer)
	}
	s := connect(t, tp, rt, ourOptions{enableCompression: true, compression: v.ours}, maps.Clone(v.peer))

	// The first messages of the connection show context takeover on the
	// wire: under takeover the second of two equal messages takes a few
	// bytes; without, as many as the first. They are short enough that both
	// fit in the smallest window.
	probe := jsonPayload(min(200, (1<<minWindowBits(want))/2), 1)
	first := s.roundTrip(websocket.TextMessage, probe)
	second := s.roundTrip(websocket.TextMessage, probe)

	extensions := s.negotiatedExtensions()
	t.Logf("Sec-WebSocket-Extensions: %q", extensions)
	got := parseDeflateParams(t, strings.TrimPrefix(strings.TrimPrefix(extensions, "permessage-deflate"), ";"))
	if !strings.HasPrefix(extensions, "permessage-deflate") || !maps.Equal(got, want) {
		t.Fatalf("negotiated %q, want permessage-deflate with %v", extensions, want)
	}
	info := s.ask("info")
	if info["extensions"] != extensions {
		t.Errorf("%s saw Sec-WebSocket-Extensions %q, the wire %q", rt.name, info["extensions"], extensions)
	}

	ourTakeover, peerTakeover := takeover(want, tp.weAreServer(), v.ours)
	checkTakeover(t, "to the peer", first.sent, second.sent, len(probe), ourThreshold(v.ours), ourTakeover)
	peerThreshold := v.peerThreshold
	if rt == nodeWS && peerTakeover {
		peerThreshold = 0
	}
	checkTakeover(t, "from the peer", first.received, second.received, len(probe), peerThreshold, peerTakeover)

	checkCompressed(t, "a 64 KiB JSON message", s.roundTrip(websocket.TextMessage, jsonPayload(64<<10, 2)), 64<<10, true)

	// Many messages on one connection: compressed ones carry the window
	// from one to the next, small ones under a threshold go uncompressed
	// between them and must stay out of the window.
	for i, size := range []int{0, 20, 200, 1024, 16 << 10, 1 << 20, 5000, 5000, 30, 5000} {
		s.roundTrip(websocket.TextMessage, jsonPayload(size, uint64(10+i)))
	}
	s.roundTrip(websocket.TextMessage, textPayload(20_000, 3))
	s.roundTrip(websocket.BinaryMessage, binaryPayload(1<<20, 5))
	s.roundTrip(websocket.BinaryMessage, jsonPayload(10_000, 6))
	// A message from NextWriter is always compressed, in several frames.
	streamed := jsonPayload(64<<10, 7)
	s.sendInPieces(websocket.TextMessage, streamed, 700)
	s.expectEcho(websocket.TextMessage, streamed)
	s.roundTrip(websocket.TextMessage, probe)
}

// parseDeflateParams parses "a; b=1" into {"a": "", "b": "1"}.
func parseDeflateParams(t *testing.T, params string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for p := range strings.SplitSeq(params, ";") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, value, _ := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		if _, dup := m[name]; dup {
			t.Fatalf("parameter %q twice in %q", name, params)
		}
		m[name] = strings.Trim(strings.TrimSpace(value), `"`)
	}
	return m
}

// minWindowBits is the smaller of the negotiated windows.
func minWindowBits(params map[string]string) int {
	bits := 15
	for _, name := range []string{"server_max_window_bits", "client_max_window_bits"} {
		if v, err := strconv.Atoi(params[name]); err == nil {
			bits = min(bits, v)
		}
	}
	return bits
}

// takeover tells which senders keep their context across messages: the
// negotiation must allow it, and our side must want it (the peers always do
// when allowed).
func takeover(params map[string]string, weAreServer bool, ours *websocket.CompressionOptions) (our, peer bool) {
	_, serverNo := params["server_no_context_takeover"]
	_, clientNo := params["client_no_context_takeover"]
	if ours == nil {
		ours = &websocket.CompressionOptions{}
	}
	if weAreServer {
		return !serverNo && ours.ServerContextTakeover, !clientNo
	}
	return !clientNo && ours.ClientContextTakeover, !serverNo
}

// ourThreshold is the size from which our side compresses a message.
func ourThreshold(o *websocket.CompressionOptions) int {
	switch {
	case o == nil || o.Threshold == 0:
		return 128
	case o.Threshold < 0:
		return 0
	}
	return o.Threshold
}

// checkTakeover checks what two equal messages of size bytes took on the
// wire in one direction.
func checkTakeover(t *testing.T, direction string, first, second int64, size, threshold int, takeover bool) {
	t.Helper()
	t.Logf("two equal messages of %d bytes %s: %d and %d bytes on the wire (threshold %d, context takeover %v)",
		size, direction, first, second, threshold, takeover)
	switch {
	case size < threshold:
		if first < int64(size) || second < int64(size) {
			t.Errorf("messages of %d bytes %s, under the threshold %d, took %d and %d bytes: compressed", size, direction, threshold, first, second)
		}
	case takeover:
		if second*2 >= first {
			t.Errorf("with context takeover, the second of two equal messages %s took %d bytes, the first %d: the window was not kept", direction, second, first)
		}
	default:
		if second*10 < first*9 {
			t.Errorf("without context takeover, the second of two equal messages %s took %d bytes, the first %d: the window was kept", direction, second, first)
		}
	}
}
