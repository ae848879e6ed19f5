package lib

import (
	"net"
	"net/http"

	websocket "github.com/iris-contrib/websocket"
)

// irisLib is this library, used through its gorilla-compatible net/http API
// (the iris Server shares the same handshake and Conn).
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
		ServerMaxWindowBits:   mode.WindowBits,
		ClientMaxWindowBits:   mode.WindowBits,
	}
}

func (irisLib) EchoHandler(mode *DeflateMode) http.Handler {
	u := websocket.Upgrader{}
	if mode != nil {
		u.EnableCompression = true
		u.Compression = irisCompression(*mode)
	}
	return irisEchoHandler(&u, false)
}

func (irisLib) DetachedEchoHandler() http.Handler {
	return irisEchoHandler(&websocket.Upgrader{}, true)
}

// irisEchoHandler upgrades with u and runs the echo loop, on a goroutine of
// its own when detach is true.
func irisEchoHandler(u *websocket.Upgrader, detach bool) http.Handler {
	upgrade := func(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) { return u.Upgrade(w, r, nil) }
	return echoHandler(upgrade, irisEcho, detach)
}

// irisEcho sends back every message until the connection fails. It reads
// with AppendMessage into one reused buffer: this library's way to read
// without allocating a slice per message, as ReadMessage must.
func irisEcho(c *websocket.Conn) {
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

func (irisLib) DeflateModes() []DeflateMode {
	return []DeflateMode{NoTakeover15, NoTakeover9, Takeover15, Takeover9}
}

func (irisLib) DialDeflate(url string, mode DeflateMode, dial DialFunc) (MessageConn, error) {
	d := websocket.Dialer{
		NetDialContext:    dial,
		EnableCompression: true,
		Compression:       irisCompression(mode),
	}
	ctx, cancel := dialContext()
	defer cancel()
	c, resp, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	if err := checkDeflate(resp.Header.Get("Sec-WebSocket-Extensions")); err != nil {
		c.Close()
		return nil, err
	}
	return &irisConn{c: c}, nil
}

// irisConn receives each message into the buffer of the one before.
type irisConn struct {
	c   *websocket.Conn
	buf []byte
}

func (c *irisConn) Send(p []byte) error { return c.c.WriteMessage(websocket.TextMessage, p) }

func (c *irisConn) Receive() ([]byte, error) {
	_, p, err := c.c.AppendMessage(c.buf[:0])
	c.buf = p
	return p, err
}

func (c *irisConn) Close() error { return c.c.Close() }
