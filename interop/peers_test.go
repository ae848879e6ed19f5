package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The independent implementations the tests talk to, and the child
// processes that run them.

const (
	// peerTimeout bounds every wait for a peer: its start, an answer, an
	// event. It only catches a hang: a 1 MiB message under -race on a busy
	// machine takes seconds.
	peerTimeout = 60 * time.Second
	// setupHint is how to install every peer at once.
	setupHint = "run `bash interop/setup.sh` from the repository root"
)

// runtime is one independent WebSocket implementation with its scripts.
type runtime struct {
	name    string // as the subtests name it
	install string // how to install it, for the skip message
	// splitsUTF8 tells whether the peer can send a text message whose
	// fragments split a UTF-8 sequence (ws sends bytes; websockets sends str).
	splitsUTF8 bool

	once    sync.Once
	exe     string // interpreter
	dir     string // scripts directory
	version string // of the WebSocket package
	missing string // why the runtime cannot run, empty when it can
}

var (
	nodeWS = &runtime{
		name:       "node-ws",
		install:    "apt-get install -y nodejs npm && (cd interop && npm ci), or " + setupHint,
		splitsUTF8: true,
		dir:        "node",
	}
	pythonWebsockets = &runtime{
		name:    "python-websockets",
		install: "apt-get install -y python3-websockets, or " + setupHint,
		dir:     "python",
	}
	allRuntimes = []*runtime{nodeWS, pythonWebsockets}
)

// require skips the test when the runtime is not installed, and fails it
// in CI (CI=true), where interop/setup.sh has installed every peer.
func (rt *runtime) require(t *testing.T) {
	t.Helper()
	rt.once.Do(rt.probe)
	if rt.missing == "" {
		return
	}
	msg := fmt.Sprintf("%s is not installed (%s): %s", rt.name, rt.missing, rt.install)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI must install every peer")
	}
	t.Skip(msg)
}

// probe finds the interpreter and the version of the WebSocket package.
func (rt *runtime) probe() {
	var candidates [][]string
	switch rt {
	case nodeWS:
		candidates = [][]string{{"node", "-e", "process.stdout.write(require('ws/package.json').version)"}}
	case pythonWebsockets:
		// A Python from pyenv or a virtualenv may come first in PATH without
		// Debian's packages; Debian's own interpreter has them.
		check := "import websockets, sys; sys.stdout.write(websockets.__version__)"
		candidates = [][]string{{"python3", "-c", check}, {"/usr/bin/python3", "-c", check}}
	}
	var reasons []string
	for _, c := range candidates {
		exe, err := exec.LookPath(c[0])
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		out, err := exec.CommandContext(ctx, exe, c[1:]...).Output()
		cancel()
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s cannot load the package: %v", exe, err))
			continue
		}
		rt.exe, rt.version = exe, strings.TrimSpace(string(out))
		return
	}
	rt.missing = strings.Join(reasons, "; ")
}

// peer is a running peer process.
type peer struct {
	rt     *runtime
	role   string // "server" or "client"
	events chan map[string]any
	exited chan struct{} // closed when the process closed its stdout
	stderr *lockedBuffer
	port   int // a server's
}

// startPeer runs the runtime's script for role with cfg as its JSON argument.
// The process is killed, if still running, when the test ends.
func startPeer(t *testing.T, rt *runtime, role string, cfg map[string]any) *peer {
	t.Helper()
	rt.require(t)
	arg, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	script := rt.dir + "/" + role + ".js"
	if rt == pythonWebsockets {
		script = rt.dir + "/" + role + ".py"
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, rt.exe, script, string(arg))
	cmd.WaitDelay = 5 * time.Second
	// Leave no __pycache__ in the source tree.
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	p := &peer{rt: rt, role: role, events: make(chan map[string]any, 64), exited: make(chan struct{}), stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s %s: %v", rt.name, role, err)
	}
	go p.scan(stdout)
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			p.logLeftovers(t)
		}
	})
	if role == "server" {
		ev := p.event(t, "listening")
		port, ok := ev["port"].(float64)
		if !ok {
			t.Fatalf("%s server reported no port: %v", rt.name, ev)
		}
		p.port = int(port)
	}
	return p
}

// scan turns the peer's stdout, one JSON object a line, into events.
func (p *peer) scan(stdout interface{ Read([]byte) (int, error) }) {
	defer close(p.exited)
	defer close(p.events)
	s := bufio.NewScanner(stdout)
	for s.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(s.Bytes(), &ev); err != nil {
			ev = map[string]any{"event": "error", "message": "not JSON: " + s.Text()}
		}
		p.events <- ev
	}
}

// event waits for the next event named name; an error event fails the test.
func (p *peer) event(t *testing.T, name string) map[string]any {
	t.Helper()
	timer := time.NewTimer(peerTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				t.Fatalf("%s %s exited before the %q event", p.rt.name, p.role, name)
			}
			if ev["event"] == "error" {
				t.Fatalf("%s %s reported an error waiting for %q: %v", p.rt.name, p.role, name, ev["message"])
			}
			if ev["event"] == name {
				return ev
			}
		case <-timer.C:
			t.Fatalf("%s %s: no %q event within %v", p.rt.name, p.role, name, peerTimeout)
		}
	}
}

// logLeftovers shows what the peer reported that no one read, and its
// stderr, to explain a failure. The process has exited.
func (p *peer) logLeftovers(t *testing.T) {
	for ev := range p.events {
		t.Logf("%s %s event: %v", p.rt.name, p.role, ev)
	}
	if p.stderr.Len() > 0 {
		t.Logf("%s %s stderr:\n%s", p.rt.name, p.role, p.stderr.String())
	}
}

// url is the address of a server peer.
func (p *peer) url() string { return fmt.Sprintf("ws://127.0.0.1:%d/ws", p.port) }

// lockedBuffer is a bytes.Buffer that a process and the test may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
