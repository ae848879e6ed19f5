package lib

import (
	"net"
	"net/http"

	websocket "github.com/iris-contrib/websocket"
	"github.com/kataras/iris/v12"
)

// irisLib is this library, used through its gorilla-compatible net/http API
// (the iris Server shares the same handshake and Conn). Its echo handler is
// the drop-in: ReadMessage and WriteMessage, as a gorilla program reads and
// writes, unchanged.
type irisLib struct{}

func (irisLib) Name() string { return "iris-contrib" }

func (irisLib) DialWriter(conn net.Conn) (WriteFunc, error) {
	d := websocket.Dialer{NetDialContext: connDialer(conn)}
	c, _, err := d.Dial(benchURL, nil)
	if err != nil {
		return nil, err
	}
	return func(p []byte) error { return c.WriteMessage(websocket.BinaryMessage, p) }, nil
}

// irisCompression is mode as this library's options.
func irisCompression(mode DeflateMode) *websocket.CompressionOptions {
	return &websocket.CompressionOptions{
		ServerContextTakeover: mode.ContextTakeover,
		ClientContextTakeover: mode.ContextTakeover,
	}
}

// irisUpgrader is the Upgrader of mode: compression off when mode is nil.
func irisUpgrader(mode *DeflateMode) *websocket.Upgrader {
	u := &websocket.Upgrader{}
	if mode != nil {
		u.EnableCompression = true
		u.Compression = irisCompression(*mode)
	}
	return u
}

func (irisLib) EchoHandler(mode *DeflateMode) http.Handler {
	return irisEchoHandler(irisUpgrader(mode), irisReadMessageEcho, false)
}

func (irisLib) DetachedEchoHandler() http.Handler {
	return irisEchoHandler(irisUpgrader(nil), irisReadMessageEcho, true)
}

// IrisEchoHandler is the drop-in echo as an iris app serves it: one Server,
// routed with its Serve method.
func (irisLib) IrisEchoHandler() http.Handler {
	app := iris.New()
	app.Logger().SetLevel("disable")
	app.Get("/echo-iris", websocket.New(irisReadMessageEcho).Serve)
	if err := app.Build(); err != nil {
		panic(err)
	}
	return app
}

func (irisLib) DeflateModes() []DeflateMode { return []DeflateMode{NoTakeover15, Takeover15} }

// irisEchoHandler upgrades with u and runs echo on the connection, on a
// goroutine of its own when detach is true.
func irisEchoHandler(u *websocket.Upgrader, echo func(*websocket.Conn), detach bool) http.Handler {
	upgrade := func(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) { return u.Upgrade(w, r, nil) }
	return echoHandler(upgrade, echo, detach)
}

// irisReadMessageEcho sends back every message until the connection fails,
// with gorilla's API: ReadMessage returns a new slice for each message.
func irisReadMessageEcho(c *websocket.Conn) {
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

// IrisAppend is this library with the echo loop that reads with
// AppendMessage into one reused buffer, its documented way to read without
// a slice per message (gws's handlers get pooled buffers the same way). It
// is a second server of the same library, not in All: its client is
// irisLib's.
var IrisAppend Library = irisAppendLib{}

type irisAppendLib struct{ irisLib }

func (irisAppendLib) Name() string { return "iris-contrib-append" }

func (irisAppendLib) EchoHandler(mode *DeflateMode) http.Handler {
	return irisEchoHandler(irisUpgrader(mode), irisAppendEcho, false)
}

func (irisAppendLib) DetachedEchoHandler() http.Handler {
	return irisEchoHandler(irisUpgrader(nil), irisAppendEcho, true)
}

// irisAppendEcho sends back every message until the connection fails. It
// reads with AppendMessage into one buffer, grown to the largest message and
// reused.
func irisAppendEcho(c *websocket.Conn) {
	defer c.Close()
	var buf []byte
	for {
		messageType, p, err := c.AppendMessage(buf[:0])
		if err != nil {
			return
		}
		buf = p
		if err := c.WriteMessage(messageType, p); err != nil {
			return
		}
	}
}
