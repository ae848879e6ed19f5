package websocket

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for what a peer controls: the frames a connection reads
// (FuzzReadServer, FuzzReadClient), the compressed messages it inflates
// (FuzzDecompress) and the opening handshake a server answers
// (FuzzUpgrade). The extension header parser, the UTF-8 validator and the
// frame header codec have their own targets beside their tests.
//
// Each target's seed corpus is in testdata/fuzz/<target>/, one file per seed
// of the tables below; go test runs them all. After changing a table, write
// the files again with
//
//	go test -run TestFuzzSeedCorpus -update-fuzz-corpus .
//
// scripts/fuzz.sh runs every target of the package for a while.

var updateFuzzCorpus = flag.Bool("update-fuzz-corpus", false, "write the seed corpora of fuzz_test.go to testdata/fuzz")

// fuzzWatchdog bounds the work on one input: the input is finite, so the
// connection must reach its end. A hang panics, which the fuzzer reports as
// a crasher with its input.
const fuzzWatchdog = 10 * time.Second

// fuzzConn is a net.Conn that delivers a fixed input and then io.EOF, and
// keeps what is written to it.
type fuzzConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func newFuzzConn(in []byte) *fuzzConn { return &fuzzConn{in: bytes.NewReader(in)} }

func (c *fuzzConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *fuzzConn) Close() error                     { return nil }
func (c *fuzzConn) LocalAddr() net.Addr              { return fuzzAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return fuzzAddr{} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

type fuzzAddr struct{}

func (fuzzAddr) Network() string { return "fuzz" }
func (fuzzAddr) String() string  { return "fuzz" }

// fuzzReadModes are the connection settings a reading target's mode byte
// selects: its low two bits the compression, the next two the read limit,
// the next one the read buffer size.
var (
	fuzzCompressionModes = []*deflateParams{
		nil,
		{readWindowBits: maxWindowBits, writeWindowBits: maxWindowBits, threshold: defaultCompressThreshold},
		{readContextTakeover: true, readWindowBits: maxWindowBits, writeWindowBits: maxWindowBits, threshold: defaultCompressThreshold},
		{readContextTakeover: true, readWindowBits: minWindowBits, writeWindowBits: maxWindowBits, threshold: defaultCompressThreshold},
	}
	fuzzReadLimits      = []int64{16, 200, 4096, 1 << 16}
	fuzzReadBufferSizes = []int{16, defaultBufferSize}
)

// fuzzReadMode is the decoded mode byte of a reading target.
type fuzzReadMode struct {
	compression    *deflateParams
	readLimit      int64
	readBufferSize int
}

func decodeFuzzReadMode(mode byte) fuzzReadMode {
	m := fuzzReadMode{
		compression:    fuzzCompressionModes[mode&3],
		readLimit:      fuzzReadLimits[mode>>2&3],
		readBufferSize: fuzzReadBufferSizes[mode>>4&1],
	}
	if m.compression != nil {
		params := *m.compression // each connection its own copy
		m.compression = &params
	}
	return m
}

// newFuzzReadConn returns a connection of the given side that reads input.
func newFuzzReadConn(input []byte, isServer bool, m fuzzReadMode) (*Conn, *fuzzConn) {
	nc := newFuzzConn(input)
	c := newConn(nc, isServer, nil, m.readBufferSize, 0, nil)
	c.compression = m.compression
	c.SetReadLimit(m.readLimit)
	return c, nc
}

// sentFrame is a frame the connection under test wrote.
type sentFrame struct {
	opcode  byte
	payload []byte
}

// parseSentFrames decodes what a connection wrote, unmasking as needed; the
// connection's own writer must produce well-formed frames.
func parseSentFrames(t *testing.T, p []byte) []sentFrame {
	t.Helper()
	var frames []sentFrame
	for len(p) > 0 {
		if len(p) < 2 {
			t.Fatalf("the connection wrote a truncated frame header % x", p)
		}
		first, second := p[0], p[1]
		p = p[2:]
		length := uint64(second & 0x7F)
		switch length {
		case 126:
			length, p = uint64(binary.BigEndian.Uint16(p)), p[2:]
		case 127:
			length, p = binary.BigEndian.Uint64(p), p[8:]
		}
		var key []byte
		if second&0x80 != 0 {
			key, p = p[:4], p[4:]
		}
		if uint64(len(p)) < length {
			t.Fatalf("the connection wrote a truncated frame: %d of %d payload bytes", len(p), length)
		}
		payload := slices.Clone(p[:length])
		p = p[length:]
		for i := range payload {
			if key != nil {
				payload[i] ^= key[i%4]
			}
		}
		frames = append(frames, sentFrame{opcode: first & 0x0F, payload: payload})
	}
	return frames
}

// checkReadError checks that err, which ended the reading of a connection,
// is one of the documented kinds, and that the close frame the connection
// wrote, if any, carries the code that goes with it.
func checkReadError(t *testing.T, c *Conn, nc *fuzzConn, err error) {
	t.Helper()
	frames := parseSentFrames(t, nc.out.Bytes())
	closeCode := 0 // no close frame written
	for i, f := range frames {
		switch {
		case f.opcode == closeFrame && i != len(frames)-1:
			t.Fatalf("the connection wrote frames after its close frame: %+v", frames)
		case f.opcode == closeFrame:
			closeCode = CloseNoStatusReceived
			if len(f.payload) >= 2 {
				closeCode = int(binary.BigEndian.Uint16(f.payload))
			}
		case f.opcode != pongFrame:
			t.Fatalf("the connection wrote a frame with opcode %d while reading", f.opcode)
		}
	}
	wantClose := 0
	var protocolErr *ProtocolError
	var closeErr *CloseError
	switch {
	case errors.As(err, &protocolErr):
		if protocolErr.Code != CloseProtocolError && protocolErr.Code != CloseInvalidFramePayloadData {
			t.Fatalf("ProtocolError with code %d: %v", protocolErr.Code, err)
		}
		wantClose = protocolErr.Code
	case err == ErrReadLimit:
		wantClose = CloseMessageTooBig
	case errors.As(err, &closeErr):
		switch {
		case closeErr.Code == CloseAbnormalClosure:
			// The input ended without a close frame: nothing to answer.
		case closeErr.Code == CloseNoStatusReceived || isValidReceivedCloseCode(closeErr.Code):
			wantClose = closeErr.Code // the default close handler echoes it
			if !utf8.ValidString(closeErr.Text) {
				t.Fatalf("close reason %q is not UTF-8", closeErr.Text)
			}
		default:
			t.Fatalf("CloseError with code %d, which a peer may not send", closeErr.Code)
		}
	default:
		t.Fatalf("undocumented read error %T: %v", err, err)
	}
	if closeCode != wantClose {
		t.Fatalf("read error %v, but the close frame written has code %d (0: none), want %d", err, closeCode, wantClose)
	}
	if _, _, again := c.NextReader(); again != err {
		t.Fatalf("the read error is not permanent: %v, then %v", err, again)
	}
}

// readAllMessages reads the connection until its first error and checks
// every message against the read limit and, for text, UTF-8. It returns the
// messages, which must be at most one per two input bytes, and the error.
func readAllMessages(t *testing.T, c *Conn, inputSize int, limit int64) ([][]byte, error) {
	t.Helper()
	var messages [][]byte
	for {
		if len(messages) > inputSize/minFrameHeaderSize {
			t.Fatalf("%d messages from %d bytes", len(messages), inputSize)
		}
		messageType, r, err := c.NextReader()
		if err != nil {
			return messages, err
		}
		p, err := io.ReadAll(r)
		if int64(len(p)) > limit {
			t.Fatalf("a message delivered %d bytes, over the read limit %d", len(p), limit)
		}
		if err != nil {
			return messages, err
		}
		if messageType == TextMessage && !utf8.Valid(p) {
			t.Fatalf("text message delivered with invalid UTF-8: %q", p)
		}
		messages = append(messages, p)
	}
}

// fuzzRead is the body of FuzzReadServer and FuzzReadClient.
func fuzzRead(t *testing.T, input []byte, mode byte, isServer bool) {
	watchdog := time.AfterFunc(fuzzWatchdog, func() { panic(fmt.Sprintf("reading %d bytes took over %v", len(input), fuzzWatchdog)) })
	defer watchdog.Stop()
	m := decodeFuzzReadMode(mode)
	c, nc := newFuzzReadConn(input, isServer, m)
	_, err := readAllMessages(t, c, len(input), m.readLimit)
	checkReadError(t, c, nc, err)
}

// FuzzReadServer feeds arbitrary bytes to a server connection as the frames
// a client sent: no panic, an end, and every error a documented one.
func FuzzReadServer(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte, mode byte) { fuzzRead(t, input, mode, true) })
}

