package lib

import (
	"net"
	"net/http"

	"github.com/gorilla/websocket"
)

// gorillaLib is github.com/gorilla/websocket v1.5.3, the reference of every
// ratio.
type gorillaLib struct{}

func (gorillaLib) Name() string { return "gorilla" }

func (gorillaLib) DialWriter(conn net.Conn) (WriteFunc, error) {
	d := websocket.Dialer{NetDialContext: connDialer(conn)}
	c, _, err := d.Dial(benchURL, nil)
	if err != nil {
		return nil, err
	}
	return func(p []byte) error { return c.WriteMessage(websocket.BinaryMessage, p) }, nil
}

func (gorillaLib) EchoHandler(mode *DeflateMode) http.Handler {
	u := websocket.Upgrader{}
	if mode != nil {
		u.EnableCompression = true // no context takeover, window 15: all it supports
	}
	return gorillaEchoHandler(&u, false)
}

func (gorillaLib) DetachedEchoHandler() http.Handler {
	return gorillaEchoHandler(&websocket.Upgrader{}, true)
}

// gorillaEchoHandler upgrades with u and runs the echo loop, on a goroutine of
// its own when detach is true.
func gorillaEchoHandler(u *websocket.Upgrader, detach bool) http.Handler {
	upgrade := func(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) { return u.Upgrade(w, r, nil) }
	return echoHandler(upgrade, gorillaEcho, detach)
}

// gorillaEcho sends back every message until the connection fails.
func gorillaEcho(c *websocket.Conn) {
	defer c.Close()
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

func (gorillaLib) DeflateModes() []DeflateMode {
	return []DeflateMode{NoTakeover15}
}
