// Package echoapp is the iris application of the echo example: a page at /
// to try it from a browser and a WebSocket endpoint at /echo that sends every
// message back.
//
// It is a package of its own, rather than part of the command, so that tests
// in other modules (the browser tests of interop/) can start the same app.
package echoapp

import (
	_ "embed"
	"log"

	"github.com/iris-contrib/websocket"
	"github.com/kataras/iris/v12"
)

//go:embed index.html
var indexPage []byte

// NewApp returns the iris application: the page at / and the echo at /echo,
// which negotiates permessage-deflate when the client offers it.
func NewApp() *iris.Application {
	app := iris.New()
	app.Get("/", func(ctx iris.Context) {
		ctx.ContentType("text/html; charset=utf-8")
		ctx.Write(indexPage)
	})
	srv := websocket.New(echo)
	srv.EnableCompression = true
	app.Get("/echo", srv.Serve)
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
