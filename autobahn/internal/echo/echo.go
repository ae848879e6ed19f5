// Package echo holds the echo loops of the Autobahn|Testsuite server and
// client, and the client's Dialer. Each loop sends every message back as it
// came, with its type, but through a different part of the websocket API, so
// that the suite exercises each of them.
//
// None of them checks what it echoes: a text message that is not valid UTF-8
// must be refused by the connection itself, before the loop ever sees it.
package echo

import (
	"io"
	"time"

	"github.com/iris-contrib/websocket"
)

// MaxMessageSize is the read limit of every echo connection: the suite's
// largest messages (category 9.1.6 and 9.2.6) are 16 MiB, so they fit and a
// byte more does not.
const MaxMessageSize = 16 << 20

// handshakeTimeout bounds the client's opening handshakes.
const handshakeTimeout = 10 * time.Second

// NewDialer returns the client under test: permessage-deflate on, with every
// message compressed. It lets the server keep its compression context but
// keeps none of its own, which the suite's cases 13.2, 13.5 and 13.6 require
// of the client's offer (client_no_context_takeover).
func NewDialer() *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout:  handshakeTimeout,
		EnableCompression: true,
		Compression:       &websocket.CompressionOptions{ServerContextTakeover: true, Threshold: -1},
	}
}

// Func echoes messages on c until the connection ends, and returns the error
// that ended it: a *websocket.CloseError after the close handshake, a
// *websocket.ProtocolError when the peer broke a rule.
type Func func(c *websocket.Conn) error

// Message reads whole messages with ReadMessage and writes them back with
// WriteMessage.
func Message(c *websocket.Conn) error {
	for {
		messageType, p, err := c.ReadMessage()
		if err != nil {
			return err
		}
		if err := c.WriteMessage(messageType, p); err != nil {
			return err
		}
	}
}

// Stream copies each message from NextReader into NextWriter as its bytes
// arrive, so a long message goes back in several frames before its end has
// been read.
func Stream(c *websocket.Conn) error {
	for {
		messageType, r, err := c.NextReader()
		if err != nil {
			return err
		}
		w, err := c.NextWriter(messageType)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			// Closing w would end the echo as if the message were whole;
			// the connection is failed and its caller closes it instead.
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}

// Prepared reads whole messages and writes each back as a PreparedMessage,
// the path a server uses to send one message to many connections.
func Prepared(c *websocket.Conn) error {
	for {
		messageType, p, err := c.ReadMessage()
		if err != nil {
			return err
		}
		pm, err := websocket.NewPreparedMessage(messageType, p)
		if err != nil {
			return err
		}
		if err := c.WritePreparedMessage(pm); err != nil {
			return err
		}
	}
}

// ReadAll reads each message from NextReader with io.ReadAll, then writes it
// back with WriteMessage.
func ReadAll(c *websocket.Conn) error {
	for {
		messageType, r, err := c.NextReader()
		if err != nil {
			return err
		}
		p, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if err := c.WriteMessage(messageType, p); err != nil {
			return err
		}
	}
}
