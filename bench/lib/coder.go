package lib

import (
	"context"
	"io"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

// coderLib is github.com/coder/websocket (formerly nhooyr.io/websocket).
type coderLib struct{}

const (
	// coderReadLimit replaces coder's 32 KiB default read limit, which
	// refuses the 64 KiB echo messages.
	coderReadLimit = 64 << 20
	// coderThreshold replaces coder's 512-byte default threshold without
	// context takeover, under which 200-byte messages go uncompressed.
	coderThreshold = 128
)

func (coderLib) Name() string { return "coder" }

// coderClient returns an HTTP client whose connections come from dial.
func coderClient(dial DialFunc) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: dial}}
}

func (coderLib) DialWriter(conn net.Conn) (WriteFunc, error) {
	ctx, cancel := dialContext()
	defer cancel()
	c, _, err := websocket.Dial(ctx, benchURL, &websocket.DialOptions{HTTPClient: coderClient(connDialer(conn))})
	if err != nil {
		return nil, err
	}
	background := context.Background()
	return func(p []byte) error { return c.Write(background, websocket.MessageBinary, p) }, nil
}

// coderMode is mode as coder's option; coder has no window size option.
func coderMode(mode *DeflateMode) websocket.CompressionMode {
	switch {
	case mode == nil:
		return websocket.CompressionDisabled
	case mode.ContextTakeover:
		return websocket.CompressionContextTakeover
	}
	return websocket.CompressionNoContextTakeover
}

func (coderLib) EchoHandler(mode *DeflateMode) http.Handler {
	opts := &websocket.AcceptOptions{CompressionMode: coderMode(mode), CompressionThreshold: coderThreshold}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(coderReadLimit)
		ctx := r.Context()
		for {
			// The echo of coder's own example: a message reader copied
			// into a message writer.
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			wr, err := c.Writer(ctx, typ)
			if err != nil {
				return
			}
			if _, err := io.Copy(wr, rd); err != nil {
				return
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	})
}

func (coderLib) DeflateModes() []DeflateMode { return []DeflateMode{NoTakeover15, Takeover15} }
