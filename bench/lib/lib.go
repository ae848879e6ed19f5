// Package lib puts each benchmarked WebSocket library behind one interface,
// Library, so that the runner measures them all with the same code: the
// client write path, and the echo server (with and without
// permessage-deflate; idle, it is also the server whose memory per
// connection is measured). Every server is measured with the benchmark's own
// client (internal/wsraw), never with its library's.
//
// Each adapter uses its library the way the library's documentation shows,
// with default options except where noted: the read limit is raised where it
// would refuse the benchmark's 64 KiB messages, and the compression
// threshold is lowered to 128 bytes where it would leave 200-byte messages
// uncompressed.
package lib

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

// dialTimeout bounds each client's opening handshake.
const dialTimeout = 10 * time.Second

// WriteFunc sends one binary message.
type WriteFunc func(p []byte) error

// DialFunc opens the TCP connection of a client.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DeflateMode is a permessage-deflate configuration of a server (RFC 7692),
// always with a window of 2^15 bytes.
type DeflateMode struct {
	// Key names the mode in the echo server's URL path, /deflate/{Key}.
	Key string
	// ContextTakeover lets the server keep its compression window from one
	// message to the next; the benchmark's client never keeps its own.
	ContextTakeover bool
}

// The modes the adapters choose from.
var (
	// NoTakeover15 is what every server of the benchmark accepts: each
	// message compressed on its own, in both directions.
	NoTakeover15 = DeflateMode{Key: "nct15"}
	// Takeover15 lets the server keep its window.
	Takeover15 = DeflateMode{Key: "ct15", ContextTakeover: true}
)

// String describes the mode for the report.
func (m DeflateMode) String() string {
	if m.ContextTakeover {
		return "server context takeover"
	}
	return "no context takeover"
}

// Offer is the Sec-WebSocket-Extensions offer of the benchmark's client
// for the mode.
func (m DeflateMode) Offer() string {
	if m.ContextTakeover {
		return wsraw.OfferServerTakeover
	}
	return wsraw.OfferNoContextTakeover
}

// Library is the adapter of one WebSocket library: its client for the
// write benchmark, its server for every other. The servers are all measured
// with the same client of the benchmark's own (internal/wsraw).
type Library interface {
	// Name is the library's name in the report.
	Name() string
	// DialWriter performs the client's opening handshake over conn and
	// returns a function that sends one binary message on it.
	DialWriter(conn net.Conn) (WriteFunc, error)
	// EchoHandler returns the handler of the echo server: it upgrades the
	// request, then sends back every message it receives, of the same type,
	// until the connection fails. Between messages it is blocked reading.
	// mode is nil for no compression, else one of DeflateModes.
	EchoHandler(mode *DeflateMode) http.Handler
	// DeflateModes lists the permessage-deflate modes the library's server
	// supports.
	DeflateModes() []DeflateMode
}

// Detachable is implemented by the adapters whose echo loop can also run on
// a goroutine of its own, started by the HTTP handler, which then returns (as
// gws's always does, and gorilla's chat example): net/http then frees the
// buffers and the request it keeps while a handler runs.
type Detachable interface {
	// DetachedEchoHandler is EchoHandler(nil) with the loop on a goroutine
	// of its own.
	DetachedEchoHandler() http.Handler
}

// IrisServed is implemented by this library's adapter: its echo served by an
// iris app through Server.Serve, which runs the Handler on a goroutine of its
// own and gives it a copy of the request's iris.Context.
type IrisServed interface {
	IrisEchoHandler() http.Handler
}

// echoHandler returns a handler that upgrades each request with upgrade and
// runs echo on the connection: in the HTTP handler, or on a goroutine of
// its own when detach is true (Detachable).
func echoHandler[C any](upgrade func(http.ResponseWriter, *http.Request) (C, error), echo func(C), detach bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrade(w, r)
		if err != nil {
			return
		}
		if detach {
			go echo(c)
			return
		}
		echo(c)
	})
}

// All returns the adapters, this library first (its drop-in server).
func All() []Library {
	return []Library{irisLib{}, gorillaLib{}, gwsLib{}, gobwasLib{}, coderLib{}}
}

// Servers returns every echo server: All's, and this library's second one,
// IrisAppend.
func Servers() []Library { return append(All(), IrisAppend) }

// ByName returns the adapter called name, IrisAppend's and the Floor's
// included.
func ByName(name string) (Library, bool) {
	for _, l := range append(Servers(), Floor) {
		if l.Name() == name {
			return l, true
		}
	}
	return nil, false
}

// Renamed returns l under another name: the control row that measures a
// library twice to show the noise of the machine.
func Renamed(l Library, name string) Library { return renamed{l, name} }

type renamed struct {
	Library
	name string
}

func (r renamed) Name() string { return r.name }

// benchURL is the URL the write benchmark's clients dial: the discarding
// connection answers whatever the host.
const benchURL = "ws://127.0.0.1:9/"

// connDialer returns a DialFunc that hands out conn.
func connDialer(conn net.Conn) DialFunc {
	return func(context.Context, string, string) (net.Conn, error) { return conn, nil }
}

// dialContext returns a context bounded by dialTimeout.
func dialContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), dialTimeout)
}
