// Command echo is an iris server that echoes WebSocket messages, with a page
// to try it from a browser: go run ./examples/echo, then open
// http://127.0.0.1:8080.
package main

import (
	"flag"
	"log"

	"github.com/iris-contrib/websocket/examples/echo/echoapp"
	"github.com/kataras/iris/v12"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	app := echoapp.NewApp()
	log.Printf("echo server: open http://%s in a browser, or run go run ./examples/echo/client", *addr)
	if err := app.Listen(*addr, iris.WithoutStartupLog); err != nil {
		log.Fatal(err)
	}
}
