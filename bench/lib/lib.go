// Package lib puts each benchmarked WebSocket library behind one interface,
// Library, so that the runner measures them all with the same code: the
// client write path, the echo server (which, idle, is also the server whose
// memory per connection is measured) and the permessage-deflate echo.
//
// Each adapter uses its library the way the library's documentation shows,
// with default options except where noted: the read limit is raised where it
// would refuse the benchmark's 64 KiB messages, and the compression
// threshold is lowered to 128 bytes where it would leave 200-byte messages
// uncompressed.
package lib

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// dialTimeout bounds each client's opening handshake.
const dialTimeout = 10 * time.Second

// WriteFunc sends one binary message.
type WriteFunc func(p []byte) error

// DialFunc opens the TCP connection of a client.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DeflateMode is one permessage-deflate configuration (RFC 7692), the same
// on both sides of the connection.
type DeflateMode struct {
	// Key names the mode in the echo server's URL path, /deflate/{Key}.
	Key string
	// ContextTakeover keeps the compression window from one message to the
	// next, in both directions.
	ContextTakeover bool
	// WindowBits is the base-2 logarithm of the window, in both directions.
	WindowBits int
}

// The modes the adapters choose from.
var (
	NoTakeover15 = DeflateMode{Key: "nct15", WindowBits: 15}
	NoTakeover9  = DeflateMode{Key: "nct9", WindowBits: 9}
	Takeover15   = DeflateMode{Key: "ct15", ContextTakeover: true, WindowBits: 15}
	Takeover9    = DeflateMode{Key: "ct9", ContextTakeover: true, WindowBits: 9}
)

// String describes the mode for the report.
func (m DeflateMode) String() string {
	takeover := "no context takeover"
	if m.ContextTakeover {
		takeover = "context takeover"
	}
	return fmt.Sprintf("%s, window %d", takeover, m.WindowBits)
}

// MessageConn is a client connection that sends and receives whole messages.
type MessageConn interface {
	// Send sends p as one text message.
	Send(p []byte) error
	// Receive returns the next message, valid until the next call.
	Receive() ([]byte, error)
	// Close closes the connection.
	Close() error
}

// Library is the adapter of one WebSocket library.
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
	// DeflateModes lists the permessage-deflate modes the library supports.
	DeflateModes() []DeflateMode
	// DialDeflate connects to url, an echo handler serving mode, with dial
	// for the TCP connection, and fails unless mode was negotiated.
	DialDeflate(url string, mode DeflateMode, dial DialFunc) (MessageConn, error)
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

// All returns the adapters, this library first.
func All() []Library {
	return []Library{irisLib{}, gorillaLib{}, gwsLib{}, gobwasLib{}, coderLib{}}
}

// ByName returns the adapter called name, the Floor's included.
func ByName(name string) (Library, bool) {
	for _, l := range append(All(), Floor) {
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

// checkDeflate reports an error unless the handshake response's extensions
// accepted permessage-deflate.
func checkDeflate(extensions string) error {
	if !strings.Contains(extensions, "permessage-deflate") {
		return fmt.Errorf("permessage-deflate was not negotiated (Sec-WebSocket-Extensions: %q)", extensions)
	}
	return nil
}

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
