package main

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// The test's side of permessage-deflate (RFC 7692): parsing the response,
// compressing what the test sends and decompressing what the peer sends.
// Decompression checks the window the peer promised: a reference further
// back than 2^max_window_bits bytes, or into a previous message when the peer
// gave up context takeover, is a violation, as it is for the suite, whose
// zlib is set up with the same window.

const (
	defaultWindowBits = 15
	minimumWindowBits = 8
)

// syncTail ends every sync flush; RFC 7692 section 7.2.1 has the sender drop
// it from each message and the receiver put it back.
var syncTail = []byte{0x00, 0x00, 0xff, 0xff}

// deflateParams are the parameters of a permessage-deflate response.
type deflateParams struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int // 0 when absent
	clientMaxWindowBits     int // 0 when absent
}

// String is the response that carries p.
func (p deflateParams) String() string {
	var b strings.Builder
	b.WriteString("permessage-deflate")
	if p.serverNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if p.clientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if p.serverMaxWindowBits != 0 {
		b.WriteString("; server_max_window_bits=" + strconv.Itoa(p.serverMaxWindowBits))
	}
	if p.clientMaxWindowBits != 0 {
		b.WriteString("; client_max_window_bits=" + strconv.Itoa(p.clientMaxWindowBits))
	}
	return b.String()
}

func (p deflateParams) serverWindowBits() int { return bitsOrDefault(p.serverMaxWindowBits) }
func (p deflateParams) clientWindowBits() int { return bitsOrDefault(p.clientMaxWindowBits) }

func bitsOrDefault(bits int) int {
	if bits == 0 {
		return defaultWindowBits
	}
	return bits
}

// parseDeflateResponse parses a server's Sec-WebSocket-Extensions header,
// which must accept exactly one permessage-deflate offer with parameters a
// response may have (RFC 7692 section 7.1).
func parseDeflateResponse(header string) (deflateParams, error) {
	var p deflateParams
	if strings.Contains(header, ",") {
		return p, errors.New("more than one extension")
	}
	parts := strings.Split(header, ";")
	if !strings.EqualFold(strings.TrimSpace(parts[0]), "permessage-deflate") {
		return p, fmt.Errorf("extension %q", parts[0])
	}
	seen := map[string]bool{}
	for _, param := range parts[1:] {
		name, value, hasValue := strings.Cut(strings.TrimSpace(param), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if seen[name] {
			return p, fmt.Errorf("parameter %s twice", name)
		}
		seen[name] = true
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasValue {
				return p, fmt.Errorf("parameter %s with a value", name)
			}
			if name == "server_no_context_takeover" {
				p.serverNoContextTakeover = true
			} else {
				p.clientNoContextTakeover = true
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits, err := strconv.Atoi(value)
			if !hasValue || err != nil || bits < minimumWindowBits || bits > defaultWindowBits || value != strconv.Itoa(bits) {
				return p, fmt.Errorf("parameter %s with value %q, not 8 to 15", name, value)
			}
			if name == "server_max_window_bits" {
				p.serverMaxWindowBits = bits
			} else {
				p.clientMaxWindowBits = bits
			}
		default:
			return p, fmt.Errorf("unknown parameter %q", name)
		}
	}
	return p, nil
}

// rawDeflater compresses the client's messages within the window and
// context the server allowed. Each message ends with a sync flush whose tail
// is dropped (RFC 7692 section 7.2.1). With context takeover the messages
// form one stream, so a message may refer back into the ones before.
//
// For the full window of 2^15 bytes it is compress/flate. compress/flate
// cannot be told a smaller window, so for those deflateFixed does the work.
type rawDeflater struct {
	takeover   bool
	windowBits int
	out        bytes.Buffer
	fw         *flate.Writer // for the full window; kept under takeover
	history    []byte        // the last window of what was sent, for small windows under takeover
}

// flateWriters recycles compressors from connection to connection: each is
// hundreds of KiB, and the tests open thousands of connections.
var flateWriters = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(nil, flate.BestSpeed)
	return fw
}}

func newRawDeflater(takeover bool, windowBits int) *rawDeflater {
	return &rawDeflater{takeover: takeover, windowBits: windowBits}
}

// compress returns the payload of a compressed message carrying msg.
func (d *rawDeflater) compress(msg []byte) []byte {
	if d.windowBits < defaultWindowBits {
		history := d.history
		if !d.takeover {
			history = nil
		}
		out := deflateFixed(history, msg, 1<<d.windowBits)
		if d.takeover {
			d.history = lastBytes(append(d.history, msg...), 1<<d.windowBits)
		}
		return out
	}
	d.out.Reset()
	if d.fw == nil {
		d.fw = flateWriters.Get().(*flate.Writer)
		d.fw.Reset(&d.out)
	} else if !d.takeover {
		d.fw.Reset(&d.out)
	}
	d.fw.Write(msg)
	d.fw.Flush()
	out := d.out.Bytes()
	if !bytes.HasSuffix(out, syncTail) {
		panic("compress/flate did not end with a sync flush")
	}
	return bytes.Clone(out[:len(out)-len(syncTail)])
}

// release gives the compressor back for other connections.
func (d *rawDeflater) release() {
	if d != nil && d.fw != nil {
		flateWriters.Put(d.fw)
		d.fw = nil
	}
}

// lastBytes returns the last n bytes of p, or p when it is shorter.
func lastBytes(p []byte, n int) []byte {
	if len(p) > n {
		return append([]byte(nil), p[len(p)-n:]...)
	}
	return p
}

// rawInflater decompresses the server's messages.
type rawInflater struct {
	takeover   bool
	windowBits int
	history    []byte        // the last window of output, under takeover
	fr         io.ReadCloser // a compress/flate reader, reset for each message
}

// inflate decompresses the payload of one message.
func (f *rawInflater) inflate(payload []byte) ([]byte, error) {
	data := append(bytes.Clone(payload), syncTail...)
	var history []byte
	if f.takeover {
		history = f.history
	}
	var out []byte
	var err error
	if f.windowBits == defaultWindowBits {
		// compress/flate refuses any reference further back than its input,
		// which is the window here. The empty final block ends the stream,
		// so that a message cut short shows as an error.
		data = append(data, 0x03, 0x00)
		if f.fr == nil {
			f.fr = flate.NewReaderDict(bytes.NewReader(data), history)
		} else {
			f.fr.(flate.Resetter).Reset(bytes.NewReader(data), history)
		}
		out, err = io.ReadAll(f.fr)
	} else {
		out, err = inflateWindow(data, 1<<f.windowBits, history)
	}
	if err != nil {
		return nil, err
	}
	if f.takeover {
		f.history = lastBytes(append(f.history, out...), 1<<f.windowBits)
	}
	return out, nil
}
