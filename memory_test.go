//go:build unix

package websocket

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/kataras/iris/v12"
)

// The memory an idle connection costs a server: heap and goroutine stacks,
// measured over many connections whose handlers wait in ReadMessage, on the
// HTTP handler's goroutine or on one of their own, with the clients in a
// child process (see load_test.go) so that only the server is counted. Run
// it with
//
//	go test -run TestMemoryPerIdleConn -v .
//
// and leave out -race: the race detector changes the figures.

// memorySnapshot is what the server process holds, after a collection.
type memorySnapshot struct{ heap, stack uint64 }

func takeMemorySnapshot() memorySnapshot {
	// Two cycles: the first one's finalizers and sync.Pool victims go in the second.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memorySnapshot{heap: m.HeapInuse, stack: m.StackInuse}
}

// perConn returns the growth from base to s divided by n, in bytes.
func (s memorySnapshot) perConn(base memorySnapshot, n int) (heap, stack int64) {
	return (int64(s.heap) - int64(base.heap)) / int64(n), (int64(s.stack) - int64(base.stack)) / int64(n)
}

func TestMemoryPerIdleConn(t *testing.T) {
	const messageSize = 200 // above the compression threshold of 128 bytes
	cases := []struct {
		name     string
		detach   bool // the handler reads on its own goroutine, the HTTP handler returns
		iris     bool // served by an iris app through Server.Serve
		upgrader Upgrader
		// conns is 2000, except under context takeover: each connection
		// then keeps over a MiB, and 200 give the same figure to a few bytes
		// without taking gigabytes (and minutes, with -race) to measure.
		conns int
		// maxPerConn is a sanity bound on heap plus stack per connection
		// after one message each way, far above what is measured.
		maxPerConn int64
	}{
		{"default options", false, false, Upgrader{}, 2000, 64 << 10},
		{"default options, own goroutine", true, false, Upgrader{}, 2000, 64 << 10},
		{"iris Server.Serve", false, true, Upgrader{}, 2000, 64 << 10},
		{"compression, no context takeover", false, false, Upgrader{EnableCompression: true}, 2000, 64 << 10},
		{"compression, context takeover", false, false, Upgrader{EnableCompression: true, Compression: &CompressionOptions{
			ServerContextTakeover: true, ClientContextTakeover: true,
		}}, 200, 4 << 20},
	}
	compression := []string{"none", "none", "none", "no-context-takeover", "context-takeover"}
	var lines []string
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conns := tc.conns
			s := loadServer{detach: tc.detach}
			serve := serveLoad
			if tc.iris {
				serve = serveLoadIris
			}
			srv, wsURL := serve(&s, &tc.upgrader)
			defer srv.Close()
			base := takeMemorySnapshot()
			f, dialed := startFleet(t, fleetConfig{
				URL: wsURL, Conns: conns, Messages: 1, MessageSize: messageSize,
				Compression: compression[i], Parallel: 32, Timeout: 30 * time.Second,
			})
			if dialed.Conns != conns || dialed.Errors != 0 {
				t.Fatalf("dialed %d of %d connections, %d errors, first: %s", dialed.Conns, conns, dialed.Errors, dialed.FirstError)
			}
			if wantCompressed := tc.upgrader.EnableCompression; (dialed.Compressed == conns) != wantCompressed {
				t.Fatalf("%d of %d connections negotiated compression", dialed.Compressed, conns)
			}
			if !waitFor(func() bool { return s.active.Load() == int64(conns) }) {
				t.Fatalf("the server runs %d handlers, want %d", s.active.Load(), conns)
			}
			heap, stack := takeMemorySnapshot().perConn(base, conns)
			lines = append(lines, fmt.Sprintf("%-34s %4d conns, after the handshake:      heap %7d + stack %5d = %7d bytes per connection", tc.name, conns, heap, stack, heap+stack))

			if r := f.run("echo", "echoed"); r.OK != conns || r.Errors != 0 {
				t.Fatalf("%d of %d echoes, %d errors, first: %s", r.OK, conns, r.Errors, r.FirstError)
			}
			heap, stack = takeMemorySnapshot().perConn(base, conns)
			lines = append(lines, fmt.Sprintf("%-34s %4d conns, after a message each way: heap %7d + stack %5d = %7d bytes per connection", tc.name, conns, heap, stack, heap+stack))
			if heap+stack <= 0 || heap+stack > tc.maxPerConn {
				t.Errorf("%d bytes per idle connection, outside the sanity bound (0, %d]", heap+stack, tc.maxPerConn)
			}

			if r := f.run("close", "closed"); r.OK != conns || r.Errors != 0 {
				t.Errorf("%d of %d close handshakes, %d errors, first: %s", r.OK, conns, r.Errors, r.FirstError)
			}
			f.stop()
			if !waitFor(func() bool { return s.handled.Load() == int64(conns) }) {
				t.Errorf("%d of %d handlers returned", s.handled.Load(), conns)
			}
		})
	}
	note := ""
	if raceEnabled() {
		note = " (race detector on: these figures are inflated)"
	}
	t.Logf("server memory per idle connection, %s%s:", runtime.Version(), note)
	for _, l := range lines {
		t.Log(l)
	}
}

// serveLoadIris serves s through an iris app, with Server.Serve and the
// options of u, on 127.0.0.1.
func serveLoadIris(s *loadServer, u *Upgrader) (*httptest.Server, string) {
	app := iris.New()
	app.Logger().SetLevel("disable")
	app.Get("/", (&Server{Upgrader: *u, Handler: s.handler}).Serve)
	if err := app.Build(); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(app)
	return srv, httpToWS(srv.URL)
}
