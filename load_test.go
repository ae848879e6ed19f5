//go:build unix

package websocket

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The load test holds 10,000 connections against one server on 127.0.0.1.
//
// Its clients run in a child process: this test binary started again with
// fleetEnv set, which init below turns into a client fleet before any test
// runs. Both ends of 10,000 connections need 20,000 descriptors, more than
// the usual hard RLIMIT_NOFILE of a container (20,000 here, and raising a
// hard limit needs CAP_SYS_RESOURCE); split in two processes, each needs
// 10,000. The server process then also holds nothing but the server, so its
// goroutines and its memory (memory_test.go) can be measured alone.

// fleetEnv carries the JSON fleetConfig of a child process.
const fleetEnv = "WEBSOCKET_TEST_FLEET"

// fleetConfig tells a child process what clients to run.
type fleetConfig struct {
	URL         string
	Conns       int
	Messages    int    // messages each connection echoes
	MessageSize int    // bytes of each message
	Compression string // one of the fleetCompression keys
	Parallel    int    // handshakes in flight at once
	Timeout     time.Duration
}

// fleetCompression maps a fleetConfig.Compression to the client's options;
// nil means compression is not offered.
var fleetCompression = map[string]*CompressionOptions{
	"none":                nil,
	"no-context-takeover": {},
	"context-takeover":    {ServerContextTakeover: true, ClientContextTakeover: true},
}

// fleetReport is what a child process prints, one JSON line per phase.
type fleetReport struct {
	Phase      string // "dialed", "echoed" or "closed"
	Conns      int    // connections open after dialing
	OK         int    // echoes that came back equal to what was sent
	Errors     int    // everything else that went wrong in the phase
	FirstError string
	// Compressed counts connections that negotiated permessage-deflate.
	Compressed int
	// Goroutines of the child at its start and after closing everything.
	GoroutinesStart, GoroutinesEnd int
}

func init() {
	if cfg := os.Getenv(fleetEnv); cfg != "" {
		os.Exit(runFleet(cfg))
	}
}

// runFleet is the main function of a child process. It dials, reports
// "dialed", then on each command line from stdin runs a phase and reports it:
// "echo" echoes the messages, "close" runs the close handshake on every
// connection and waits for the fleet's goroutines to end.
func runFleet(configJSON string) int {
	goroutinesStart := runtime.NumGoroutine()
	var cfg fleetConfig
	if err := json.Unmarshal([]byte(configJSON), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fleet config:", err)
		return 2
	}
	if err := raiseFileLimit(uint64(cfg.Conns) + fileLimitMargin); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 2
	}
	out := json.NewEncoder(os.Stdout)
	conns, report := dialFleet(cfg)
	out.Encode(report)
	commands := bufio.NewScanner(os.Stdin)
	for commands.Scan() {
		switch commands.Text() {
		case "echo":
			out.Encode(echoFleet(cfg, conns))
		case "close":
			report := closeFleet(cfg, conns)
			report.GoroutinesStart = goroutinesStart
			report.GoroutinesEnd = waitGoroutines(goroutinesStart, cfg.Timeout)
			out.Encode(report)
			return 0
		}
	}
	return 1 // the parent went away
}

// fleetErrors counts a phase's failures and keeps the first.
type fleetErrors struct {
	mu    sync.Mutex
	n     int
	first error
}

func (e *fleetErrors) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		e.first = err
	}
	e.n++
}

func (e *fleetErrors) fill(r *fleetReport) {
	r.Errors = e.n
	if e.first != nil {
		r.FirstError = e.first.Error()
	}
}

