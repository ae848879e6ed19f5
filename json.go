package websocket

import (
	"encoding/json"
	"io"

	"github.com/valyala/bytebufferpool"
)

// WriteJSON sends v to c as a JSON text message.
//
// Deprecated: Call the method c.WriteJSON, which does the same.
func WriteJSON(c *Conn, v interface{}) error {
	return c.WriteJSON(v)
}

// WriteJSON encodes v with encoding/json and sends the result as one text
// message; json.Marshal describes how Go values map to JSON. The message is
// the output of json.Encoder, so it ends in a newline, as with
// gorilla/websocket. Like WriteMessage, WriteJSON is safe to call from several
// goroutines at once.
func (c *Conn) WriteJSON(v interface{}) error {
	buf := bytebufferpool.Get()
	defer bytebufferpool.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	return c.WriteMessage(TextMessage, buf.B)
}

// ReadJSON decodes the next message of c, read as JSON, into v.
//
// Deprecated: Call the method c.ReadJSON, which does the same.
func ReadJSON(c *Conn, v interface{}) error {
	return c.ReadJSON(v)
}

// ReadJSON takes the next data message, text or binary, and decodes the JSON
// value at its start into v, which must be a pointer; json.Unmarshal
// describes how JSON maps to Go values. An empty message gives
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
