package lib

// Benchmarks for profiling one library at a time with the go test tools,
// where the runner (cmd/runbench) compares them all. For example:
//
//	go test -run '^$' -bench 'ClientWrite/iris-contrib/16KiB' -cpuprofile cpu.out ./lib
//	go tool pprof -top cpu.out
//
//	go test -run TestIdleHeapProfile -idleprofile=heap.out -idlelib=iris-contrib ./lib
//	go tool pprof -sample_index=inuse_space -top heap.out

import (
	"compress/flate"
	"flag"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/discard"
	"github.com/iris-contrib/websocket/bench/internal/payload"
	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

var (
	idleProfile = flag.String("idleprofile", "", "TestIdleHeapProfile writes the heap profile of idle connections here")
	idleLib     = flag.String("idlelib", "iris-contrib", "the library of TestIdleHeapProfile")
	idleConns   = flag.Int("idleconns", 2000, "the connections of TestIdleHeapProfile")
)

// benchSizes names the message sizes of the benchmarks.
var benchSizes = []struct {
	name string
	size int
}{{"16B", 16}, {"125B", 125}, {"1KiB", 1 << 10}, {"16KiB", 16 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

func BenchmarkClientWrite(b *testing.B) {
	for _, l := range All() {
		for _, s := range benchSizes {
			b.Run(l.Name()+"/"+s.name, func(b *testing.B) {
				conn := discard.New()
				defer conn.Close()
				write, err := l.DialWriter(conn)
				if err != nil {
					b.Fatal(err)
				}
				msg := pattern(s.size)
				b.SetBytes(int64(s.size))
				b.ReportAllocs()
				calls0, _ := conn.Counts()
				for b.Loop() {
					if err := write(msg); err != nil {
						b.Fatal(err)
					}
				}
				calls, _ := conn.Counts()
				b.ReportMetric(float64(calls-calls0)/float64(b.N), "writes/op")
			})
		}
	}
}

// BenchmarkEchoServer runs client and server in this process: the profile
// holds both, the server's functions are the library's.
func BenchmarkEchoServer(b *testing.B) {
	for _, l := range Servers() {
		for _, s := range benchSizes[:5] {
			b.Run(l.Name()+"/"+s.name, func(b *testing.B) {
				srv := httptest.NewServer(l.EchoHandler(nil))
				defer srv.Close()
				c, err := wsraw.Dial(srv.Listener.Addr().String(), "/", testTimeout)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				c.SetMessage(pattern(s.size))
				b.SetBytes(int64(s.size))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.Echo(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDeflateEcho echoes the first 16 KiB JSON document with the raw
// client, its frame compressed once before the loop; the echo is not
// inflated. Client and server run in this process.
func BenchmarkDeflateEcho(b *testing.B) {
	doc := payload.Documents(1)[0]
	frame, err := wsraw.CompressedFrame(doc, flate.DefaultCompression)
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range Servers() {
		for _, mode := range l.DeflateModes() {
			b.Run(l.Name()+"/"+mode.Key, func(b *testing.B) {
				c, _ := deflateEcho(b, l.EchoHandler(&mode), mode)
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.Write(frame); err != nil {
						b.Fatal(err)
					}
					if _, err := c.ReadCompressed(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestIdleHeapProfile opens -idleconns idle connections to -idlelib's echo
// server in this process and writes the heap profile to -idleprofile: the
// in-use space then shows what the server holds per idle connection (the
// raw client's 4 KiB read buffers are there too, under wsraw).
func TestIdleHeapProfile(t *testing.T) {
	if *idleProfile == "" {
		t.Skip("writes a heap profile only when -idleprofile is given")
	}
	l, ok := ByName(*idleLib)
	if !ok {
		t.Fatalf("no library %q", *idleLib)
	}
	runtime.MemProfileRate = 512
	srv := httptest.NewServer(l.EchoHandler(nil))
	defer srv.Close()
	var conns []*wsraw.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range *idleConns {
		c, err := wsraw.Dial(srv.Listener.Addr().String(), "/", testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	time.Sleep(500 * time.Millisecond) // the handlers reach their read
	runtime.GC()
	runtime.GC()
	f, err := os.Create(*idleProfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}
