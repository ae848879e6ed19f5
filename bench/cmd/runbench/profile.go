package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/payload"
	"github.com/iris-contrib/websocket/bench/lib"
)

// profileWarmup is how long the load runs before the profiles start.
const profileWarmup = 500 * time.Millisecond

// profileChunk is the length of each window of load: the load stops at the
// first window end after the profiles are taken.
const profileChunk = 250 * time.Millisecond

// serverProfiles are what the server records while the load runs: its
// execution trace, its CPU profile, and its mutex and block profiles (the
// events of the recording only, net/http/pprof's delta profiles).
var serverProfiles = []struct{ file, path string }{
	{"trace.out", "/debug/pprof/trace"},
	{"cpu.pprof", "/debug/pprof/profile"},
	{"mutex.pprof", "/debug/pprof/mutex"},
	{"block.pprof", "/debug/pprof/block"},
}

// runProfile loads the echo server called name (a lib.ByName name) with the
// deflate echo of the 16 KiB documents on manyDeflateConns connections, the
// cell of the deflate tables, and saves the profiles the server records
// meanwhile into dir.
func runProfile(name, dir string, d time.Duration) error {
	l, ok := lib.ByName(name)
	if !ok {
		return fmt.Errorf("no echo server %q", name)
	}
	tmp, err := os.MkdirTemp("", "runbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if dir == "" {
		if dir, err = os.MkdirTemp("", "runbench-profile-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin, err := buildEchoServer(tmp)
	if err != nil {
		return err
	}
	s, err := startServer(bin, row{name: name, lib: l}, "-pprof")
	if err != nil {
		return err
	}
	defer s.stop()
	cell := deflateCells(1)[1]
	m, err := prepareMessages(payload.Documents(documentCount))
	if err != nil {
		return err
	}
	conns, err := dialDeflate(s, cell.mode, cell.conns)
	if err != nil {
		return err
	}
	defer closeDeflate(conns)
	if run, _ := deflateWindow(cell, m, conns, 0, documentWarmup); run.err != nil {
		return run.err
	}

	var stop atomic.Bool
	var messages int
	loadErr := make(chan error, 1)
	before, err := s.stats(false)
	if err != nil {
		return err
	}
	start := time.Now()
	go func() {
		for !stop.Load() {
			run, _ := deflateWindow(cell, m, conns, profileChunk, 0)
			messages += run.messages
			if run.err != nil {
				loadErr <- run.err
				return
			}
		}
		loadErr <- nil
	}()
	time.Sleep(profileWarmup)
	seconds := max(1, int(d/time.Second))
	errs := make([]error, len(serverProfiles))
	var wg sync.WaitGroup
	for i, p := range serverProfiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.saveProfile(fmt.Sprintf("%s?seconds=%d", p.path, seconds), filepath.Join(dir, p.file))
		}()
	}
	wg.Wait()
	stop.Store(true)
	err = <-loadErr
	elapsed := time.Since(start)
	after, statsErr := s.stats(false)
	for _, e := range append(errs, err, statsErr) {
		if e != nil {
			return e
		}
	}
	u := s.spent(before, after, max(1, messages))
	log.Printf("%s, %s: %.0f msg/s (%.1f MB/s), server CPU %s µs/msg, %s reads/msg, profiled for %d s (the profilers' own cost included)",
		name, cell, float64(messages)/elapsed.Seconds(), float64(messages)*float64(payload.DocumentSize)/elapsed.Seconds()/1e6,
		micros(u.cpu), num(u.reads), seconds)
	log.Printf("wrote %s: go tool trace %s; go tool pprof -top %s", dir, filepath.Join(dir, "trace.out"), filepath.Join(dir, "mutex.pprof"))
	return nil
}

// saveProfile writes what the server answers at path to file.
func (s *server) saveProfile(path, file string) error {
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Get("http://" + s.addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s answered %s", s.row.name, path, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
