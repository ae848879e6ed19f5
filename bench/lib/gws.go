package lib

import (
	"net"
	"net/http"

	"github.com/lxzan/gws"
)

// gwsLib is github.com/lxzan/gws: event callbacks, a ReadLoop per connection.
type gwsLib struct{}

// gwsThreshold replaces gws's 512-byte default threshold, under which the
// 200-byte messages would not be compressed.
const gwsThreshold = 128

// gwsWindowBits is the window of every mode of the benchmark.
const gwsWindowBits = 15

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
		// gws's default window under context takeover is 2^12 bytes; the
		// benchmark's modes all use 2^15 (and gws announces the client's
		// limit even unasked, which a client compressing with 32 KiB
		// cannot honour).
		ServerMaxWindowBits: gwsWindowBits,
		ClientMaxWindowBits: gwsWindowBits,
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

func (gwsLib) DeflateModes() []DeflateMode { return []DeflateMode{NoTakeover15, Takeover15} }