// dialFleet opens cfg.Conns connections, cfg.Parallel handshakes at a time.
func dialFleet(cfg fleetConfig) ([]*Conn, fleetReport) {
	d := &Dialer{
		HandshakeTimeout:  cfg.Timeout,
		EnableCompression: fleetCompression[cfg.Compression] != nil,
		Compression:       fleetCompression[cfg.Compression],
	}
	conns := make([]*Conn, cfg.Conns)
	var next atomic.Int64
	var errs fleetErrors
	var wg sync.WaitGroup
	for range cfg.Parallel {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < cfg.Conns; i = int(next.Add(1) - 1) {
				c, _, err := d.Dial(cfg.URL, nil)
				if err != nil {
					errs.add(fmt.Errorf("dial %d: %w", i, err))
					continue
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	r := fleetReport{Phase: "dialed"}
	for _, c := range conns {
		if c != nil {
			r.Conns++
			if c.compression != nil {
				r.Compressed++
			}
		}
	}
	errs.fill(&r)
	return conns, r
}

// fleetMessage is message j of connection i: its numbers, then filler up to size.
func fleetMessage(i, j, size int) []byte {
	p := fmt.Appendf(make([]byte, 0, size), "conn %d message %d ", i, j)
	for len(p) < size {
		p = append(p, byte('a'+len(p)%26))
	}
	return p
}

// echoFleet has every connection send its messages, one at a time, and
// compare each echo with what it sent.
func echoFleet(cfg fleetConfig, conns []*Conn) fleetReport {
	var ok atomic.Int64
	var errs fleetErrors
	var wg sync.WaitGroup
	for i, c := range conns {
		if c == nil {
			continue
		}
		wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(cfg.Timeout))
			c.SetWriteDeadline(time.Now().Add(cfg.Timeout))
			for j := range cfg.Messages {
				sent := fleetMessage(i, j, cfg.MessageSize)
				if err := c.WriteMessage(TextMessage, sent); err != nil {
					errs.add(fmt.Errorf("conn %d: write %d: %w", i, j, err))
					return
				}
				_, got, err := c.ReadMessage()
				if err != nil {
					errs.add(fmt.Errorf("conn %d: read %d: %w", i, j, err))
					return
				}
				if !bytes.Equal(got, sent) {
					errs.add(fmt.Errorf("conn %d: echo %d is %q, sent %q", i, j, got, sent))
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	r := fleetReport{Phase: "echoed", OK: int(ok.Load())}
	errs.fill(&r)
	return r
}

// closeFleet runs the close handshake on every connection: a close frame
// with 1000, then reading until the server's answer, then Close.
func closeFleet(cfg fleetConfig, conns []*Conn) fleetReport {
	var ok atomic.Int64
	var errs fleetErrors
	var wg sync.WaitGroup
	for i, c := range conns {
		if c == nil {
			continue
		}
		wg.Go(func() {
			defer c.Close()
			deadline := time.Now().Add(cfg.Timeout)
			c.SetReadDeadline(deadline)
			if err := c.WriteControl(CloseMessage, FormatCloseMessage(CloseNormalClosure, ""), deadline); err != nil {
				errs.add(fmt.Errorf("conn %d: close frame: %w", i, err))
				return
			}
			for {
				_, _, err := c.ReadMessage()
				if err == nil {
					continue
				}
				if !IsCloseError(err, CloseNormalClosure) {
					errs.add(fmt.Errorf("conn %d: the close handshake ended with %w", i, err))
					return
				}
				ok.Add(1)
				return
			}
		})
	}
	wg.Wait()
	r := fleetReport{Phase: "closed", OK: int(ok.Load())}
	errs.fill(&r)
	return r
}

// fileLimitMargin is the descriptors a process needs besides its connections.
const fileLimitMargin = 256

// raiseFileLimit raises the soft RLIMIT_NOFILE to at least need, up to the
// hard limit; it fails when the hard limit is lower than need.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max < need {
		// Try the hard limit too: a process with CAP_SYS_RESOURCE may raise it.
		lim.Max = need
	}
	lim.Cur = need
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("RLIMIT_NOFILE cannot be raised to %d: %w", need, err)
	}
	return nil
}

// waitGoroutines waits, at most timeout, until the process has at most want
// goroutines, and returns the number it has.
func waitGoroutines(want int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fleet is the parent's handle on a child process of clients.
type fleet struct {
	t       testing.TB
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	reports chan fleetReport
	stderr  *lockedBuffer
	timeout time.Duration
	once    sync.Once
}

// startFleet starts a child process running cfg and returns its handle
// after it reported the end of its dialing phase, with that report.
func startFleet(t testing.TB, cfg fleetConfig) (*fleet, fleetReport) {
	t.Helper()
	if err := raiseFileLimit(uint64(cfg.Conns) + fileLimitMargin); err != nil {
		t.Skipf("%v: this test holds %d connections; raise the hard limit (ulimit -Hn %d as root) to run it",
			err, cfg.Conns, cfg.Conns+fileLimitMargin)
	}
	configJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t, cmd: exec.Command(exe), reports: make(chan fleetReport), stderr: &lockedBuffer{}, timeout: 2 * cfg.Timeout}
	f.cmd.Env = append(os.Environ(), fleetEnv+"="+string(configJSON))
	f.cmd.Stderr = f.stderr
	if f.stdin, err = f.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)
	go func() {
		defer close(f.reports)
		dec := json.NewDecoder(stdout)
		for {
			var r fleetReport
			if err := dec.Decode(&r); err != nil {
				return
			}
			f.reports <- r
		}
	}()
	return f, f.expect("dialed")
}

// run sends a phase's command to the child and returns its report.
func (f *fleet) run(command, phase string) fleetReport {
	f.t.Helper()
	if _, err := io.WriteString(f.stdin, command+"\n"); err != nil {
		f.t.Fatalf("fleet %s: %v; its stderr:\n%s", command, err, f.stderr.String())
	}
	return f.expect(phase)
}

// expect waits, bounded, for the report of phase.
func (f *fleet) expect(phase string) fleetReport {
	f.t.Helper()
	select {
	case r, ok := <-f.reports:
		if !ok {
			f.t.Fatalf("the fleet exited before %q; its stderr:\n%s", phase, f.stderr.String())
		}
		if r.Phase != phase {
			f.t.Fatalf("the fleet reported %q, want %q", r.Phase, phase)
		}
		return r
	case <-time.After(f.timeout):
		f.t.Fatalf("no %q report from the fleet in %v; its stderr:\n%s", phase, f.timeout, f.stderr.String())
	}
	panic("unreachable")
}

// stop ends the child: it exits by itself after "close"; otherwise closing
// its stdin ends it, and a kill is the last resort.
func (f *fleet) stop() { f.once.Do(f.wait) }

func (f *fleet) wait() {
	f.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- f.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			f.t.Errorf("fleet: %v; its stderr:\n%s", err, f.stderr.String())
		}
	case <-time.After(f.timeout):
		f.cmd.Process.Kill()
		<-done
		f.t.Errorf("the fleet did not exit; killed")
	}
}

