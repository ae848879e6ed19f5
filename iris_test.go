package websocket

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kataras/iris/v12"
)

// Tests of the iris layer (iris.go) inside real iris applications served by
// net/http on 127.0.0.1.

// lockedBuffer is a bytes.Buffer that several goroutines may write.
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

// irisTestApp is an iris application served on 127.0.0.1.
type irisTestApp struct {
	// wsBase is the ws:// URL of the server, without a path.
	wsBase string
	// httpBase is the http:// URL of the server, without a path.
	httpBase string
	// logs collects the iris logger (at debug level) and the net/http
	// server's error log.
	logs *lockedBuffer
	// served receives a value each time the application has completely
	// finished a request, iris's end-of-request work included.
	served chan struct{}
}

// startIrisApp builds an iris application set up by configure and serves it.
func startIrisApp(t *testing.T, configure func(app *iris.Application)) *irisTestApp {
	t.Helper()
	logs := &lockedBuffer{}
	app := iris.New()
	// Every iris logger shares the printer of golog.Default: put its output
	// back when the test ends.
	previousOutput := app.Logger().Printer.Output
	t.Cleanup(func() { app.Logger().SetOutput(previousOutput) })
	app.Logger().SetOutput(logs).SetLevel("debug")
	configure(app)
	if err := app.Build(); err != nil {
		t.Fatalf("iris Build: %v", err)
	}
	served := make(chan struct{}, 128)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.ServeHTTP(w, r)
		served <- struct{}{}
	}))
	srv.Config.ErrorLog = log.New(logs, "net/http: ", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return &irisTestApp{wsBase: httpToWS(srv.URL), httpBase: srv.URL, logs: logs, served: served}
}

// waitServed waits, bounded, until the application finished n requests.
func (a *irisTestApp) waitServed(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-a.served:
		case <-time.After(testTimeout):
			t.Fatal("the iris application did not finish the request")
		}
	}
}

// checkNoHijackComplaints fails the test if the logs mention a write on a
// hijacked connection, or anything else net/http logged.
func (a *irisTestApp) checkNoHijackComplaints(t *testing.T) {
	t.Helper()
	logs := a.logs.String()
	if strings.Contains(logs, "hijack") || strings.Contains(logs, "net/http: ") {
		t.Errorf("logs after the upgrade:\n%s", logs)
	}
}

func TestIrisServeEcho(t *testing.T) {
	app := startIrisApp(t, func(app *iris.Application) {
		app.Get("/ws", New(echo).Serve)
	})
	c := dial(t, nil, app.wsBase+"/ws")
	checkEcho(t, c, "hello iris")
	c.SetReadDeadline(time.Now().Add(testTimeout))
	big := bytes.Repeat([]byte{0xAB}, 100000)
	if err := c.WriteMessage(BinaryMessage, big); err != nil {
		t.Fatal(err)
	}
	if mt, p, err := c.ReadMessage(); err != nil || mt != BinaryMessage || !bytes.Equal(p, big) {
		t.Fatalf("binary echo = %d, %d bytes, %v", mt, len(p), err)
	}
	c.Close()
	app.waitServed(t, 1)
	app.checkNoHijackComplaints(t)
}

func TestIrisBufferSizes(t *testing.T) {
	tests := []struct {
		name   string
		server func(h Handler) *Server
		// wantRead and wantWrite are the sizes of the conn's buffers.
		wantRead, wantWrite int
		// The Upgrader fields.
		wantReadBufferSize, wantWriteBufferSize int
	}{
		{name: "New", server: New, wantRead: defaultBufferSize, wantWrite: defaultBufferSize},
		{name: "Custom", server: func(h Handler) *Server { return Custom(h, 1024, 2048) },
			wantRead: 1024, wantWrite: 2048, wantReadBufferSize: 1024, wantWriteBufferSize: 2048},
		{name: "Custom large", server: func(h Handler) *Server { return Custom(h, 16384, 32768) },
			wantRead: 16384, wantWrite: 32768, wantReadBufferSize: 16384, wantWriteBufferSize: 32768},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type sizes struct{ read, write int }
			got := make(chan sizes, 1)
			srv := tt.server(func(c *Conn) {
				got <- sizes{c.input.size, c.writeBufferSize}
				echo(c)
			})
			if srv.ReadBufferSize != tt.wantReadBufferSize || srv.WriteBufferSize != tt.wantWriteBufferSize {
				t.Errorf("Upgrader buffer sizes = %d/%d, want %d/%d",
					srv.ReadBufferSize, srv.WriteBufferSize, tt.wantReadBufferSize, tt.wantWriteBufferSize)
			}
			if srv.CheckOrigin != nil {
				t.Error("CheckOrigin is set; want the default same-origin check")
			}
			app := startIrisApp(t, func(app *iris.Application) { app.Get("/ws", srv.Serve) })
			c := dial(t, nil, app.wsBase+"/ws")
			select {
			case s := <-got:
				if s.read != tt.wantRead || s.write != tt.wantWrite {
					t.Errorf("conn buffers = %d/%d, want %d/%d", s.read, s.write, tt.wantRead, tt.wantWrite)
				}
			case <-time.After(testTimeout):
				t.Fatal("Handler did not run")
			}
			checkEcho(t, c, strings.Repeat("buffer ", 5000))
		})
	}
}

