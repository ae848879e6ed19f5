package websocket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kataras/iris/v12"
	"github.com/kataras/iris/v12/middleware/accesslog"
	"github.com/kataras/iris/v12/middleware/cors"
	"github.com/kataras/iris/v12/middleware/recover"
	"github.com/kataras/iris/v12/middleware/requestid"
	"github.com/kataras/iris/v12/sessions"
)

// Tests of a Server inside iris apps set up as users set them up: sessions,
// CORS, request ids, compression, the recover and access log middlewares,
// done handlers.

// TestIrisResponseHeaders checks that the 101 carries what middleware and
// the route set on the iris response, without the headers that describe a
// body, and that the Handler sees the session and the request id.
func TestIrisResponseHeaders(t *testing.T) {
	sess := sessions.New(sessions.Config{Cookie: "sid"})
	srv := New(func(c *Conn) {
		ctx := c.IrisContext()
		reply := sessions.Get(ctx).GetString("user") + " " + requestid.Get(ctx)
		c.WriteMessage(TextMessage, []byte(reply))
		echo(c)
	})
	app := startIrisApp(t, func(app *iris.Application) {
		app.UseRouter(requestid.New(func(iris.Context) string { return "req-1" }))
		app.UseRouter(cors.New().AllowOrigin("*").Handler())
		app.Use(func(ctx iris.Context) {
			ctx.Header("X-Request-Id", requestid.Get(ctx))
			ctx.Header("X-Overridden", "middleware")
			ctx.Next()
		})
		app.Use(iris.Compression)
		app.Use(sess.Handler())
		app.Get("/ws", func(ctx iris.Context) {
			sessions.Get(ctx).Set("user", "ann")
			ctx.ResponseWriter().Header().Set("X-Overridden", "route") // the route's own value wins
			ctx.ContentType("application/json")
			srv.Serve(ctx)
		})
	})
	header := http.Header{"Accept-Encoding": {"gzip"}, "Origin": {app.httpBase}}
	c, resp, err := (&Dialer{HandshakeTimeout: testTimeout}).Dial(app.wsBase+"/ws", header)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()

	want := map[string]string{
		"X-Request-Id": "req-1",
		"X-Overridden": "route",
	}
	for name, value := range want {
		if got := resp.Header.Get(name); got != value {
			t.Errorf("101 %s = %q, want %q", name, got, value)
		}
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got == "" {
		t.Error("101 has no Access-Control-Allow-Origin from the CORS middleware")
	}
	if cookie := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(cookie, "sid=") {
		t.Errorf("101 Set-Cookie = %q, want the new session's sid cookie", cookie)
	}
	for _, name := range []string{"Content-Encoding", "Content-Type", "Content-Length", "Vary", "Transfer-Encoding"} {
		if got := resp.Header.Values(name); len(got) > 0 {
			t.Errorf("101 has %s: %q", name, got)
		}
	}
	c.SetReadDeadline(time.Now().Add(testTimeout))
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "ann req-1" {
		t.Errorf("the Handler saw %q, %v; want the session's user and the request id", p, err)
	}
	checkEcho(t, c, "after the headers")
}

// TestIrisContextOutlivesHandler is the pump pattern: the Handler hands its
// connection to another goroutine and returns. That goroutine reads the
// request through IrisContext after iris has served other requests with
// its pooled contexts; it must still see its own request.
func TestIrisContextOutlivesHandler(t *testing.T) {
	for _, path := range []string{"serve", "upgrade"} {
		t.Run(path, func(t *testing.T) {
			kept := make(chan *Conn, 1)
			srv := New(func(c *Conn) { kept <- c })
			app := startIrisApp(t, func(app *iris.Application) {
				app.Use(func(ctx iris.Context) {
					ctx.Values().Set("user", ctx.URLParam("user"))
					ctx.Next()
				})
				app.Get("/ws/{room}", func(ctx iris.Context) {
					if path == "serve" {
						srv.Serve(ctx)
					} else {
						srv.Upgrade(ctx)
					}
				})
				app.Get("/other/{room}", func(ctx iris.Context) {
					ctx.WriteString(ctx.Values().GetString("user"))
				})
			})
			c := dial(t, nil, app.wsBase+"/ws/lobby?user=alice")
			defer c.Close()
			var conn *Conn
			select {
			case conn = <-kept:
			case <-time.After(testTimeout):
				t.Fatal("the Handler did not run")
			}
			app.waitServed(t, 1)
			client := &http.Client{Timeout: testTimeout}
			for i := range 20 {
				resp, err := client.Get(fmt.Sprintf("%s/other/hall%d?user=bob", app.httpBase, i))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			ctx := conn.IrisContext()
			got := fmt.Sprintf("user=%q room=%q path=%q query=%q",
				ctx.Values().GetString("user"), ctx.Params().Get("room"), ctx.Path(), ctx.URLParam("user"))
			if want := `user="alice" room="lobby" path="/ws/lobby" query="alice"`; got != want {
				t.Errorf("after the Handler returned, IrisContext shows %s; want %s", got, want)
			}
			if err := ctx.Request().Context().Err(); !errors.Is(err, context.Canceled) {
				t.Errorf("the request's context after the Handler returned: %v, want it canceled", err)
			}
		})
	}
}

// TestIrisRequestContextLivesWithConn checks that, through Serve, the
// request's context is not the one net/http cancels once Serve returns:
// it lasts until the Handler returns.
func TestIrisRequestContextLivesWithConn(t *testing.T) {
	errs := make(chan error, 2)
	srv := New(func(c *Conn) {
		ctx := c.IrisContext().Request().Context()
		_, _, err := c.ReadMessage() // the client sends once the route has returned
		errs <- ctx.Err()
		if err == nil {
			c.WriteMessage(TextMessage, []byte("ok"))
		}
	})
	app := startIrisApp(t, func(app *iris.Application) { app.Get("/ws", srv.Serve) })
	c := dial(t, nil, app.wsBase+"/ws")
	defer c.Close()
	app.waitServed(t, 1)
	checkEcho(t, c, "ok")
	if err := <-errs; err != nil {
		t.Errorf("the request's context during the Handler: %v, want it alive", err)
	}
}

// TestIrisPanic checks that a panic in the Handler closes the connection
// with 1011, is logged with its stack by the app's logger, and never
// reaches iris's recover middleware, which would write a 500 on the
// hijacked connection.
func TestIrisPanic(t *testing.T) {
	for _, path := range []string{"serve", "upgrade"} {
		t.Run(path, func(t *testing.T) {
			srv := New(func(c *Conn) {
				if _, _, err := c.ReadMessage(); err == nil {
					panic("handler bug: " + path)
				}
			})
			app := startIrisApp(t, func(app *iris.Application) {
				app.Use(recover.New())
				app.Get("/ws", func(ctx iris.Context) {
					if path == "serve" {
						srv.Serve(ctx)
					} else if err := srv.Upgrade(ctx); err != nil {
						t.Errorf("Upgrade: %v", err)
					}
				})
			})
			c := dial(t, nil, app.wsBase+"/ws")
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(testTimeout))
			if err := c.WriteMessage(TextMessage, []byte("panic now")); err != nil {
				t.Fatal(err)
			}
			_, _, err := c.ReadMessage()
			if !IsCloseError(err, CloseInternalServerErr) {
				t.Errorf("the client's read after the panic = %v, want close 1011", err)
			}
			app.waitServed(t, 1)
			if !waitFor(func() bool { return strings.Contains(app.logs.String(), "handler bug: "+path) }) {
				t.Fatalf("the panic is not in the app's log:\n%s", app.logs.String())
			}
			logs := app.logs.String()
			for _, want := range []string{"websocket: panic in the Handler of GET /ws", "goroutine ", "iris_middleware_test.go"} {
				if !strings.Contains(logs, want) {
					t.Errorf("the log of the panic lacks %q:\n%s", want, logs)
				}
			}
			if strings.Contains(logs, "Recovered from a route's Handler") {
				t.Errorf("iris's recover middleware saw the panic:\n%s", logs)
			}
			app.checkNoHijackComplaints(t)
		})
	}
}

// TestIrisAccessLog checks what the access log records: status 101 for the
// handshake, through Serve right after it, through Upgrade once the
// connection is done, with its lifetime as the latency.
func TestIrisAccessLog(t *testing.T) {
	for _, path := range []string{"serve", "upgrade"} {
		t.Run(path, func(t *testing.T) {
			var logged lockedBuffer
			ac := accesslog.New(&logged)
			ac.Async = false
			t.Cleanup(func() { ac.Close() })
			srv := New(echo)
			app := startIrisApp(t, func(app *iris.Application) {
				app.UseRouter(ac.Handler)
				app.Get("/ws", func(ctx iris.Context) {
					if path == "serve" {
						srv.Serve(ctx)
					} else {
						srv.Upgrade(ctx)
					}
				})
			})
			c := dial(t, nil, app.wsBase+"/ws")
			checkEcho(t, c, "logged")
			if path == "upgrade" {
				time.Sleep(50 * time.Millisecond) // a lifetime the latency must cover
			}
			c.Close()
			app.waitServed(t, 1)
			line := strings.TrimSpace(logged.String())
			if !strings.Contains(line, "|101|") || !strings.Contains(line, "/ws") {
				t.Fatalf("access log = %q, want a line with status 101 for /ws", line)
			}
			if path == "upgrade" {
				fields := strings.Split(line, "|")
				latency, err := time.ParseDuration(fields[1])
				if err != nil || latency < 50*time.Millisecond {
					t.Errorf("latency %q (%v), want the connection's lifetime, at least 50ms", fields[1], err)
				}
			}
			app.checkNoHijackComplaints(t)
		})
	}
}

// TestIrisDoneHandlers checks that Serve hands the chain on after a
// successful handshake, so done handlers run and see status 101, and stops
// it after a failed one.
func TestIrisDoneHandlers(t *testing.T) {
	done := make(chan int, 2)
	app := startIrisApp(t, func(app *iris.Application) {
		app.Done(func(ctx iris.Context) { done <- ctx.GetStatusCode() })
		app.Get("/ws", New(echo).Serve)
	})
	c := dial(t, nil, app.wsBase+"/ws")
	checkEcho(t, c, "done")
	select {
	case code := <-done:
		if code != http.StatusSwitchingProtocols {
			t.Errorf("the done handler saw status %d, want 101", code)
		}
	case <-time.After(testTimeout):
		t.Fatal("the done handler did not run")
	}
	c.Close()

	resp, err := (&http.Client{Timeout: testTimeout}).Get(app.httpBase + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	app.waitServed(t, 2)
	select {
	case code := <-done:
		t.Errorf("the done handler ran after a failed handshake (status %d)", code)
	default:
	}
	app.checkNoHijackComplaints(t)
}

// TestIrisUpgradeHidesUpgrader checks that the embedded Upgrader's Upgrade
// stays reachable and behaves as on an Upgrader.
func TestIrisUpgradeHidesUpgrader(t *testing.T) {
	var srv Server
	app := startIrisApp(t, func(app *iris.Application) {
		app.Get("/ws", func(ctx iris.Context) {
			c, err := srv.Upgrader.Upgrade(ctx.ResponseWriter(), ctx.Request(), nil)
			if err != nil {
				return
			}
			defer c.Close()
			echo(c)
		})
	})
	c := dial(t, nil, app.wsBase+"/ws")
	defer c.Close()
	checkEcho(t, c, "net/http way")
}
