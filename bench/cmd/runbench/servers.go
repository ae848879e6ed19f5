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

// server is an echo server process, one library's.
type server struct {
	row  row
	cmd  *exec.Cmd
	addr string // host:port on 127.0.0.1
	http *http.Client
}

// startServer starts bin for r's library and waits for its address.
func startServer(bin string, r row) (*server, error) {
	cmd := exec.Command(bin, "-lib", r.baseName(), "-addr", "127.0.0.1:0", "-lifetime", serverLifetime.String())
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
	return s, nil
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