func TestIrisOriginCheck(t *testing.T) {
	const foreign = "http://evil.example"
	tests := []struct {
		name       string
		server     func() *Server
		origin     func(host string) string
		wantStatus int
	}{
		{name: "default, no origin", server: func() *Server { return New(echo) },
			origin: func(string) string { return "" }, wantStatus: http.StatusSwitchingProtocols},
		{name: "default, same origin", server: func() *Server { return New(echo) },
			origin: func(host string) string { return "http://" + host }, wantStatus: http.StatusSwitchingProtocols},
		{name: "default, foreign origin", server: func() *Server { return New(echo) },
			origin: func(string) string { return foreign }, wantStatus: http.StatusForbidden},
		{name: "Custom keeps the check", server: func() *Server { return Custom(echo, 1024, 1024) },
			origin: func(string) string { return foreign }, wantStatus: http.StatusForbidden},
		{name: "DontCheckOrigin, foreign origin", server: func() *Server { return New(echo).DontCheckOrigin() },
			origin: func(string) string { return foreign }, wantStatus: http.StatusSwitchingProtocols},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.server()
			app := startIrisApp(t, func(app *iris.Application) { app.Get("/ws", srv.Serve) })
			header := http.Header{}
			if o := tt.origin(strings.TrimPrefix(app.httpBase, "http://")); o != "" {
				header.Set("Origin", o)
			}
			c, resp, err := (&Dialer{}).Dial(app.wsBase+"/ws", header)
			if tt.wantStatus == http.StatusSwitchingProtocols {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer c.Close()
				checkEcho(t, c, "origin ok")
				return
			}
			if err != ErrBadHandshake {
				if c != nil {
					c.Close()
				}
				t.Fatalf("Dial error = %v, want ErrBadHandshake", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}

	t.Run("DontCheckOrigin returns its server", func(t *testing.T) {
		srv := New(echo)
		if srv.DontCheckOrigin() != srv {
			t.Error("DontCheckOrigin returned another Server")
		}
		if srv.CheckOrigin == nil || !srv.CheckOrigin(&http.Request{Host: "a", Header: http.Header{"Origin": {foreign}}}) {
			t.Error("CheckOrigin does not accept a foreign origin")
		}
	})
}

func TestIrisUpgradeError(t *testing.T) {
	errs := make(chan error, 1)
	handlerRan := make(chan struct{}, 1)
	srv := New(func(*Conn) { handlerRan <- struct{}{} })
	app := startIrisApp(t, func(app *iris.Application) {
		app.Get("/ws", func(ctx iris.Context) { errs <- srv.Upgrade(ctx) })
	})
	client := &http.Client{Transport: &http.Transport{}, Timeout: testTimeout}
	defer client.CloseIdleConnections()
	resp, err := client.Get(app.httpBase + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400 (body %q)", resp.StatusCode, body)
	}
	select {
	case err := <-errs:
		var he HandshakeError
		if !errors.As(err, &he) || he.Error() != errNoConnectionUpgade {
			t.Errorf("Upgrade error = %v, want HandshakeError %q", err, errNoConnectionUpgade)
		}
	case <-time.After(testTimeout):
		t.Fatal("Upgrade did not return")
	}
	if len(handlerRan) != 0 {
		t.Error("Handler ran after a failed handshake")
	}
}

// TestIrisHandlerLifecycle checks that Upgrade runs the Handler on the
// request's goroutine, returns only after it, and closes the conn.
func TestIrisHandlerLifecycle(t *testing.T) {
	events := make(chan string, 8)
	conns := make(chan *Conn, 1)
	srv := New(func(c *Conn) {
		events <- "handler start"
		conns <- c
		echo1(c)
		events <- "handler end"
	})
	writeAfter := make(chan error, 1)
	app := startIrisApp(t, func(app *iris.Application) {
		app.Get("/ws", func(ctx iris.Context) {
			if err := srv.Upgrade(ctx); err != nil {
				events <- "upgrade failed: " + err.Error()
				return
			}
			events <- "upgrade returned"
			writeAfter <- (<-conns).WriteMessage(TextMessage, []byte("too late"))
		})
	})
	c := dial(t, nil, app.wsBase+"/ws")
	checkEcho(t, c, "once")
	c.SetReadDeadline(time.Now().Add(testTimeout))
	_, p, err := c.ReadMessage()
	var ce *CloseError
	if !errors.As(err, &ce) {
		t.Errorf("read after the Handler returned = %q, %v; want the connection closed", p, err)
	}
	app.waitServed(t, 1)
	var got []string
	for len(events) > 0 {
		got = append(got, <-events)
	}
	if want := []string{"handler start", "handler end", "upgrade returned"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events = %q, want %q", got, want)
	}
	select {
	case err := <-writeAfter:
		if err == nil {
			t.Error("write on the conn after the Handler returned succeeded; want it closed")
		}
	case <-time.After(testTimeout):
		t.Fatal("the route handler did not try the conn after Upgrade")
	}
	app.checkNoHijackComplaints(t)
}

// echo1 echoes one message.
func echo1(c *Conn) {
	mt, p, err := c.ReadMessage()
	if err == nil {
		c.WriteMessage(mt, p)
	}
}

// TestIrisContextDuringHandler reads route parameters and context values
// from inside the Handler. iris pools its contexts, so a context released
// before the Handler returned would show another request's values.
func TestIrisContextDuringHandler(t *testing.T) {
	app := startIrisApp(t, func(app *iris.Application) {
		app.Use(func(ctx iris.Context) {
			ctx.Values().Set("tag", ctx.URLParam("tag"))
			ctx.Next()
		})
		app.Get("/ws/{id}", func(ctx iris.Context) {
			srv := New(func(c *Conn) {
				// Wait for the client, so that all the connections of the
				// concurrent case are open at once.
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				reply := ctx.Params().Get("id") + "/" + ctx.Values().GetString("tag") + "/" + ctx.Path()
				c.WriteMessage(TextMessage, []byte(reply))
				echo(c)
			})
			srv.Upgrade(ctx)
		})
	})
	open := func(t *testing.T, i int) *Conn {
		return dial(t, nil, fmt.Sprintf("%s/ws/%d?tag=t%d", app.wsBase, i, i))
	}
	check := func(i int, c *Conn) error {
		c.SetReadDeadline(time.Now().Add(testTimeout))
		if err := c.WriteMessage(TextMessage, []byte("who am I")); err != nil {
			return err
		}
		_, p, err := c.ReadMessage()
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("%d/t%d//ws/%d", i, i, i); string(p) != want {
			return fmt.Errorf("connection %d sees %q, want %q", i, p, want)
		}
		return nil
	}

	t.Run("sequential", func(t *testing.T) {
		for i := range 50 {
			c := open(t, i)
			if err := check(i, c); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		const n = 20
		conns := make([]*Conn, n)
		for i := range conns {
			conns[i] = open(t, i)
		}
		errs := make(chan error, n)
		for i, c := range conns {
			go func() { errs <- check(i, c) }()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

func TestIrisCompressionMiddleware(t *testing.T) {
	app := startIrisApp(t, func(app *iris.Application) {
		app.Use(iris.Compression)
		app.Get("/ws", New(echo).Serve)
	})
	header := http.Header{"Accept-Encoding": {"gzip"}}
	c, resp, err := (&Dialer{}).Dial(app.wsBase+"/ws", header)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("101 response has Content-Encoding %q", got)
	}
	for _, msg := range []string{"compressed?", strings.Repeat("not compressed ", 2000), "again"} {
		checkEcho(t, c, msg)
	}
	c.Close()
	app.waitServed(t, 1)
	app.checkNoHijackComplaints(t)

	t.Run("failed handshake", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, app.httpBase+"/ws", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		transport := &http.Transport{DisableCompression: true}
		defer transport.CloseIdleConnections()
		resp, err := transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
}

func TestIrisRecorder(t *testing.T) {
	tests := []struct {
		name       string
		middleware []iris.Handler
	}{
		{name: "Record", middleware: []iris.Handler{func(ctx iris.Context) { ctx.Record(); ctx.Next() }}},
		{name: "Record then Compression", middleware: []iris.Handler{
			func(ctx iris.Context) { ctx.Record(); ctx.Next() }, iris.Compression}},
		{name: "Compression then Record", middleware: []iris.Handler{
			iris.Compression, func(ctx iris.Context) { ctx.Record(); ctx.Next() }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := startIrisApp(t, func(app *iris.Application) {
				app.Use(tt.middleware...)
				app.Get("/ws", New(echo).Serve)
			})
			c, resp, err := (&Dialer{}).Dial(app.wsBase+"/ws", http.Header{"Accept-Encoding": {"gzip"}})
			if err != nil {
				status := 0
				if resp != nil {
					status = resp.StatusCode
				}
				t.Fatalf("Dial: %v (status %d); logs:\n%s", err, status, app.logs.String())
			}
			checkEcho(t, c, "recorded")
			c.Close()
			app.waitServed(t, 1)
			app.checkNoHijackComplaints(t)
		})
	}
}

func TestIrisSubprotocols(t *testing.T) {
	got := make(chan string, 1)
	srv := New(func(c *Conn) {
		got <- c.Subprotocol()
		echo(c)
	})
	srv.Subprotocols = []string{"v2.chat", "v1.chat"}
	app := startIrisApp(t, func(app *iris.Application) { app.Get("/ws", srv.Serve) })
	c := dial(t, &Dialer{Subprotocols: []string{"v1.chat", "v2.chat"}}, app.wsBase+"/ws")
	if c.Subprotocol() != "v2.chat" {
		t.Errorf("client Subprotocol() = %q, want v2.chat", c.Subprotocol())
	}
	select {
	case s := <-got:
		if s != "v2.chat" {
			t.Errorf("server Subprotocol() = %q, want v2.chat", s)
		}
	case <-time.After(testTimeout):
		t.Fatal("Handler did not run")
	}
	checkEcho(t, c, "chat")
}
