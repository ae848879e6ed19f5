package lib

import (
	"errors"
	"net"
	"net/http"

	"github.com/lxzan/gws"
)

// gwsLib is github.com/lxzan/gws: event callbacks, a ReadLoop per connection.
type gwsLib struct{}

// gwsThreshold replaces gws's 512-byte default threshold, under which the
// 200-byte messages would not be compressed.
const gwsThreshold = 128

func (gwsLib) Name() string { return "gws" }

func (gwsLib) DialWriter(conn net.Conn) (WriteFunc, error) {
	c, _, err := gws.NewClientFromConn(&gws.BuiltinEventHandler{}, &gws.ClientOption{Addr: benchURL}, conn)
	if err != nil {
		return nil, err
	}
	return func(p []byte) error { return c.WriteMessage(gws.OpcodeBinary, p) }, nil
}

// gwsDeflate is mode as gws's options.
func gwsDeflate(mode *DeflateMode) gws.PermessageDeflate {
	if mode == nil {
		return gws.PermessageDeflate{}
	}
	return gws.PermessageDeflate{
		Enabled:               true,
		Threshold:             gwsThreshold,
		ServerContextTakeover: mode.ContextTakeover,
		ClientContextTakeover: mode.ContextTakeover,
		ServerMaxWindowBits:   mode.WindowBits,
		ClientMaxWindowBits:   mode.WindowBits,
	}
}

// gwsEcho sends back each message from gws's read loop.
type gwsEcho struct{ gws.BuiltinEventHandler }

func (gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	_ = c.WriteMessage(m.Opcode, m.Bytes())
}

func (gwsLib) EchoHandler(mode *DeflateMode) http.Handler {
	u := gws.NewUpgrader(gwsEcho{}, &gws.ServerOption{PermessageDeflate: gwsDeflate(mode)})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Upgrade(w, r)
		if err != nil {
			return
		}
		// As gws's documentation does: the read loop in a goroutine of its
		// own, the HTTP handler returns.
		go c.ReadLoop()
	})
}

func (gwsLib) DeflateModes() []DeflateMode {
	return []DeflateMode{NoTakeover15, NoTakeover9, Takeover15, Takeover9}
}

// gwsDialer adapts a DialFunc to gws.Dialer.
type gwsDialer DialFunc

func (d gwsDialer) Dial(network, addr string) (net.Conn, error) {
	ctx, cancel := dialContext()
	defer cancel()
	return d(ctx, network, addr)
}

func (gwsLib) DialDeflate(url string, mode DeflateMode, dial DialFunc) (MessageConn, error) {
	received := &gwsReceiver{messages: make(chan []byte, 1), done: make(chan struct{})}
	c, resp, err := gws.NewClient(received, &gws.ClientOption{
		Addr:              url,
		PermessageDeflate: gwsDeflate(&mode),
		NewDialer:         func() (gws.Dialer, error) { return gwsDialer(dial), nil },
	})
	if err != nil {
		return nil, err
	}
	if err := checkDeflate(resp.Header.Get("Sec-WebSocket-Extensions")); err != nil {
		c.NetConn().Close()
		return nil, err
	}
	go c.ReadLoop()
	return &gwsConn{c: c, r: received}, nil
}

// gwsReceiver hands the messages of gws's read loop to Receive.
type gwsReceiver struct {
	gws.BuiltinEventHandler
	messages chan []byte
	done     chan struct{}
}

func (r *gwsReceiver) OnMessage(_ *gws.Conn, m *gws.Message) {
	// The message's buffer goes back to gws's pool on Close: copy it.
	p := append([]byte(nil), m.Bytes()...)
	m.Close()
	select {
	case r.messages <- p:
	case <-r.done:
	}
}

func (r *gwsReceiver) OnClose(*gws.Conn, error) { close(r.done) }

type gwsConn struct {
	c *gws.Conn
	r *gwsReceiver
}

func (c *gwsConn) Send(p []byte) error { return c.c.WriteMessage(gws.OpcodeText, p) }

func (c *gwsConn) Receive() ([]byte, error) {
	select {
	case p := <-c.r.messages:
		return p, nil
	case <-c.r.done:
		return nil, errors.New("gws: connection closed")
	}
}

func (c *gwsConn) Close() error { return c.c.NetConn().Close() }
