package websocket

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kataras/iris/v12"
)

// Tests of how a Server's connections end when the app shuts down: through
// the app's Shutdown, the Server's own Shutdown, and iris's interrupt
// handling in a child process.

// runningIrisApp is an iris app run as programs run one, with app.Run on a
// listener of its own, so that app.Shutdown shuts down a real host.
type runningIrisApp struct {
	app   *iris.Application
	wsURL string
	ran   chan error // what app.Run returned
}

func runIrisApp(t *testing.T, configure func(app *iris.Application)) *runningIrisApp {
	t.Helper()
	app := iris.New()
	previousLevel := app.Logger().Level
	t.Cleanup(func() { app.Logger().Level = previousLevel })
	app.Logger().SetLevel("disable")
	configure(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &runningIrisApp{app: app, wsURL: "ws://" + ln.Addr().String(), ran: make(chan error, 1)}
	go func() { a.ran <- app.Run(iris.Listener(ln), iris.WithoutStartupLog, iris.WithoutInterruptHandler) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		app.Shutdown(ctx)
	})
	return a
}

// TestIrisAppShutdown shuts an app down with 200 WebSockets open: every
// client gets 1001, and app.Shutdown returns only after every Handler has
// returned, work after its read loop included.
func TestIrisAppShutdown(t *testing.T) {
	const n = 200
	var returned atomic.Int64
	srv := New(func(c *Conn) {
		echo(c)
		time.Sleep(20 * time.Millisecond) // work after the read loop, which Shutdown waits for
		returned.Add(1)
	})
	a := runIrisApp(t, func(app *iris.Application) { app.Get("/ws", srv.Serve) })
	clients := make([]*shutdownClient, n)
	for i := range clients {
		clients[i] = dialShutdownClient(t, a.wsURL+"/ws")
		clients[i].read()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	if err := a.app.Shutdown(ctx); err != nil {
		t.Fatalf("app.Shutdown: %v", err)
	}
	if got := returned.Load(); got != n {
		t.Errorf("%d of %d Handlers had returned when app.Shutdown returned", got, n)
	}
	deadline := time.After(testTimeout) // one bound for all, so a failure is quick to see
	for i, sc := range clients {
		select {
		case err := <-sc.end:
			if !IsCloseError(err, CloseGoingAway) {
				t.Errorf("client %d: read ended with %v, want close 1001", i, err)
			}
		case <-deadline:
			t.Fatalf("client %d and after: the read did not end", i)
		}
	}
	select {
	case err := <-a.ran:
		if !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("app.Run returned %v, want ErrServerClosed", err)
		}
	case <-time.After(testTimeout):
		t.Error("app.Run did not return after app.Shutdown")
	}
	if _, _, err := (&Dialer{HandshakeTimeout: testTimeout}).Dial(a.wsURL+"/ws", nil); err == nil {
		t.Error("a connection was accepted after app.Shutdown")
	}
}

// TestIrisServerShutdown shuts one Server down by itself: its clients get
// 1001 while another Server of the same app keeps serving, and the Server
// answers new handshakes with 503.
func TestIrisServerShutdown(t *testing.T) {
	var returned atomic.Int64
	handler := func(c *Conn) {
		defer returned.Add(1)
		echo(c)
	}
	stopped, kept := New(handler), New(handler)
	app := startIrisApp(t, func(app *iris.Application) {
		app.Get("/stopped", stopped.Serve)
		app.Get("/kept", kept.Serve)
	})
	clients := make([]*shutdownClient, 3)
	for i := range clients {
		clients[i] = dialShutdownClient(t, app.wsBase+"/stopped")
		clients[i].read()
	}
	other := dial(t, nil, app.wsBase+"/kept")
	defer other.Close()

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := stopped.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := returned.Load(); got != 3 {
		t.Errorf("%d of 3 Handlers had returned when Shutdown returned", got)
	}
	for _, sc := range clients {
		sc.wantGoingAway(t)
	}
	exchangeOnce(t, other, "still served")

	_, resp, err := (&Dialer{HandshakeTimeout: testTimeout}).Dial(app.wsBase+"/stopped", nil)
	if err != ErrBadHandshake || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Errorf("a handshake after Shutdown: %v, status %d; want ErrBadHandshake, 503", err, status)
	}
}

