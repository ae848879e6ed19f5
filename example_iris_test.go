package websocket_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/iris-contrib/websocket"
	"github.com/kataras/iris/v12"
)

// serveIris serves app on 127.0.0.1 for an example and returns its ws://
// base URL.
func serveIris(app *iris.Application) (wsBase string, stop func()) {
	if err := app.Build(); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(app)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), srv.Close
}

// firstMessage connects to url and returns the first message the server sends.
func firstMessage(url string) string {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, p, err := c.ReadMessage()
	if err != nil {
		log.Fatal(err)
	}
	return string(p)
}

// Custom sets the read and write buffer sizes; every other handshake option
// is a field of the Server's embedded Upgrader.
func ExampleCustom() {
	srv := websocket.Custom(echoMessages, 1024, 16384)
	srv.EnableCompression = true
	srv.Subprotocols = []string{"echo.v1"}

	app := iris.New()
	app.Get("/echo", srv.Serve)
	base, stop := serveIris(app)
	defer stop()

	fmt.Println(askEcho(base+"/echo", "custom buffers"))
	// Output: custom buffers
}

// DontCheckOrigin lets pages of other sites open the WebSocket. Without it a
// Server accepts only requests without an Origin header or from its own
// host, which keeps other sites from acting with a visitor's cookies.
func ExampleServer_DontCheckOrigin() {
	app := iris.New()
	app.Get("/strict", websocket.New(echoMessages).Serve)
	app.Get("/public", websocket.New(echoMessages).DontCheckOrigin().Serve)
	base, stop := serveIris(app)
	defer stop()

	foreign := http.Header{"Origin": {"https://elsewhere.example"}}
	for _, path := range []string{"/strict", "/public"} {
		c, resp, err := websocket.DefaultDialer.Dial(base+path, foreign)
		if err != nil {
			fmt.Printf("%s: %v (%d)\n", path, err, resp.StatusCode)
			continue
		}
		c.Close()
		fmt.Printf("%s: accepted\n", path)
	}
	// Output:
	// /strict: websocket: bad handshake (403)
	// /public: accepted
}

// IrisContext gives the Handler the request: route parameters, URL query,
// the values middleware set (a session, a user), and the request itself. It
// stays valid for the life of the connection, on any goroutine.
func ExampleConn_IrisContext() {
	srv := websocket.New(func(c *websocket.Conn) {
		ctx := c.IrisContext()
		greeting := fmt.Sprintf("%s joined %s", ctx.Values().GetString("user"), ctx.Params().Get("room"))
		c.WriteMessage(websocket.TextMessage, []byte(greeting))
		echoMessages(c)
	})

	app := iris.New()
	authenticate := func(ctx iris.Context) {
		ctx.Values().Set("user", ctx.URLParamDefault("user", "guest"))
		ctx.Next()
	}
	app.Get("/rooms/{room}", authenticate, srv.Serve)
	base, stop := serveIris(app)
	defer stop()

	fmt.Println(firstMessage(base + "/rooms/lobby?user=ann"))
	// Output: ann joined lobby
}

// Upgrade returns the handshake error and runs the Handler before it
// returns, so a Handler made inside the route may use the route's context.
// Serve is leaner (the Handler runs after the route returns); Upgrade suits
// a route that does more around the connection.
func ExampleServer_Upgrade() {
	app := iris.New()
	app.Get("/echo", func(ctx iris.Context) {
		srv := websocket.New(func(c *websocket.Conn) {
			c.WriteMessage(websocket.TextMessage, []byte("hello "+ctx.URLParam("name")))
		})
		if err := srv.Upgrade(ctx); err != nil {
			ctx.Application().Logger().Warnf("handshake: %v", err) // answered with 400 already
		}
	})
	base, stop := serveIris(app)
	defer stop()

	fmt.Println(firstMessage(base + "/echo?name=bob"))
	// Output: hello bob
}

// An app's Shutdown closes the WebSockets of its Servers with 1001 (going
// away) and waits for their Handlers: no setup is needed. iris's interrupt
// handling (Ctrl-C) does the same.
func ExampleServer_Shutdown() {
	srv := websocket.New(func(c *websocket.Conn) {
		echoMessages(c) // returns when the client answers the close frame
		fmt.Println("handler returned")
	})
	app := iris.New()
	app.Logger().SetLevel("disable")
	app.Get("/echo", srv.Serve)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go app.Run(iris.Listener(ln), iris.WithoutStartupLog, iris.WithoutInterruptHandler)

	c, _, err := websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/echo", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	closed := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage()
		closed <- err
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("app.Shutdown returned")
	fmt.Println("the client read:", <-closed)
	// Output:
	// handler returned
	// app.Shutdown returned
	// the client read: websocket: close 1001 (going away): server shutting down
}