// FuzzReadClient is FuzzReadServer for a client connection.
func FuzzReadClient(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte, mode byte) { fuzzRead(t, input, mode, false) })
}

// FuzzDecompress feeds arbitrary data to a server connection as the payload
// of a compressed message, split in two frames at split, and checks the
// result against compress/flate run by hand on the same data (RFC 7692
// section 7.2.2): the same bytes when it is valid, ProtocolError 1007 when
// it is not, ErrReadLimit (1009) beyond the read limit, and never more bytes
// delivered than the limit. Under context takeover the same data is sent a
// second time, to be inflated with the first message's output as history.
//
// flags: bit 0 text, bits 1-2 the compression mode (no context takeover,
// takeover with a 2^15 or 2^8 window), bits 3-4 the read limit.
func FuzzDecompress(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, split uint16, flags byte) {
		watchdog := time.AfterFunc(fuzzWatchdog, func() { panic("decompression did not end") })
		defer watchdog.Stop()
		text := flags&1 != 0
		compression := 1 + (flags>>1&3)%3 // an index in fuzzCompressionModes, never 0
		m := decodeFuzzReadMode(compression | (flags>>3&3)<<2)
		opcode := byte(binaryFrame)
		if text {
			opcode = textFrame
		}
		input := compressedMessageFrames(opcode, data, int(split))
		if m.compression.readContextTakeover {
			input = append(input, encodeTestFrame(finalBit|rsv1Bit|opcode, data, true)...)
		}
		c, nc := newFuzzReadConn(input, true, m)

		var history []byte
		for range 1 + btoi(m.compression.readContextTakeover) {
			want := referenceInflate(data, history, m.readLimit)
			var got []byte
			_, r, err := c.NextReader()
			if err == nil {
				got, err = io.ReadAll(r)
			}
			checkInflated(t, c, nc, got, err, want, text, len(data))
			if err != nil {
				return
			}
			history = lastBytes(append(history, got...), 1<<m.compression.readWindowBits)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func lastBytes(p []byte, n int) []byte { return p[len(p)-min(n, len(p)):] }

// compressedMessageFrames encodes data as the masked frames of one
// compressed message, in two frames when split falls inside it.
func compressedMessageFrames(opcode byte, data []byte, split int) []byte {
	if split <= 0 || split >= len(data) {
		return encodeTestFrame(finalBit|rsv1Bit|opcode, data, true)
	}
	return append(encodeTestFrame(rsv1Bit|opcode, data[:split], true),
		encodeTestFrame(finalBit|continuationFrame, data[split:], true)...)
}

// inflateResult is what RFC 7692 section 7.2.2 makes of a compressed message.
type inflateResult struct {
	out     []byte // at most limit+1 bytes
	valid   bool   // a complete deflate stream the receiver must accept
	ended   bool   // a complete deflate stream, valid or with bytes after its end
	over    bool   // it inflates to more than the limit
	rawOver bool   // its compressed size alone is beyond what the limit allows
}

// referenceInflate appends the tail the sender removed and inflates with
// compress/flate, which reads no further than the stream needs from a
// bytes.Reader. The message is valid when the stream runs out exactly at
// the end of the tail (the sync flush of section 7.2.1), or ends in a final
// block (section 7.2.3.4) within the tail or followed by at most the first
// byte, 0x00, of the empty stored block whose other four bytes are the tail.
// Other bytes after a final block are left to the receiver: it may ignore
// them or fail the connection.
func referenceInflate(data, history []byte, limit int64) inflateResult {
	src := bytes.NewReader(append(slices.Clone(data), deflateTail[:]...))
	out, err := io.ReadAll(io.LimitReader(flate.NewReaderDict(src, history), limit+1))
	res := inflateResult{out: out, over: int64(len(out)) > limit}
	res.rawOver = int64(len(data)) > limit+limit>>3+1024
	switch {
	case res.over:
	case err == nil: // a final block
		unread := src.Len() - len(deflateTail)
		res.ended = true
		res.valid = unread < 0 || unread == 1 && data[len(data)-1] == 0
	case err == io.ErrUnexpectedEOF:
		res.ended = src.Len() == 0
		res.valid = res.ended
	}
	return res
}

// TestReferenceInflateRFC7692Examples checks the reference of FuzzDecompress,
// and a connection, on the examples of RFC 7692 section 7.2.3: each payload
// is "Hello", alone or after an earlier message under context takeover.
func TestReferenceInflateRFC7692Examples(t *testing.T) {
	hello := []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}
	cases := []struct {
		section  string
		previous []byte // the payload of an earlier message, under context takeover
		payload  []byte
	}{
		{"7.2.3.1 a message compressed with a sync flush", nil, hello},
		{"7.2.3.2 sharing the LZ77 window", hello, []byte{0xf2, 0x00, 0x11, 0x00, 0x00}},
		{"7.2.3.3 a stored block", nil, []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}},
		{"7.2.3.4 a block with BFINAL set to 1", nil, []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}},
		{"7.2.3.5 two blocks in one message", nil, []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}},
	}
	for _, tc := range cases {
		t.Run(tc.section, func(t *testing.T) {
			var history []byte
			if tc.previous != nil {
				history = []byte("Hello")
				if ref := referenceInflate(tc.previous, nil, 100); !ref.valid || string(ref.out) != "Hello" {
					t.Fatalf("reference on the first message: %+v", ref)
				}
			}
			if ref := referenceInflate(tc.payload, history, 100); !ref.valid || string(ref.out) != "Hello" {
				t.Errorf("reference: %+v, want valid \"Hello\"", ref)
			}

			mode := byte(modeNoTakeover)
			var input []byte
			if tc.previous != nil {
				mode = modeTakeover
				input = encodeTestFrame(finalBit|rsv1Bit|textFrame, tc.previous, true)
			}
			input = append(input, encodeTestFrame(finalBit|rsv1Bit|textFrame, tc.payload, true)...)
			c, _ := newFuzzReadConn(input, true, decodeFuzzReadMode(mode))
			messages, err := readAllMessages(t, c, len(input), 100)
			if len(messages) != 1+btoi(tc.previous != nil) || string(messages[len(messages)-1]) != "Hello" {
				t.Errorf("the connection read %q, then %v; want \"Hello\"", messages, err)
			}
		})
	}
}