// TestIrisHostWatchEnds checks that a host's watch over its WebSockets, a
// Serve call on a listener of the package's, ends with the host's last
// WebSocket, so that nothing stays behind in a program that closes its
// servers some other way (httptest.Server.Close, for one).
func TestIrisHostWatchEnds(t *testing.T) {
	app := startIrisApp(t, func(app *iris.Application) { app.Get("/ws", New(echo).Serve) })
	var conns []*Conn
	for range 3 {
		c := dial(t, nil, app.wsBase+"/ws")
		exchangeOnce(t, c, "hello")
		conns = append(conns, c)
	}
	if n := watchedHosts(); n != 1 {
		t.Errorf("%d hosts watched with 3 WebSockets open on one, want 1", n)
	}
	if !waitFor(func() bool { return strings.Contains(goroutines(), "(*hostListener).Accept") }) {
		t.Error("no goroutine serves the host's listener")
	}
	for _, c := range conns {
		c.WriteControl(CloseMessage, FormatCloseMessage(CloseNormalClosure, ""), time.Now().Add(testTimeout))
		c.SetReadDeadline(time.Now().Add(testTimeout))
		c.ReadMessage()
		c.Close()
	}
	if !waitFor(func() bool { return watchedHosts() == 0 && !strings.Contains(goroutines(), "(*hostListener).Accept") }) {
		t.Errorf("after the last WebSocket: %d hosts watched; goroutines:\n%s", watchedHosts(), goroutines())
	}
}

func watchedHosts() int {
	hostsMu.Lock()
	defer hostsMu.Unlock()
	return len(hosts)
}

func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// interruptChildEnv makes the test binary run the iris program of
// TestIrisInterrupt instead of the tests.
const interruptChildEnv = "WEBSOCKET_TEST_INTERRUPT_CHILD"

// TestIrisInterrupt sends SIGINT to an iris program that runs with iris's
// own interrupt handling and a WebSocket open: the client gets 1001, the
// Handler finishes, and the program ends cleanly.
func TestIrisInterrupt(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), interruptChildEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var output strings.Builder
	var outputMu sync.Mutex
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			outputMu.Lock()
			output.WriteString(line + "\n")
			outputMu.Unlock()
			if a, ok := strings.CutPrefix(line, "listening on "); ok {
				addr <- a
			}
		}
		exited <- cmd.Wait()
	}()
	childOutput := func() string {
		outputMu.Lock()
		defer outputMu.Unlock()
		return output.String()
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()

	var wsURL string
	select {
	case a := <-addr:
		wsURL = "ws://" + a + "/ws"
	case <-time.After(2 * testTimeout):
		t.Fatalf("the child did not start; output:\n%s", childOutput())
	}
	sc := dialShutdownClient(t, wsURL)
	sc.read()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	sc.wantGoingAway(t)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the child ended with %v; output:\n%s", err, childOutput())
		}
	case <-time.After(2 * testTimeout):
		t.Fatalf("the child did not end after SIGINT; output:\n%s", childOutput())
	}
	out := childOutput()
	handlerDone := strings.Index(out, "handler returned")
	runDone := strings.Index(out, "app.Run returned")
	if handlerDone < 0 || runDone < 0 || handlerDone > runDone {
		t.Errorf("the Handler did not return before app.Run; output:\n%s", out)
	}
}

func init() {
	if os.Getenv(interruptChildEnv) == "1" {
		os.Exit(runInterruptChild())
	}
}

// runInterruptChild is the main function of the iris program of
// TestIrisInterrupt, run with iris's own interrupt handling.
func runInterruptChild() int {
	app := iris.New()
	app.Logger().SetLevel("disable")
	app.Get("/ws", New(func(c *Conn) {
		echo(c)
		time.Sleep(20 * time.Millisecond) // work after the read loop
		fmt.Println("handler returned")
	}).Serve)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return 2
	}
	fmt.Println("listening on " + ln.Addr().String())
	err = app.Run(iris.Listener(ln), iris.WithoutStartupLog)
	fmt.Printf("app.Run returned %v\n", err)
	if err != nil {
		return 1
	}
	return 0
}
