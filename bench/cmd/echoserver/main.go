// Command echoserver serves one library's echo handler, so that each library
// is measured in a process of its own: its CPU time, heap and stacks are then
// its alone. The runner (cmd/runbench) starts one per library.
//
//	echoserver -lib gorilla [-addr 127.0.0.1:0] [-lifetime 30m] [-pprof]
//
// It prints "listening ADDR" on its first line of output, then serves:
//
//	/echo            the echo handler without compression
//	/echo-detached   the same with the read loop on a goroutine of its own (lib.Detachable)
//	/deflate/{mode}  the echo handler with a permessage-deflate mode (lib.DeflateMode.Key)
//	/stats           proc.Stats as JSON; /stats?gc=1 collects garbage first and reads the heap and stacks
//	/debug/pprof/    with -pprof only: net/http/pprof, the mutex and block
//	                 profiles recording every event, and the execution tracer
//
// It listens on loopback addresses only, and exits on SIGINT, SIGTERM or
// when -lifetime has passed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/proc"
	"github.com/iris-contrib/websocket/bench/lib"
)

func main() {
	name := flag.String("lib", "", "the server to serve: iris-contrib (its drop-in ReadMessage echo), iris-contrib-append (its AppendMessage echo), gorilla, gws, gobwas, coder, or floor: no library (lib.Floor)")
	addr := flag.String("addr", "127.0.0.1:0", "the loopback address to listen on")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit after this long")
	profile := flag.Bool("pprof", false, "serve /debug/pprof/ and record every mutex contention and blocking event (costs CPU: for profiling, not for measuring)")
	flag.Parse()
	log.SetPrefix("echoserver: ")
	log.SetFlags(0)

	l, ok := lib.ByName(*name)
	if !ok {
		log.Fatalf("unknown -lib %q", *name)
	}
	if _, err := proc.RaiseFileLimit(); err != nil {
		log.Fatal(err)
	}
	ln, err := listenLoopback(*addr)
	if err != nil {
		log.Fatal(err)
	}
	var hijacked atomic.Int64
	mux := newMux(l, &hijacked)
	if *profile {
		servePprof(mux)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateHijacked {
				hijacked.Add(1)
			}
		},
		ErrorLog: log.New(os.Stderr, "echoserver: ", 0),
	}
	fmt.Printf("listening %s\n", ln.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case <-stop:
		case <-time.After(*lifetime):
			log.Printf("exiting after -lifetime %v", *lifetime)
		}
		os.Exit(0)
	}()
	log.Fatal(srv.Serve(ln))
}

// listenLoopback listens on addr, which must be a loopback address: the
// benchmark never serves anything beyond this machine.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-addr %q is not a loopback IP address", addr)
	}
	return net.Listen("tcp", addr)
}

// newMux routes the echo handlers and the statistics of l's server.
func newMux(l lib.Library, hijacked *atomic.Int64) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/echo", l.EchoHandler(nil))
	if d, ok := l.(lib.Detachable); ok {
		mux.Handle("/echo-detached", d.DetachedEchoHandler())
	}
	if i, ok := l.(lib.IrisServed); ok {
		mux.Handle("/echo-iris", i.IrisEchoHandler())
	}
	for _, m := range l.DeflateModes() {
		mux.Handle("/deflate/"+m.Key, l.EchoHandler(&m))
	}
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		s, err := proc.ReadSelf(r.URL.Query().Get("gc") == "1")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.Hijacked = hijacked.Load()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s)
	})
	return mux
}

// servePprof adds net/http/pprof's handlers to mux and turns on the mutex
// and block profiles at their finest: every contended lock and every
// blocking event is recorded.
func servePprof(mux *http.ServeMux) {
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