// checkInflated compares what the connection made of a compressed message
// with the reference.
func checkInflated(t *testing.T, c *Conn, nc *fuzzConn, got []byte, err error, want inflateResult, text bool, size int) {
	t.Helper()
	if int64(len(got)) > c.readLimit {
		t.Fatalf("%d bytes delivered, over the read limit %d", len(got), c.readLimit)
	}
	if !bytes.HasPrefix(want.out, got) && !want.rawOver {
		t.Fatalf("delivered %q, which is not what the data inflates to (%q)", got, want.out)
	}
	validText := !text || utf8.Valid(want.out)
	mustAccept := want.valid && validText && !want.rawOver
	var protocolErr *ProtocolError
	switch {
	case err == nil:
		if want.rawOver || !want.ended || !validText {
			t.Fatalf("message of %d compressed bytes accepted; reference: %+v", size, want)
		}
		if !bytes.Equal(got, want.out) {
			t.Fatalf("inflated to %q, want %q", got, want.out)
		}
		return
	case mustAccept:
		t.Fatalf("%v for a valid message that inflates to %q", err, want.out)
	case err == ErrReadLimit:
		if !want.over && !want.rawOver {
			t.Fatalf("ErrReadLimit for %d bytes that inflate to %d under a limit of %d", size, len(want.out), c.readLimit)
		}
	case errors.As(err, &protocolErr) && protocolErr.Code == CloseInvalidFramePayloadData:
		if want.over && !text {
			t.Fatalf("%v for binary data that inflates beyond the read limit", err)
		}
	default:
		t.Fatalf("unexpected error %T: %v", err, err)
	}
	checkReadError(t, c, nc, err)
}