// loadServer is an echo server that counts what happens to its connections.
type loadServer struct {
	active, peak, handled, messages atomic.Int64
	errs                            fleetErrors
	// detach runs each connection's handler on a goroutine of its own, so
	// that the HTTP handler returns right after the upgrade.
	detach bool
}

func (s *loadServer) handler(c *Conn) {
	n := s.active.Add(1)
	for peak := s.peak.Load(); n > peak && !s.peak.CompareAndSwap(peak, n); peak = s.peak.Load() {
	}
	defer s.handled.Add(1)
	defer s.active.Add(-1)
	for {
		messageType, p, err := c.ReadMessage()
		if err != nil {
			// The clients end with a close handshake; nothing else may happen.
			if !IsCloseError(err, CloseNormalClosure) {
				s.errs.add(fmt.Errorf("read: %w", err))
			}
			return
		}
		s.messages.Add(1)
		if err := c.WriteMessage(messageType, p); err != nil {
			s.errs.add(fmt.Errorf("write: %w", err))
			return
		}
	}
}

// serveLoad starts s behind u on 127.0.0.1 and returns the server and its ws:// URL.
func serveLoad(s *loadServer, u *Upgrader) (*httptest.Server, string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			s.errs.add(fmt.Errorf("upgrade: %w", err))
			return
		}
		serve := func() {
			defer c.Close()
			s.handler(c)
		}
		if s.detach {
			go serve()
			return
		}
		serve()
	}))
	return srv, httpToWS(srv.URL)
}

func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test holds 10,000 connections; it runs without -short")
	}
	const (
		conns       = 10000
		messages    = 5
		messageSize = 200
	)
	goroutinesStart := runtime.NumGoroutine()
	var s loadServer
	srv, wsURL := serveLoad(&s, &Upgrader{})
	began := time.Now()
	f, dialed := startFleet(t, fleetConfig{
		URL: wsURL, Conns: conns, Messages: messages, MessageSize: messageSize,
		Compression: "none", Parallel: 64, Timeout: 60 * time.Second,
	})
	if dialed.Conns != conns || dialed.Errors != 0 {
		t.Fatalf("dialed %d of %d connections, %d errors, first: %s", dialed.Conns, conns, dialed.Errors, dialed.FirstError)
	}
	if !waitFor(func() bool { return s.active.Load() == conns }) {
		t.Fatalf("the server runs %d handlers, want %d", s.active.Load(), conns)
	}
	dialTime := time.Since(began)

	echoed := f.run("echo", "echoed")
	if echoed.OK != conns*messages || echoed.Errors != 0 {
		t.Errorf("%d of %d echoes came back, %d errors, first: %s", echoed.OK, conns*messages, echoed.Errors, echoed.FirstError)
	}
	echoTime := time.Since(began) - dialTime

	closed := f.run("close", "closed")
	if closed.OK != conns || closed.Errors != 0 {
		t.Errorf("%d of %d close handshakes completed, %d errors, first: %s", closed.OK, conns, closed.Errors, closed.FirstError)
	}
	if closed.GoroutinesEnd > closed.GoroutinesStart {
		t.Errorf("the clients' process has %d goroutines after closing, %d at its start", closed.GoroutinesEnd, closed.GoroutinesStart)
	}
	f.stop()
	if !waitFor(func() bool { return s.handled.Load() == conns }) {
		t.Fatalf("%d of %d handlers returned", s.handled.Load(), conns)
	}
	srv.Close()

	if got := s.peak.Load(); got != conns {
		t.Errorf("at most %d connections were open at once, want %d", got, conns)
	}
	if got := s.messages.Load(); got != conns*messages {
		t.Errorf("the server received %d messages, want %d", got, conns*messages)
	}
	var r fleetReport
	s.errs.fill(&r)
	if r.Errors != 0 {
		t.Errorf("the server had %d unexpected errors, first: %s", r.Errors, r.FirstError)
	}
	if n := waitGoroutines(goroutinesStart, testTimeout); n > goroutinesStart {
		t.Errorf("the server's process has %d goroutines after all closed, %d before", n, goroutinesStart)
	}
	t.Logf("%d connections: dialed in %v, %d echoes in %v, closed in %v",
		conns, dialTime.Round(time.Millisecond), conns*messages, echoTime.Round(time.Millisecond),
		(time.Since(began) - dialTime - echoTime).Round(time.Millisecond))
}
