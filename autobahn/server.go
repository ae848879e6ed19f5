// Command autobahn is the echo server that the Autobahn|Testsuite fuzzing
// client drives to judge this package as a WebSocket server:
//
//	go run ./autobahn                  # listens on 127.0.0.1:9001
//	go run ./autobahn -addr :9001 -v   # every interface, logging each connection's end
//
// Each endpoint (see endpoints.go, or GET / on the running server) echoes
// every message through a different part of the API, with permessage-deflate
// enabled. autobahn/README.md has the Docker commands that run the suite.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/iris-contrib/websocket"
	"github.com/iris-contrib/websocket/autobahn/internal/echo"
	"github.com/kataras/iris/v12"
)

// readHeaderTimeout bounds how long a client may take to send its handshake request.
const readHeaderTimeout = 10 * time.Second

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "address to listen on")
	verbose := flag.Bool("v", false, "log how each connection ended")
	flag.Parse()

	logf := func(string, ...any) {}
	if *verbose {
		logf = log.Printf
	}
	handler, err := newHandler(logf)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range endpoints {
		log.Printf("ws://%s%s  %s", *addr, e.path, e.agent)
	}
	srv := &http.Server{Addr: *addr, Handler: handler, ReadHeaderTimeout: readHeaderTimeout}
	log.Fatal(srv.ListenAndServe())
}

// newHandler returns the handler of every endpoint, and at / a list of them.
// logf receives how each connection ended.
func newHandler(logf func(format string, args ...any)) (http.Handler, error) {
	mux := http.NewServeMux()
	app := iris.New()
	app.Logger().SetLevel("disable")
	for _, e := range endpoints {
		serve := func(c *websocket.Conn) { serveEcho(c, e, logf) }
		if e.viaIris {
			srv := &websocket.Server{Upgrader: newUpgrader(e), Handler: serve}
			app.Get(e.path, srv.Serve)
			mux.Handle(e.path, app)
			continue
		}
		u := newUpgrader(e)
		mux.HandleFunc(e.path, func(w http.ResponseWriter, r *http.Request) {
			c, err := u.Upgrade(w, r, nil)
			if err != nil {
				logf("%s: handshake: %v", e.path, err)
				return // Upgrade has answered with the HTTP error
			}
			defer c.Close()
			serve(c)
		})
	}
	if err := app.Build(); err != nil {
		return nil, fmt.Errorf("building the iris application: %w", err)
	}
	mux.HandleFunc("GET /{$}", listEndpoints)
	return mux, nil
}

// newUpgrader returns the handshake options of e: compression on, any origin.
func newUpgrader(e endpoint) websocket.Upgrader {
	return websocket.Upgrader{
		ReadBufferSize:    e.readBufferSize,
		WriteBufferSize:   e.writeBufferSize,
		EnableCompression: true,
		Compression:       e.compression,
		// The suite's client is no browser and the connections carry no
		// cookies or credentials, so the origin check protects nothing.
		CheckOrigin: func(*http.Request) bool { return true },
	}
}

// serveEcho runs the echo loop of e on c; the caller closes c.
func serveEcho(c *websocket.Conn, e endpoint, logf func(format string, args ...any)) {
	c.SetReadLimit(echo.MaxMessageSize)
	err := e.echo(c)
	var closeErr *websocket.CloseError
	if errors.As(err, &closeErr) && closeErr.Code != websocket.CloseAbnormalClosure {
		logf("%s %s: closed by the client: %v", e.path, c.RemoteAddr(), err)
		return
	}
	logf("%s %s: failed: %v", e.path, c.RemoteAddr(), err)
}

// listEndpoints answers GET / with the endpoints and what each exercises.
func listEndpoints(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("Autobahn|Testsuite echo endpoints of github.com/iris-contrib/websocket\n\n")
	for _, e := range endpoints {
		fmt.Fprintf(&b, "ws://%s%s\n    agent %s: %s\n", r.Host, e.path, e.agent, e.description)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, b.String())
}
