// Package wsraw is the one WebSocket client every echo benchmark uses
// against every server: the plain echo, the permessage-deflate echo, the
// tiny frames and the idle connections. It is written on raw frames, with no
// WebSocket library, so its cost is the same whichever server it talks to:
// the masked frame of a message is built once, and each round trip is one
// write and the reads of the echoed frames. With compression (deflate.go)
// the frames it sends are compressed once, before any measurement, and what
// it reads back is not inflated while it is timed.
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
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	finalBit       = 0x80
	maskBit        = 0x80
	rsvBits        = 0x70
	rsv1Bit        = 0x40
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
	// extensions is the Sec-WebSocket-Extensions header of the handshake
	// response: what the server accepted of the offer.
	extensions string
}

// Dial connects to addr (host:port) and performs the opening handshake for
// path. timeout bounds the whole of it.
func Dial(addr, path string, timeout time.Duration) (*Conn, error) {
	return DialExtensions(addr, path, "", timeout)
}

// DialExtensions is Dial with a Sec-WebSocket-Extensions offer, none when
// extensions is empty.
func DialExtensions(addr, path, extensions string, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c, err := Handshake(nc, addr, path, extensions, timeout)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Handshake performs the opening handshake on nc, offering extensions
// unless it is empty.
func Handshake(nc net.Conn, host, path, extensions string, timeout time.Duration) (*Conn, error) {
	if err := nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	request := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n"
	if extensions != "" {
		request += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	request += "\r\n"
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
	return &Conn{nc: nc, br: br, extensions: resp.Header.Get("Sec-WebSocket-Extensions")}, nil
}

// Extensions returns the Sec-WebSocket-Extensions header of the server's
// handshake response.
func (c *Conn) Extensions() string { return c.extensions }

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
	m, err := c.readMessage(false)
	return m.Payload, err
}

// Message is a data message as it came on the wire.
type Message struct {
	// Payload is the payload of its frames, reassembled, valid until the
	// next read: compressed when Compressed is set.
	Payload []byte
	// Opcode is the first frame's.
	Opcode byte
	// Compressed reports the first frame's RSV1 bit: permessage-deflate
	// (RFC 7692 section 6).
	Compressed bool
	// Wire counts the message's bytes on the wire, frame headers included.
	Wire int
}

// readMessage reads the next data message, skipping pings. RSV1 is accepted
// on the first frame when compressed is true (a negotiated
// permessage-deflate), every other RSV bit is an error.
func (c *Conn) readMessage(compressed bool) (Message, error) {
	c.echo = c.echo[:0]
	var m Message
	for frames := 0; ; {
		first, length, header, err := c.readHeader()
		if err != nil {
			return Message{}, err
		}
		opcode := first & opcodeBits
		rsv := first & rsvBits
		if compressed && frames == 0 && opcode != opContinuation && opcode < opClose {
			rsv &^= rsv1Bit
		}
		switch {
		case rsv != 0:
			return Message{}, fmt.Errorf("wsraw: a frame with RSV bits %#x, not negotiated", first&rsvBits)
		case opcode == opClose:
			return Message{}, io.EOF
		case opcode == opPing:
			if _, err := c.br.Discard(int(length)); err != nil {
				return Message{}, err
			}
			continue
		case frames == 0 && opcode != opBinary && opcode != opText:
			return Message{}, fmt.Errorf("wsraw: unexpected opcode %#x starting a message", opcode)
		case frames > 0 && opcode != opContinuation:
			return Message{}, fmt.Errorf("wsraw: unexpected opcode %#x inside a message", opcode)
		}
		if frames == 0 {
			m.Opcode, m.Compressed = opcode, first&rsv1Bit != 0
		}
		frames++
		m.Wire += header + int(length)
		start := len(c.echo)
		c.echo = append(c.echo, make([]byte, length)...)
		if _, err := io.ReadFull(c.br, c.echo[start:]); err != nil {
			return Message{}, err
		}
		if first&finalBit != 0 {
			m.Payload = c.echo
			return m, nil
		}
	}
}

// readHeader reads a server's frame header: unmasked, as RFC 6455 section
// 5.1 requires. header is its size in bytes.
func (c *Conn) readHeader() (first byte, length uint64, header int, err error) {
	h := c.header[:2]
	if _, err = io.ReadFull(c.br, h); err != nil {
		return 0, 0, 0, err
	}
	if h[1]&maskBit != 0 {
		return 0, 0, 0, errors.New("wsraw: a masked frame from the server")
	}
	length, header = uint64(h[1]&^maskBit), 2
	switch length {
	case 126:
		if _, err = io.ReadFull(c.br, c.header[2:4]); err != nil {
			return 0, 0, 0, err
		}
		length, header = uint64(binary.BigEndian.Uint16(c.header[2:4])), 4
	case 127:
		if _, err = io.ReadFull(c.br, c.header[2:10]); err != nil {
			return 0, 0, 0, err
		}
		length, header = binary.BigEndian.Uint64(c.header[2:10]), 10
	}
	return h[0], length, header, nil
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
