package wsraw

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The permessage-deflate offers of the benchmark (RFC 7692 section 7). The
// client never keeps a compression context, so what it sends is valid
// whatever the server answers.
const (
	// OfferNoContextTakeover asks both sides to compress each message on
	// its own: the parameters every server of the benchmark accepts.
	OfferNoContextTakeover = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	// OfferServerTakeover lets the server keep its window from one message
	// to the next; the client says it keeps none.
	OfferServerTakeover = "permessage-deflate; client_no_context_takeover"
)

// syncTail ends every sync flush; a sender removes it from the end of a
// compressed message and the receiver puts it back (RFC 7692 section 7.2).
var syncTail = []byte{0, 0, 0xff, 0xff}

// finalEmptyBlock is an empty final stored block: appended to a message
// compressed on its own, it ends the DEFLATE stream, so a reader of it stops
// at the message's end.
var finalEmptyBlock = []byte{1, 0, 0, 0xff, 0xff}

// CompressedFrame returns the masked frame of text message p, compressed on
// its own (no context) by compress/flate at level, with RSV1 set (RFC 7692
// section 6). It is built once, before anything is measured, and sent as it
// is as many times as needed.
func CompressedFrame(p []byte, level int) ([]byte, error) {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(p); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	compressed, ok := bytes.CutSuffix(b.Bytes(), syncTail)
	if !ok {
		return nil, errors.New("wsraw: compress/flate's flush did not end with a sync marker")
	}
	var key [4]byte
	rand.Read(key[:])
	return AppendFrame(nil, finalBit|rsv1Bit|opText, compressed, key), nil
}

// Write writes frames, as they are, in one Write call.
func (c *Conn) Write(frames []byte) error {
	_, err := c.nc.Write(frames)
	return err
}

// ReadCompressed reads the next data message as it came, without inflating
// it: RSV1 is allowed on its first frame.
func (c *Conn) ReadCompressed() (Message, error) { return c.readMessage(true) }

// CheckDeflate reports whether the handshake accepted permessage-deflate
// and whether the server may keep its compression context (it did not
// answer server_no_context_takeover). It is an error if the server limited
// the client's window: the client's frames use compress/flate's 32 KiB.
func (c *Conn) CheckDeflate() (serverTakeover bool, err error) {
	ext := c.extensions
	name, params, _ := strings.Cut(ext, ";")
	if strings.TrimSpace(name) != "permessage-deflate" || strings.Contains(params, ",") {
		return false, fmt.Errorf("wsraw: permessage-deflate not accepted alone (Sec-WebSocket-Extensions: %q)", ext)
	}
	serverTakeover = true
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "server_no_context_takeover":
			serverTakeover = false
		case "client_max_window_bits":
			if bits, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && bits < 15 {
				return false, fmt.Errorf("wsraw: the server limits the client's window to 2^%d bytes (%q)", bits, ext)
			}
		}
	}
	return serverTakeover, nil
}

// Inflater decompresses the messages of one server, in order, to check
// them outside the timing. With takeover, every compressed message of the
// connection must pass through it, since each may refer to the ones before.
type Inflater struct {
	takeover bool
	src      bytes.Buffer // the stream so far, under takeover
	r        io.ReadCloser
}

// NewInflater returns an Inflater for a server that keeps its context
// (takeover) or compresses each message on its own.
func NewInflater(takeover bool) *Inflater { return &Inflater{takeover: takeover} }

// Inflate returns the payload of m decompressed, or as it is when m is not
// compressed. size is the size expected: under takeover the stream does not
// end with the message, so it is read to that size (a longer message shows
// as a difference in the next one).
func (f *Inflater) Inflate(m Message, size int) ([]byte, error) {
	if !m.Compressed {
		return bytes.Clone(m.Payload), nil
	}
	if !f.takeover {
		in := bytes.Join([][]byte{m.Payload, syncTail, finalEmptyBlock}, nil)
		return io.ReadAll(flate.NewReader(bytes.NewReader(in)))
	}
	f.src.Write(m.Payload)
	f.src.Write(syncTail)
	if f.r == nil {
		f.r = flate.NewReader(&f.src)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(f.r, out); err != nil {
		return nil, fmt.Errorf("wsraw: inflating under context takeover: %w", err)
	}
	return out, nil
}
