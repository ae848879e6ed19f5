package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/proc"
	"github.com/iris-contrib/websocket/bench/internal/stats"
)

const (
	// serverStartTimeout bounds the wait for an echo server's address.
	serverStartTimeout = 30 * time.Second
	// serverStopTimeout bounds the wait for an echo server to exit after
	// SIGTERM, before it is killed.
	serverStopTimeout = 5 * time.Second
	// serverLifetime is the -lifetime of every echo server: even a runner
	// that hangs leaves no server behind for long.
	serverLifetime = 30 * time.Minute
)

// overheadReadings is how many pairs of /stats readings measure what one
// costs the server.
const overheadReadings = 5

// server is an echo server process, one library's.
type server struct {
	row  row
	cmd  *exec.Cmd
	addr string // host:port on 127.0.0.1
	http *http.Client
	// overhead is what the server spends between two /stats readings with
	// nothing else to do: the least of overheadReadings pairs, taken out of
	// every sample's figures.
	overhead proc.Stats
}

// startServer starts bin for r's library with the extra flags and waits
// for its address, then measures the cost of its /stats.
func startServer(bin string, r row, extra ...string) (*server, error) {
	args := append([]string{"-lib", r.baseName(), "-addr", "127.0.0.1:0", "-lifetime", serverLifetime.String()}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	// The server dies with the runner, whatever ends the runner.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	s := &server{row: r, cmd: cmd, http: &http.Client{Timeout: 30 * time.Second}}
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
		if !ok {
			s.stop()
			return nil, fmt.Errorf("%s: echo server printed %q", r.name, line)
		}
		s.addr = addr
	case <-time.After(serverStartTimeout):
		s.stop()
		return nil, fmt.Errorf("%s: echo server did not start within %v", r.name, serverStartTimeout)
	}
	if err := s.measureOverhead(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// measureOverhead reads /stats in pairs on the idle server and keeps, for
// each counter, the least that one reading added to the next.
func (s *server) measureOverhead() error {
	for i := range overheadReadings {
		before, err := s.stats(false)
		if err != nil {
			return err
		}
		after, err := s.stats(false)
		if err != nil {
			return err
		}
		d := after.Sub(before)
		if i == 0 {
			s.overhead = d
			continue
		}
		o := &s.overhead
		o.CPUNanos, o.Mallocs, o.TotalAlloc = min(o.CPUNanos, d.CPUNanos), min(o.Mallocs, d.Mallocs), min(o.TotalAlloc, d.TotalAlloc)
		o.ReadCalls, o.WriteCalls = min(o.ReadCalls, d.ReadCalls), min(o.WriteCalls, d.WriteCalls)
	}
	return nil
}

// usage is what a server spent per message during a sample, the cost of
// the /stats readings around it taken out.
type usage struct {
	cpu                          time.Duration // user+system CPU time
	allocs, bytes, reads, writes float64       // heap allocations, bytes allocated, read and write system calls
}

// spent returns the server's spending between readings before and after,
// over n messages.
func (s *server) spent(before, after proc.Stats, n int) usage {
	d := after.Sub(before)
	per := func(x, overhead uint64) float64 {
		if x < overhead {
			return 0
		}
		return float64(x-overhead) / float64(n)
	}
	return usage{
		cpu:    time.Duration(max(0, d.CPUNanos-s.overhead.CPUNanos) / int64(n)),
		allocs: per(d.Mallocs, s.overhead.Mallocs),
		bytes:  per(d.TotalAlloc, s.overhead.TotalAlloc),
		reads:  per(d.ReadCalls, s.overhead.ReadCalls),
		writes: per(d.WriteCalls, s.overhead.WriteCalls),
	}
}

// medianUsage takes the median of each measure of us.
func medianUsage(us []usage) usage {
	return usage{
		cpu:    time.Duration(stats.MedianBy(us, func(u usage) float64 { return float64(u.cpu) })),
		allocs: stats.MedianBy(us, func(u usage) float64 { return u.allocs }),
		bytes:  stats.MedianBy(us, func(u usage) float64 { return u.bytes }),
		reads:  stats.MedianBy(us, func(u usage) float64 { return u.reads }),
		writes: stats.MedianBy(us, func(u usage) float64 { return u.writes }),
	}
}

// startServers starts one server per row.
func startServers(bin string, rs []row) ([]*server, error) {
	var servers []*server
	for _, r := range rs {
		s, err := startServer(bin, r)
		if err != nil {
			stopServers(servers)
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// stats asks the server for its statistics.
func (s *server) stats(gc bool) (proc.Stats, error) {
	url := "http://" + s.addr + "/stats"
	if gc {
		url += "?gc=1"
	}
	var st proc.Stats
	resp, err := s.http.Get(url)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("%s: /stats answered %s", s.row.name, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// stop ends the server: SIGTERM, then SIGKILL if it does not exit in time.
func (s *server) stop() {
	s.http.CloseIdleConnections()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		s.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(serverStopTimeout):
		s.cmd.Process.Kill()
		<-done
	}
}

func stopServers(servers []*server) {
	for _, s := range servers {
		s.stop()
	}
}
