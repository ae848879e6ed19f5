package websocket

import (
	"io"
	"strings"
)

// JoinMessages concatenates received messages to create a single io.Reader.
// The string term is appended to each message. The returned reader does not
// support concurrent calls to the Read method.
func JoinMessages(c *Conn, term string) io.Reader {
	return &joinReader{c: c, term: term}
}

// joinReader reads one message after the other, each followed by term.
type joinReader struct {
	c       *Conn
	term    string
	message io.Reader // the message being read, then its terminator; nil between messages
}

func (j *joinReader) Read(p []byte) (int, error) {
	if j.message == nil {
		_, r, err := j.c.NextReader()
		if err != nil {
			return 0, err
		}
		if j.term != "" {
			r = io.MultiReader(r, strings.NewReader(j.term))
		}
		j.message = r
	}
	n, err := j.message.Read(p)
	if err == io.EOF {
		err = nil
		j.message = nil
	}
	return n, err
}
