// Package wsraw is the one WebSocket client the echo and idle-memory
// benchmarks use against every server. It is written on raw frames, with no
// WebSocket library, so its cost is the same whichever server it talks to:
// the masked frame of the message is built once, and each round trip is one
// write and the reads of the echoed frames.
package wsraw

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// RFC 6455 constants this client needs.
const (
	opContinuation = 0x0
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	finalBit       = 0x80
	maskBit        = 0x80
	rsvBits        = 0x70
	opcodeBits     = 0x0f
	maxHeaderSize  = 14
	acceptGUID     = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	readBufferSize = 4 << 10
)

// Conn is a client connection past its opening handshake.
type Conn struct {
	nc      net.Conn
	br      *bufio.Reader
	frame   []byte // the masked frame of the message each Echo sends
	message []byte // the message, to compare the echo with
	echo    []byte // the echoed message, reassembled from its frames
	header  [maxHeaderSize]byte
}

// Dial connects to addr (host:port) and performs the opening handshake for
// path. timeout bounds the whole of it.
func Dial(addr, path string, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c, err := Handshake(nc, addr, path, timeout)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Handshake performs the opening handshake on nc.
func Handshake(nc net.Conn, host, path string, timeout time.Duration) (*Conn, error) {
	if err := nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	request := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, request); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, readBufferSize)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, fmt.Errorf("wsraw: reading the handshake response: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("wsraw: handshake answered %s", resp.Status)
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), AcceptKey(key); got != want {
		return nil, fmt.Errorf("wsraw: Sec-WebSocket-Accept %q, want %q", got, want)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return &Conn{nc: nc, br: br}, nil
}

// AcceptKey is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key
// (RFC 6455 section 4.2.2).
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// SetMessage makes p the binary message that Echo sends; its masked frame is
// built here, once.
func (c *Conn) SetMessage(p []byte) {
	var key [4]byte
	rand.Read(key[:])
	c.message = append(c.message[:0], p...)
	c.frame = AppendFrame(c.frame[:0], finalBit|opBinary, p, key)
	if cap(c.echo) < len(p) {
		c.echo = make([]byte, 0, len(p))
	}
}

// AppendFrame appends to dst one frame with first header byte first and
// payload p, masked with key as a client must (RFC 6455 section 5.3).
func AppendFrame(dst []byte, first byte, p []byte, key [4]byte) []byte {
	n := len(p)
	switch {
	case n <= 125:
		dst = append(dst, first, maskBit|byte(n))
	case n <= 0xffff:
		dst = append(dst, first, maskBit|126, byte(n>>8), byte(n))
	default:
		dst = binary.BigEndian.AppendUint64(append(dst, first, maskBit|127), uint64(n))
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, p...)
	for i := range p {
		dst[start+i] ^= key[i&3]
	}
	return dst
}

// Echo sends the message set by SetMessage and reads the echo, which must
// be the same bytes.
func (c *Conn) Echo() error {
	if _, err := c.nc.Write(c.frame); err != nil {
		return err
	}
	echo, err := c.ReadMessage()
	if err != nil {
		return err
	}
	if !bytes.Equal(echo, c.message) {
		return fmt.Errorf("wsraw: echo of %d bytes differs from the %d bytes sent", len(echo), len(c.message))
	}
	return nil
}

// ReadMessage reads the next data message, skipping pings, and returns its
// payload, valid until the next call.
func (c *Conn) ReadMessage() ([]byte, error) {
	c.echo = c.echo[:0]
	for {
		first, length, err := c.readHeader()
		if err != nil {
			return nil, err
		}
		opcode := first & opcodeBits
		switch {
		case first&rsvBits != 0:
			return nil, errors.New("wsraw: a frame with RSV bits, none negotiated")
		case opcode == opClose:
			return nil, io.EOF
		case opcode == opPing:
			if _, err := c.br.Discard(int(length)); err != nil {
				return nil, err
			}
			continue
		case opcode != opBinary && opcode != opContinuation:
			return nil, fmt.Errorf("wsraw: unexpected opcode %#x", opcode)
		}
		start := len(c.echo)
		c.echo = append(c.echo, make([]byte, length)...)
		if _, err := io.ReadFull(c.br, c.echo[start:]); err != nil {
			return nil, err
		}
		if first&finalBit != 0 {
			return c.echo, nil
		}
	}
}

// readHeader reads a server's frame header: unmasked, as RFC 6455 section
// 5.1 requires.
func (c *Conn) readHeader() (first byte, length uint64, err error) {
	h := c.header[:2]
	if _, err = io.ReadFull(c.br, h); err != nil {
		return 0, 0, err
	}
	if h[1]&maskBit != 0 {
		return 0, 0, errors.New("wsraw: a masked frame from the server")
	}
	length = uint64(h[1] &^ maskBit)
	switch length {
	case 126:
		if _, err = io.ReadFull(c.br, c.header[2:4]); err != nil {
			return 0, 0, err
		}
		length = uint64(binary.BigEndian.Uint16(c.header[2:4]))
	case 127:
		if _, err = io.ReadFull(c.br, c.header[2:10]); err != nil {
			return 0, 0, err
		}
		length = binary.BigEndian.Uint64(c.header[2:10])
	}
	return h[0], length, nil
}

// SetDeadline bounds the reads and writes of the connection.
func (c *Conn) SetDeadline(t time.Time) error { return c.nc.SetDeadline(t) }

// Close closes the TCP connection at once, with a reset rather than the close
// handshake, so that thousands of benchmark connections leave no TIME_WAIT.
func (c *Conn) Close() error {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return c.nc.Close()
}