// hijackRecorder is an httptest.ResponseRecorder whose connection can be
// hijacked: it is a fuzzConn with no input.
type hijackRecorder struct {
	*httptest.ResponseRecorder
	conn     *fuzzConn
	hijacked bool
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return h.conn, bufio.NewReadWriter(bufio.NewReader(h.conn), bufio.NewWriter(h.conn)), nil
}

// fuzzUpgrader returns the Upgrader the flags of FuzzUpgrade select.
func fuzzUpgrader(flags byte) *Upgrader {
	u := &Upgrader{EnableCompression: flags&1 != 0}
	if flags&2 != 0 {
		u.Subprotocols = []string{"chat", "superchat"}
	}
	if flags&4 != 0 {
		u.CheckOrigin = func(*http.Request) bool { return true }
	}
	if flags&8 != 0 {
		u.Compression = &CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 9}
	}
	if flags&16 != 0 {
		u.Error = func(w http.ResponseWriter, _ *http.Request, status int, _ error) { w.WriteHeader(status) }
	}
	return u
}

// parseFuzzHeader reads "Name: value" lines; others are ignored.
func parseFuzzHeader(lines string) http.Header {
	h := http.Header{}
	for line := range strings.SplitSeq(lines, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok {
			h.Add(name, strings.TrimSpace(value))
		}
	}
	return h
}

