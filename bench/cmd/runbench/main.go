// Command runbench measures this library beside gorilla/websocket, gws,
// gobwas/ws and coder/websocket, in one run, and prints the results as
// markdown tables (also written to results/latest.md):
//
//	cd bench && go run ./cmd/runbench [-quick] [-sections write,echo,idle,deflate,tiny]
//	cd bench && go run ./cmd/runbench -profile iris-contrib-append [-profiletime 5s] [-profiledir DIR]
//
// Every cell is measured for each library in turn (in a shuffled order that
// changes each round), several rounds; a table shows the median of the
// rounds and its ratio to gorilla's median. gorilla is measured twice, the
// second time as "gorilla (again)": the distance of its ratio from 1 is the
// noise of the machine during the run. Every server (each in a process of
// its own) is measured with the same client, internal/wsraw; this library
// has two servers, the drop-in (ReadMessage) and AppendMessage. With
// -profile, the runner instead loads one server with the deflate echo on 16
// connections and saves the server's execution trace and profiles. See
// README.md for what each number means.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/proc"
	"github.com/iris-contrib/websocket/bench/lib"
)

// config sets how long and how often each cell is measured.
type config struct {
	rounds       int           // rounds of each cell
	writeTime    time.Duration // per client write sample
	echoTime     time.Duration // per echo sample
	echoWarmup   time.Duration // per library and echo cell, not measured
	idleConns    int           // connections of the idle memory test
	idleRounds   int           // rounds of the idle memory test
	deflateTime  time.Duration // per permessage-deflate sample
	deflateFlush int           // messages in flight in the stream of small messages
	tinyFrames   int           // empty continuation frames of the tiny frames message
	tinyBaseline time.Duration // round trips of the other connection before the message
}

var (
	fullConfig = config{
		rounds: 5, writeTime: 300 * time.Millisecond,
		echoTime: 2 * time.Second, echoWarmup: 200 * time.Millisecond,
		idleConns: 5000, idleRounds: 3,
		deflateTime: time.Second, deflateFlush: 16,
		tinyFrames: tinyFrameCount, tinyBaseline: time.Second,
	}
	quickConfig = config{
		rounds: 3, writeTime: 50 * time.Millisecond,
		echoTime: 250 * time.Millisecond, echoWarmup: 100 * time.Millisecond,
		idleConns: 5000, idleRounds: 1,
		deflateTime: 250 * time.Millisecond, deflateFlush: 16,
		tinyFrames: tinyFrameCount, tinyBaseline: 250 * time.Millisecond,
	}
)

// row is one line of the tables: a library, or the control row that
// measures gorilla a second time.
type row struct {
	name string
	lib  lib.Library
	// detached rows run the echo loop on a goroutine of its own, the HTTP
	// handler returned (lib.Detachable).
	detached bool
	// irisServed rows are served by an iris app through Server.Serve
	// (lib.IrisServed).
	irisServed bool
}

// The names of the rows the ratios, the noise and the targets refer to.
const (
	gorillaRow = "gorilla"
	controlRow = "gorilla (again)"
	gwsRow     = "gws"
	gobwasRow  = "gobwas"
	// ourRow is this library in the client write and idle tables, where
	// how the server reads makes no difference.
	ourRow = "iris-contrib"
	// dropInRow and appendRow are this library's two servers in the echo
	// tables: gorilla's API (ReadMessage, WriteMessage) and AppendMessage
	// into a reused buffer (then WriteMessage).
	dropInRow = "iris-contrib ReadMessage"
	appendRow = "iris-contrib AppendMessage"
	// floorRow is the echo server of no library (lib.Floor).
	floorRow = "floor"
)

// rows returns the libraries of the client write and idle tables in report
// order, the control row last.
func rows() []row {
	var rs []row
	for _, l := range lib.All() {
		rs = append(rs, row{name: l.Name(), lib: l})
	}
	return append(rs, controlRowOf())
}

// serverRows returns the echo servers in report order: this library's two,
// the other libraries, the control row last.
func serverRows() []row {
	var rs []row
	for _, l := range lib.All() {
		if l.Name() == ourRow {
			rs = append(rs, row{name: dropInRow, lib: l}, row{name: appendRow, lib: lib.IrisAppend})
			continue
		}
		rs = append(rs, row{name: l.Name(), lib: l})
	}
	return append(rs, controlRowOf())
}

// controlRowOf is gorilla measured a second time.
func controlRowOf() row {
	g, _ := lib.ByName(gorillaRow)
	return row{name: controlRow, lib: lib.Renamed(g, controlRow)}
}

// detachedRows returns a row per library that can run its echo loop on a
// goroutine of its own, the HTTP handler returned.
func detachedRows() []row {
	var rs []row
	for _, l := range lib.All() {
		if _, ok := l.(lib.Detachable); ok {
			rs = append(rs, row{name: l.Name() + detachedSuffix, lib: l, detached: true})
		}
	}
	return rs
}

