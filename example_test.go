package websocket_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/iris-contrib/websocket"
	"github.com/kataras/iris/v12"
)

// echoMessages is the handler of the examples: it sends every message back.
func echoMessages(c *websocket.Conn) {
	for {
		messageType, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(messageType, p); err != nil {
			return
		}
	}
}

// askEcho sends msg to the echo server at url and returns the answer.
func askEcho(url, msg string) string {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		log.Fatal(err)
	}
	_, p, err := c.ReadMessage()
	if err != nil {
		log.Fatal(err)
	}
	return string(p)
}

// An iris application serves WebSockets with New(handler).Serve.
func ExampleNew() {
	app := iris.New()
	app.Get("/echo", websocket.New(echoMessages).Serve)
	if err := app.Build(); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()

	fmt.Println(askEcho("ws"+strings.TrimPrefix(srv.URL, "http")+"/echo", "hello from iris"))
	// Output: hello from iris
}

// A net/http handler upgrades its request with an Upgrader.
func ExampleUpgrader() {
	upgrader := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered with an HTTP error already
		}
		defer c.Close()
		echoMessages(c)
	}))
	defer srv.Close()

	fmt.Println(askEcho("ws"+strings.TrimPrefix(srv.URL, "http"), "hello from net/http"))
	// Output: hello from net/http
}