// FuzzUpgrade hands the server handshake arbitrary methods and headers:
// either a connection and a correct 101 response, or no connection and one
// of the documented HTTP error statuses, never a panic.
func FuzzUpgrade(f *testing.F) {
	f.Fuzz(func(t *testing.T, method, header string, flags byte) {
		r := &http.Request{
			Method: method, URL: &url.URL{Path: "/"}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: parseFuzzHeader(header), RemoteAddr: "192.0.2.1:1234",
		}
		r.Host = r.Header.Get("Host")
		w := &hijackRecorder{ResponseRecorder: httptest.NewRecorder(), conn: newFuzzConn(nil)}
		u := fuzzUpgrader(flags)
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			checkUpgradeRefused(t, w, c, err)
			return
		}
		checkUpgradeAccepted(t, u, r, w, c)
	})
}

func checkUpgradeRefused(t *testing.T, w *hijackRecorder, c *Conn, err error) {
	t.Helper()
	if c != nil || w.hijacked {
		t.Fatalf("Upgrade failed with %v but returned a connection (%v) or hijacked (%v)", err, c != nil, w.hijacked)
	}
	if !errors.As(err, new(HandshakeError)) {
		t.Fatalf("Upgrade error %T is not a HandshakeError: %v", err, err)
	}
	switch w.Code {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusMethodNotAllowed, http.StatusInternalServerError:
	case http.StatusUpgradeRequired:
		if w.Header().Get("Sec-Websocket-Version") != webSocketVersion {
			t.Fatalf("426 without Sec-WebSocket-Version: 13")
		}
	default:
		t.Fatalf("Upgrade failed with %v and status %d", err, w.Code)
	}
}

func checkUpgradeAccepted(t *testing.T, u *Upgrader, r *http.Request, w *hijackRecorder, c *Conn) {
	t.Helper()
	if c == nil || !w.hijacked {
		t.Fatalf("Upgrade succeeded with no connection (%v) or no hijack (%v)", c == nil, !w.hijacked)
	}
	if r.Method != http.MethodGet {
		t.Fatalf("upgraded a %q request", r.Method)
	}
	key := r.Header.Get("Sec-Websocket-Key")
	if decoded, err := base64.StdEncoding.DecodeString(key); err != nil || len(decoded) != 16 {
		t.Fatalf("upgraded with Sec-WebSocket-Key %q", key)
	}
	if w.Body.Len() != 0 {
		t.Fatalf("the recorder got a body: %q", w.Body.String())
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(w.conn.out.Bytes())), r)
	if err != nil {
		t.Fatalf("the 101 response does not parse: %v\n%s", err, w.conn.out.Bytes())
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-Websocket-Accept") != computeAcceptKey(key) {
		t.Fatalf("bad response:\n%s", w.conn.out.Bytes())
	}
	if p := resp.Header.Get("Sec-Websocket-Protocol"); p != "" && (!slices.Contains(u.Subprotocols, p) || !slices.Contains(Subprotocols(r), p)) {
		t.Fatalf("subprotocol %q chosen from the offer %q", p, Subprotocols(r))
	}
	extensions := resp.Header.Values("Sec-Websocket-Extensions")
	if len(extensions) == 0 {
		if c.compression != nil {
			t.Fatal("compression on without a Sec-WebSocket-Extensions response")
		}
		return
	}
	if !u.EnableCompression || c.compression == nil {
		t.Fatalf("extensions %q answered with compression off", extensions)
	}
	// The answer must be one a client that made this offer accepts.
	parsed, err := parseExtensions(resp.Header)
	if err != nil || len(parsed) != 1 || parsed[0].name != extensionName {
		t.Fatalf("extension response %q: %v", extensions, err)
	}
	if _, err := parseDeflateParams(parsed[0].params); err != nil {
		t.Fatalf("extension response %q: %v", extensions, err)
	}
}

// A fuzzSeed is one file of a target's seed corpus.
type fuzzSeed struct {
	name   string
	values []any // []byte, string, byte or uint16, in the target's order
}

