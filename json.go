package websocket

import (
	"encoding/json"
	"io"

	"github.com/valyala/bytebufferpool"
)

// WriteJSON writes the JSON encoding of v as a message.
//
// Deprecated: Use c.WriteJSON instead.
func WriteJSON(c *Conn, v interface{}) error {
	return c.WriteJSON(v)
}

// WriteJSON writes the JSON encoding of v as a message.
//
// See the documentation for encoding/json Marshal for details about the
// conversion of Go values to JSON. The message is what json.Encoder writes,
// newline included, as with gorilla/websocket. Like WriteMessage, WriteJSON
// may be called from several goroutines at once.
func (c *Conn) WriteJSON(v interface{}) error {
	buf := bytebufferpool.Get()
	defer bytebufferpool.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	return c.WriteMessage(TextMessage, buf.B)
}

// ReadJSON reads the next JSON-encoded message from the connection and stores
// it in the value pointed to by v.
//
// Deprecated: Use c.ReadJSON instead.
func ReadJSON(c *Conn, v interface{}) error {
	return c.ReadJSON(v)
}

// ReadJSON reads the next JSON-encoded message from the connection and stores
// it in the value pointed to by v.
//
// See the documentation for the encoding/json Unmarshal function for details
// about the conversion of JSON to a Go value. An empty message gives
// io.ErrUnexpectedEOF, as with gorilla/websocket.
func (c *Conn) ReadJSON(v interface{}) error {
	_, r, err := c.NextReader()
	if err != nil {
		return err
	}
	err = json.NewDecoder(r).Decode(v)
	if err == io.EOF {
		// The message ended before a value did: to the caller the value is
		// cut short, not the stream of messages.
		err = io.ErrUnexpectedEOF
	}
	return err
}
