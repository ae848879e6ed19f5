// Command runbench measures this library beside gorilla/websocket, gws,
// gobwas/ws and coder/websocket, in one run, and prints the results as
// markdown tables (also written to results/latest.md):
//
//	cd bench && go run ./cmd/runbench [-quick] [-sections write,echo,idle,deflate]
//
// Every cell is measured for each library in turn (in a shuffled order that
// changes each round), several rounds; a table shows the median of the
// rounds and its ratio to gorilla's median. gorilla is measured twice, the
// second time as "gorilla (again)": the distance of its ratio from 1 is the
// noise of the machine during the run. See README.md for what each number
// means.
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
}

var (
	fullConfig = config{
		rounds: 5, writeTime: 300 * time.Millisecond,
		echoTime: 2 * time.Second, echoWarmup: 200 * time.Millisecond,
		idleConns: 5000, idleRounds: 3,
		deflateTime: time.Second, deflateFlush: 16,
	}
	quickConfig = config{
		rounds: 3, writeTime: 50 * time.Millisecond,
		echoTime: 250 * time.Millisecond, echoWarmup: 100 * time.Millisecond,
		idleConns: 5000, idleRounds: 1,
		deflateTime: 200 * time.Millisecond, deflateFlush: 16,
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
}

// gorillaRow and controlRow are the names the ratios and the noise refer to.
const (
	gorillaRow = "gorilla"
	controlRow = "gorilla (again)"
	ourRow     = "iris-contrib"
	// floorRow is the echo server of no library (lib.Floor).
	floorRow = "floor"
)

// rows returns the libraries in report order, the control row last.
func rows() []row {
	var rs []row
	for _, l := range lib.All() {
		rs = append(rs, row{name: l.Name(), lib: l})
	}
	g, _ := lib.ByName(gorillaRow)
	return append(rs, row{name: controlRow, lib: lib.Renamed(g, controlRow)})
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

// detachedSuffix names the detached rows.
const detachedSuffix = ", own goroutine"

// baseName is the -lib of a row's echo server.
func (r row) baseName() string {
	if r.name == controlRow {
		return gorillaRow
	}
	return r.lib.Name()
}

// echoPath is the path of a row's echo handler on its server.
func (r row) echoPath() string {
	if r.detached {
		return "/echo-detached"
	}
	return "/echo"
}

func main() {
	quick := flag.Bool("quick", false, "shorter samples and fewer rounds (about 2 minutes)")
	out := flag.String("out", filepath.Join("results", "latest.md"), "where to write the markdown report")
	sections := flag.String("sections", "write,echo,idle,deflate", "the comma-separated sections to run")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("runbench: ")

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
	if want["echo"] || want["idle"] || want["deflate"] {
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
	if want["echo"] || want["deflate"] {
		rs := rows()
		if want["echo"] {
			rs = append(rs, row{name: floorRow, lib: lib.Floor})
		}
		servers, err := startServers(bin, rs)
		if err != nil {
			return err
		}
		if want["echo"] {
			res.echo = runEcho(cfg, rep, servers)
		}
		if want["deflate"] {
			res.deflate = runDeflate(cfg, rep, servers)
		}
		stopServers(servers)
	}
	if want["idle"] {
		res.idle = runIdle(cfg, bin, rep)
	}
	rep.targets(res)
	return nil
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