// marshalFuzzSeed encodes values in the corpus file format of go test.
func marshalFuzzSeed(values []any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case uint16:
			fmt.Fprintf(&b, "uint16(%d)\n", v)
		default:
			panic(fmt.Sprintf("seed value of type %T", v))
		}
	}
	return b.Bytes()
}

// TestFuzzSeedCorpus checks that testdata/fuzz holds every seed of the
// tables, byte for byte, and writes them with -update-fuzz-corpus.
func TestFuzzSeedCorpus(t *testing.T) {
	targets := map[string][]fuzzSeed{
		"FuzzReadServer": readSeeds(true),
		"FuzzReadClient": readSeeds(false),
		"FuzzDecompress": decompressSeeds(),
		"FuzzUpgrade":    upgradeSeeds(),
	}
	for target, seeds := range targets {
		dir := filepath.Join("testdata", "fuzz", target)
		if *updateFuzzCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range seeds {
			path := filepath.Join(dir, "seed-"+s.name)
			want := marshalFuzzSeed(s.values)
			if *updateFuzzCorpus {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or out of date (%v): run go test -run TestFuzzSeedCorpus -update-fuzz-corpus .", path, err)
			}
		}
	}
}

// Mode bytes of the reading targets (see decodeFuzzReadMode).
const (
	modePlain        = 3 << 2 // no compression, 64 KiB limit, 4 KiB buffer
	modeSmallLimit   = 0      // no compression, 16-byte limit
	modeTinyBuffer   = 3<<2 | 1<<4
	modeNoTakeover   = 1 | 3<<2
	modeTakeover     = 2 | 3<<2
	modeSmallWindow  = 3 | 3<<2
	modeDeflateLimit = 1 | 1<<2 // no context takeover, 200-byte limit
)

// deflateMessage compresses messages one after the other with one
// compressor, as a sender under context takeover does, each ended with a
// sync flush whose tail is removed (RFC 7692 section 7.2.1). With a fresh
// compressor per message it is no context takeover.
func deflateMessage(level int, messages ...string) [][]byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, level)
	var out [][]byte
	for _, m := range messages {
		buf.Reset()
		w.Write([]byte(m))
		w.Flush()
		out = append(out, bytes.TrimSuffix(slices.Clone(buf.Bytes()), deflateTail[:]))
	}
	return out
}

// deflateFinal compresses a message as a complete stream, which
// compress/flate ends with an empty stored block with BFINAL set, and
// removes the last four bytes of that block (RFC 7692 sections 7.2.1 and
// 7.2.3.4). With keepTail, the bytes stay: four bytes after the end.
func deflateFinal(message string, keepTail bool) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write([]byte(message))
	w.Close()
	if keepTail {
		return buf.Bytes()
	}
	return bytes.TrimSuffix(buf.Bytes(), deflateTail[:])
}

// rfc7692Final is the example of RFC 7692 section 7.2.3.4: "Hello" in a
// fixed Huffman block with BFINAL set, then the first byte of an empty
// stored block.
var rfc7692Final = []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}