// irisServedRows returns a row per library served by an iris app.
func irisServedRows() []row {
	var rs []row
	for _, l := range lib.All() {
		if _, ok := l.(lib.IrisServed); ok {
			rs = append(rs, row{name: l.Name() + irisServedSuffix, lib: l, irisServed: true})
		}
	}
	return rs
}

// detachedSuffix names the detached rows, irisServedSuffix the rows served
// by an iris app.
const (
	detachedSuffix   = ", own goroutine"
	irisServedSuffix = ", iris Server.Serve"
)

// baseName is the -lib of a row's echo server.
func (r row) baseName() string {
	if r.name == controlRow {
		return gorillaRow
	}
	return r.lib.Name()
}

// echoPath is the path of a row's echo handler on its server.
func (r row) echoPath() string {
	switch {
	case r.detached:
		return "/echo-detached"
	case r.irisServed:
		return "/echo-iris"
	}
	return "/echo"
}

func main() {
	quick := flag.Bool("quick", false, "shorter samples and fewer rounds (about 2 minutes)")
	out := flag.String("out", filepath.Join("results", "latest.md"), "where to write the markdown report")
	sections := flag.String("sections", "write,echo,idle,deflate,tiny", "the comma-separated sections to run")
	profile := flag.String("profile", "", "instead of the run: profile this echo server (iris-contrib, iris-contrib-append, gws, ...) under the deflate echo on 16 connections")
	profileTime := flag.Duration("profiletime", 5*time.Second, "with -profile: how long the profiles record")
	profileDir := flag.String("profiledir", "", "with -profile: where to write them (default: a new temporary directory)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("runbench: ")
	if *profile != "" {
		if err := runProfile(*profile, *profileDir, *profileTime); err != nil {
			log.Fatal(err)
		}
		return
	}

	cfg := fullConfig
	if *quick {
		cfg = quickConfig
	}
	if _, err := proc.RaiseFileLimit(); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	rep := &report{out: os.Stdout}
	rep.header(strings.Join(append([]string{"go run ./cmd/runbench"}, os.Args[1:]...), " "), start)
	want := map[string]bool{}
	for _, s := range strings.Split(*sections, ",") {
		want[strings.TrimSpace(s)] = true
	}
	if err := run(cfg, want, rep); err != nil {
		log.Fatal(err)
	}
	rep.printf("\nTotal time: %v.\n", time.Since(start).Round(time.Second))

	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, rep.buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *out)
}

// run measures the sections wanted and reports them, then the targets.
func run(cfg config, want map[string]bool, rep *report) error {
	var bin string
	if want["echo"] || want["idle"] || want["deflate"] || want["tiny"] {
		dir, err := os.MkdirTemp("", "runbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if bin, err = buildEchoServer(dir); err != nil {
			return err
		}
	}
	res := &results{}
	if want["write"] {
		res.write = runWrite(cfg, rep)
	}
	if want["echo"] || want["deflate"] || want["tiny"] {
		if err := runServed(cfg, want, rep, bin, res); err != nil {
			return err
		}
	}
	if want["idle"] {
		res.idle = runIdle(cfg, bin, rep)
	}
	rep.targets(res)
	return nil
}

// runServed runs the sections that share one server process per row: the
// echo, the deflate echo and the tiny frames. The servers are stopped before
// it returns (the idle section starts its own).
func runServed(cfg config, want map[string]bool, rep *report, bin string, res *results) error {
	rs := serverRows()
	if want["echo"] {
		rs = append(rs, row{name: floorRow, lib: lib.Floor})
	}
	servers, err := startServers(bin, rs)
	if err != nil {
		return err
	}
	defer stopServers(servers)
	if want["echo"] {
		res.echo = runEcho(cfg, rep, servers)
	}
	if want["deflate"] {
		if res.deflate, err = runDeflate(cfg, rep, servers); err != nil {
			return err
		}
	}
	if want["tiny"] {
		res.tiny = runTiny(cfg, rep, withoutFloor(servers))
	}
	return nil
}

// withoutFloor leaves out the floor's server, which knows no fragments.
func withoutFloor(servers []*server) []*server {
	var out []*server
	for _, s := range servers {
		if s.row.name != floorRow {
			out = append(out, s)
		}
	}
	return out
}

// buildEchoServer builds cmd/echoserver into dir and returns its path.
func buildEchoServer(dir string) (string, error) {
	bin := filepath.Join(dir, "echoserver")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/iris-contrib/websocket/bench/cmd/echoserver")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the echo server: %v\n%s", err, stderr.Bytes())
	}
	return bin, nil
}

// machine describes the machine for the report's header.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// order returns the order in which round measures n libraries: a shuffle,
// different each round and the same each run, so that no library always
// follows the same other one (which would bias both) and none is always
// first.
func order(round, n int) []int {
	return rand.New(rand.NewPCG(uint64(round), 0x5eed)).Perm(n)
}
