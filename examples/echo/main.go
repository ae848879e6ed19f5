// Command echo is an iris server that echoes WebSocket messages, with a page
// to try it from a browser: go run ./examples/echo, then open
// http://127.0.0.1:8080.
package main

import (
	_ "embed"
	"flag"
	"log"

	"github.com/iris-contrib/websocket"
	"github.com/kataras/iris/v12"
)

//go:embed index.html
var indexPage []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	app := newApp()
	log.Printf("echo server: open http://%s in a browser, or run go run ./examples/echo/client", *addr)
	if err := app.Listen(*addr, iris.WithoutStartupLog); err != nil {
		log.Fatal(err)
	}
}

// newApp returns the iris application: the page at / and the echo at /echo.
func newApp() *iris.Application {
	app := iris.New()
	app.Get("/", func(ctx iris.Context) {
		ctx.ContentType("text/html; charset=utf-8")
		ctx.Write(indexPage)
	})
	app.Get("/echo", websocket.New(echo).Serve)
	return app
}

// echo sends every message back to its sender until the connection ends.
func echo(c *websocket.Conn) {
	for {
		messageType, p, err := c.ReadMessage()
		if err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				log.Printf("echo: %s: %v", c.RemoteAddr(), err)
			}
			return
		}
		if err := c.WriteMessage(messageType, p); err != nil {
			log.Printf("echo: %s: %v", c.RemoteAddr(), err)
			return
		}
	}
}