// frames concatenates encoded frames.
func frames(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// readSeeds are the seeds of FuzzReadServer (masked frames) and
// FuzzReadClient (unmasked): the valid cases and one of each violation.
func readSeeds(masked bool) []fuzzSeed {
	frame := func(first byte, payload string) []byte { return encodeTestFrame(first, []byte(payload), masked) }
	header := func(b ...byte) []byte {
		if masked {
			b[1] |= 0x80
			b = append(b, 0, 0, 0, 0) // the zero key leaves the payload as it is
		}
		return b
	}
	closePayload := func(code uint16, reason string) string {
		return string(binary.BigEndian.AppendUint16(nil, code)) + reason
	}
	hello := deflateMessage(flate.BestSpeed, "hello, hello, hello")[0]
	takeover := deflateMessage(flate.BestSpeed, "the same sentence, twice", "the same sentence, twice")
	compressed := func(first byte, payload []byte) []byte { return encodeTestFrame(first, payload, masked) }
	big := deflateMessage(flate.BestCompression, strings.Repeat("z", 1<<14))[0]
	seed := func(name string, mode byte, parts ...[]byte) fuzzSeed {
		return fuzzSeed{name: name, values: []any{frames(parts...), mode}}
	}
	seeds := []fuzzSeed{
		seed("empty", modePlain),
		seed("text", modePlain, frame(0x81, "hello")),
		seed("binary-then-text", modeTinyBuffer, frame(0x82, "\x00\x01\x02"), frame(0x81, "é")),
		seed("fragmented-with-ping", modePlain, frame(0x01, "frag"), frame(0x89, "ping"), frame(0x00, "men"), frame(0x80, "ted")),
		seed("utf8-split-across-frames", modePlain, frame(0x01, "\xe2\x82"), frame(0x80, "\xac")),
		seed("empty-frames", modePlain, frame(0x02, ""), frame(0x00, ""), frame(0x80, ""), frame(0x81, "")),
		seed("pong", modePlain, frame(0x8A, "unsolicited"), frame(0x81, "after")),
		seed("close-1000", modePlain, frame(0x88, closePayload(1000, "bye"))),
		seed("close-empty", modePlain, frame(0x88, "")),
		seed("close-4999", modePlain, frame(0x88, closePayload(4999, ""))),
		seed("close-one-byte", modePlain, frame(0x88, "\x03")),
		seed("close-code-1005", modePlain, frame(0x88, closePayload(1005, ""))),
		seed("close-reason-bad-utf8", modePlain, frame(0x88, closePayload(1000, "\xff"))),
		seed("wrong-masking", modePlain, encodeTestFrame(0x81, []byte("hi"), !masked)),
		seed("rsv2", modePlain, frame(0xA1, "x")),
		seed("rsv1-not-negotiated", modePlain, frame(0xC1, "x")),
		seed("opcode-3", modePlain, frame(0x83, "")),
		seed("opcode-11", modePlain, frame(0x8B, "")),
		seed("ping-126-bytes", modePlain, frame(0x89, strings.Repeat("p", 126))),
		seed("fragmented-ping", modePlain, frame(0x09, "p")),
		seed("continuation-first", modePlain, frame(0x80, "x")),
		seed("text-inside-fragmented", modePlain, frame(0x01, "a"), frame(0x81, "b")),
		seed("length-msb-set", modePlain, header(0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0)),
		seed("length-16-not-minimal", modePlain, header(0x82, 126, 0, 5), []byte("hello")),
		seed("length-64-not-minimal", modePlain, header(0x82, 127, 0, 0, 0, 0, 0, 0, 0, 5), []byte("hello")),
		seed("length-64-huge", modePlain, header(0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)),
		seed("invalid-utf8", modePlain, frame(0x81, "ok\xff")),
		seed("text-ends-mid-sequence", modePlain, frame(0x81, "\xe2\x82")),
		seed("surrogate", modePlain, frame(0x81, "\xed\xa0\x80")),
		seed("over-read-limit", modeSmallLimit, frame(0x82, strings.Repeat("b", 17))),
		seed("fragments-over-read-limit", modeSmallLimit, frame(0x02, strings.Repeat("b", 10)), frame(0x80, strings.Repeat("b", 10))),
		seed("truncated-header", modePlain, []byte{0x81}),
		seed("truncated-payload", modePlain, frame(0x81, "hello")[:5]),
		seed("compressed", modeNoTakeover, compressed(0xC1, hello)),
		seed("compressed-fragmented", modeNoTakeover, compressed(0x41, hello[:3]), compressed(0x80, hello[3:])),
		seed("compressed-final-block", modeNoTakeover, compressed(0xC1, deflateFinal("final block", false))),
		seed("compressed-rfc7692-bfinal", modeNoTakeover, compressed(0xC1, rfc7692Final), compressed(0xC1, hello)),
		seed("compressed-takeover", modeTakeover, compressed(0xC1, takeover[0]), compressed(0xC1, takeover[1])),
		seed("compressed-small-window", modeSmallWindow, compressed(0xC1, takeover[0]), compressed(0xC1, takeover[1])),
		seed("compressed-over-limit", modeDeflateLimit, compressed(0xC2, big)),
		seed("compressed-corrupt", modeNoTakeover, compressed(0xC2, []byte{0xff, 0xff, 0xff})),
		seed("rsv1-on-continuation", modeNoTakeover, frame(0x01, "a"), frame(0xC0, "b")),
		seed("rsv1-on-ping", modeNoTakeover, frame(0xC9, "")),
		seed("uncompressed-with-compression", modeNoTakeover, frame(0x81, "plain")),
	}
	return seeds
}

// decompressSeeds are the seeds of FuzzDecompress: data, split, flags.
func decompressSeeds() []fuzzSeed {
	const (
		text        = 1
		takeover    = 1 << 1
		smallWindow = 2 << 1
		limit200    = 1 << 3
		limit4096   = 2 << 3
		limit64K    = 3 << 3
	)
	seed := func(name string, data []byte, split uint16, flags byte) fuzzSeed {
		return fuzzSeed{name: name, values: []any{data, split, flags}}
	}
	repeated := strings.Repeat("the same sentence, again and again. ", 30)
	bomb := deflateMessage(flate.BestCompression, strings.Repeat("\x00", 1<<20))[0]
	return []fuzzSeed{
		seed("sync-flush", deflateMessage(flate.BestSpeed, "hello, world")[0], 0, limit4096),
		seed("sync-flush-text-split", deflateMessage(flate.BestSpeed, "héllo, wörld")[0], 4, text|limit4096),
		seed("final-block", deflateFinal("a final block", false), 0, limit4096),
		seed("rfc7692-bfinal", rfc7692Final, 0, text|limit4096),
		seed("rfc7692-bfinal-takeover", rfc7692Final, 3, text|takeover|limit4096),
		seed("final-block-and-tail", deflateFinal("the tail stays", true), 0, limit4096),
		seed("huffman-only", deflateMessage(flate.HuffmanOnly, repeated)[0], 7, text|limit64K),
		seed("stored", deflateMessage(flate.NoCompression, "stored block")[0], 0, limit4096),
		seed("empty", nil, 0, limit200),
		seed("empty-stored-block", []byte{0x00}, 0, limit200),
		seed("takeover", deflateMessage(flate.BestCompression, repeated)[0], 10, text|takeover|limit64K),
		seed("small-window", deflateMessage(flate.BestCompression, repeated)[0], 0, smallWindow|limit64K),
		seed("over-limit", deflateMessage(flate.BestSpeed, repeated)[0], 0, text|limit200),
		seed("bomb", bomb, 100, limit4096),
		seed("corrupt", []byte{0xff, 0xfe, 0xfd, 0xfc}, 0, limit4096),
		seed("data-after-final-block", append(deflateFinal("end", false), 0x00, 0x00), 0, limit4096),
		seed("invalid-utf8", deflateMessage(flate.BestSpeed, "bad \xff text")[0], 0, text|limit4096),
		seed("utf8-cut-at-end", deflateMessage(flate.BestSpeed, "cut \xe2\x82")[0], 0, text|limit4096),
	}
}

// upgradeSeeds are the seeds of FuzzUpgrade: method, header lines, flags.
func upgradeSeeds() []fuzzSeed {
	const valid = "Host: example.com\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
	seed := func(name, method, header string, flags byte) fuzzSeed {
		return fuzzSeed{name: name, values: []any{method, header, flags}}
	}
	return []fuzzSeed{
		seed("valid", "GET", valid, 0),
		seed("valid-all-options", "GET", valid+"Sec-WebSocket-Protocol: superchat, chat\n", 31),
		seed("deflate-offer", "GET", valid+"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\n", 1),
		seed("deflate-offers-tuned", "GET", valid+"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8; client_max_window_bits=9, permessage-deflate\n", 1|8),
		seed("deflate-offer-malformed", "GET", valid+"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=016\n", 1),
		seed("deflate-offer-unknown-param", "GET", valid+"Sec-WebSocket-Extensions: permessage-deflate; x=1, x-webkit-deflate-frame\n", 1),
		seed("subprotocol-not-offered", "GET", valid+"Sec-WebSocket-Protocol: other\n", 2),
		seed("post", "POST", valid, 0),
		seed("no-connection-upgrade", "GET", strings.Replace(valid, "Connection: Upgrade", "Connection: keep-alive", 1), 0),
		seed("connection-token-list", "GET", strings.Replace(valid, "Connection: Upgrade", "Connection: keep-alive, Upgrade", 1), 0),
		seed("no-upgrade", "GET", strings.Replace(valid, "Upgrade: websocket\n", "", 1), 0),
		seed("version-8", "GET", strings.Replace(valid, "Version: 13", "Version: 8", 1), 0),
		seed("key-short", "GET", strings.Replace(valid, "dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=", 1), 0),
		seed("key-not-base64", "GET", strings.Replace(valid, "dGhlIHNhbXBsZSBub25jZQ==", "!!!!!!!!!!!!!!!!!!!!!!!=", 1), 0),
		seed("cross-origin", "GET", valid+"Origin: https://evil.example\n", 0),
		seed("same-origin", "GET", valid+"Origin: https://example.com\n", 0),
		seed("cross-origin-allowed", "GET", valid+"Origin: https://evil.example\n", 4),
		seed("custom-error", "PUT", valid, 16),
		seed("empty", "", "", 0),
	}
}
