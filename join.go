package websocket

import (
	"io"
	"strings"
)

// JoinMessages returns an io.Reader that reads the messages of c one after the
// other as one stream, with term after each; the message types are ignored.
// Its Read calls NextReader, so it is a read method of c: one goroutine at a
// time may use it, and an error of NextReader is returned as it is.
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
