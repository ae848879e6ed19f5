package websocket

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// compressionModes are the parameter combinations the round-trip tests run:
// every combination of the four RFC 7692 parameters, with window bits at
// both ends of their range.
func compressionModes() []CompressionOptions {
	var modes []CompressionOptions
	for _, serverTakeover := range []bool{false, true} {
		for _, clientTakeover := range []bool{false, true} {
			for _, bits := range [][2]int{{0, 0}, {8, 8}, {9, 15}, {15, 9}, {12, 0}} {
				modes = append(modes, CompressionOptions{
					ServerContextTakeover: serverTakeover,
					ClientContextTakeover: clientTakeover,
					ServerMaxWindowBits:   bits[0],
					ClientMaxWindowBits:   bits[1],
					Threshold:             -1,
				})
			}
		}
	}
	return modes
}

func TestCompressionRoundTrip(t *testing.T) {
	for _, mode := range compressionModes() {
		sizes := []int{0, 1, 125, 200, 4096, 70_000}
		if mode.ServerMaxWindowBits == 0 && mode.ClientMaxWindowBits == 0 {
			// 1 MiB needs many windows of history; once per takeover combination.
			sizes = append(sizes, 1<<20)
		}
		t.Run(compressionModeName(mode), func(t *testing.T) {
			c := dialCompressedEcho(t, mode)
			c.SetReadDeadline(time.Now().Add(testTimeout))
			for round := 0; round < 2; round++ { // the second round uses the window of the first
				for _, messageType := range []int{TextMessage, BinaryMessage} {
					for _, n := range sizes {
						want := compressibleText(n, round)
						if messageType == BinaryMessage {
							want = testPayload(BinaryMessage, n)
						}
						if err := c.WriteMessage(messageType, want); err != nil {
							t.Fatal(err)
						}
						gotType, got, err := c.ReadMessage()
						if err != nil || gotType != messageType || !bytes.Equal(got, want) {
							t.Fatalf("round %d type %d %d bytes: got type %d, %d bytes, %v", round, messageType, n, gotType, len(got), err)
						}
					}
				}
			}
		})
	}
}

// compressionModeName names a subtest after mode.
func compressionModeName(mode CompressionOptions) string {
	return fmt.Sprintf("server_takeover=%v/client_takeover=%v/server_bits=%d/client_bits=%d",
		mode.ServerContextTakeover, mode.ClientContextTakeover, mode.ServerMaxWindowBits, mode.ClientMaxWindowBits)
}

// dialCompressedEcho starts an echo server and connects to it, both with
// mode, and fails the test unless compression was negotiated.
func dialCompressedEcho(t *testing.T, mode CompressionOptions) *Conn {
	t.Helper()
	url := startServer(t, &Upgrader{EnableCompression: true, Compression: &mode}, echo)
	c := dial(t, &Dialer{EnableCompression: true, Compression: &mode}, url)
	if c.compression == nil {
		t.Fatal("compression not negotiated")
	}
	return c
}

// TestCompressionLongStream sends a stream of short messages, many windows
// long, in every mode: under context takeover the history a reader keeps
// slides many times on the way.
func TestCompressionLongStream(t *testing.T) {
	for _, mode := range compressionModes() {
		t.Run(compressionModeName(mode), func(t *testing.T) {
			c := dialCompressedEcho(t, mode)
			c.SetReadDeadline(time.Now().Add(testTimeout))
			for i := range 400 { // about 100 KB, three 32 KiB windows
				want := compressibleText(150+i%150, i) // may end inside a character: binary
				if err := c.WriteMessage(BinaryMessage, want); err != nil {
					t.Fatal(err)
				}
				if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("message %d: got %d bytes, %v; want the %d sent", i, len(got), err, len(want))
				}
			}
		})
	}
}

// compressibleText returns n bytes of repetitive JSON-like text, varied by seed.
func compressibleText(n, seed int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"user":"user-%d","text":"héllo ✓ message number %d"},`, i, (i+seed)%7, i*seed)
	}
	return b.Bytes()[:n]
}

// TestCompressionNextWriter streams a compressed message through NextWriter
// and reads it through NextReader in small pieces.
func TestCompressionNextWriter(t *testing.T) {
	url := startServer(t, &Upgrader{EnableCompression: true}, streamEcho)
	c := dial(t, &Dialer{EnableCompression: true, WriteBufferSize: 512}, url)
	c.SetReadDeadline(time.Now().Add(testTimeout))
	for _, n := range []int{0, 10, 600, 300_000} {
		want := compressibleText(n, 1)
		w, err := c.NextWriter(TextMessage)
		if err != nil {
			t.Fatal(err)
		}
		for p := want; len(p) > 0; {
			k := min(len(p), 333)
			w.Write(p[:k])
			p = p[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: got %d, %v", n, len(got), err)
		}
	}
}

func TestCompressionPrepared(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		opts := &CompressionOptions{ServerContextTakeover: takeover, ClientContextTakeover: takeover}
		pm, err := NewPreparedMessage(TextMessage, compressibleText(5000, 3))
		if err != nil {
			t.Fatal(err)
		}
		url := startServer(t, &Upgrader{EnableCompression: true, Compression: opts}, func(c *Conn) {
			for i := 0; i < 3; i++ {
				if err := c.WritePreparedMessage(pm); err != nil {
					return
				}
			}
			c.ReadMessage() // wait for the client to close
		})
		for client := 0; client < 2; client++ {
			c := dial(t, &Dialer{EnableCompression: true, Compression: opts}, url)
			c.SetReadDeadline(time.Now().Add(testTimeout))
			for i := 0; i < 3; i++ {
				_, got, err := c.ReadMessage()
				if err != nil || !bytes.Equal(got, pm.data) {
					t.Fatalf("takeover %v, client %d, message %d: %d bytes, %v", takeover, client, i, len(got), err)
				}
			}
			c.Close()
		}
	}
}

func TestNegotiateDeflate(t *testing.T) {
	tests := []struct {
		name     string
		offer    string
		opts     *CompressionOptions
		response string // "" when every offer is declined
		params   deflateParams
	}{
		{
			name:     "bare offer, defaults",
			offer:    "permessage-deflate",
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			params:   deflateParams{writeWindowBits: 15, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "browser offer, takeover allowed",
			offer:    "permessage-deflate; client_max_window_bits",
			opts:     &CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true},
			response: "permessage-deflate",
			params:   deflateParams{writeContextTakeover: true, readContextTakeover: true, writeWindowBits: 15, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "client forbids server takeover",
			offer:    "permessage-deflate; server_no_context_takeover",
			opts:     &CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true},
			response: "permessage-deflate; server_no_context_takeover",
			params:   deflateParams{readContextTakeover: true, writeWindowBits: 15, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "client limits the server window",
			offer:    "permessage-deflate; server_max_window_bits=10",
			opts:     &CompressionOptions{ServerMaxWindowBits: 12},
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10",
			params:   deflateParams{writeWindowBits: 10, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "server limits its own window unasked",
			offer:    "permessage-deflate",
			opts:     &CompressionOptions{ServerMaxWindowBits: 9},
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9",
			params:   deflateParams{writeWindowBits: 9, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "server limits the client window when allowed",
			offer:    "permessage-deflate; client_max_window_bits",
			opts:     &CompressionOptions{ClientMaxWindowBits: 11},
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=11",
			params:   deflateParams{writeWindowBits: 15, readWindowBits: 11, threshold: 128},
		},
		{
			name:     "client window bits offered with a value",
			offer:    "permessage-deflate; client_max_window_bits=9",
			opts:     &CompressionOptions{ClientMaxWindowBits: 11},
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9",
			params:   deflateParams{writeWindowBits: 15, readWindowBits: 9, threshold: 128},
		},
		{
			name:     "client window cannot be limited without the parameter",
			offer:    "permessage-deflate",
			opts:     &CompressionOptions{ClientMaxWindowBits: 11},
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			params:   deflateParams{writeWindowBits: 15, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "first acceptable of several offers",
			offer:    "x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=7, permessage-deflate; server_max_window_bits=8",
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8",
			params:   deflateParams{writeWindowBits: 8, readWindowBits: 15, threshold: 128},
		},
		{name: "duplicate parameter", offer: "permessage-deflate; server_no_context_takeover; server_no_context_takeover"},
		{name: "value on a flag", offer: "permessage-deflate; client_no_context_takeover=1"},
		{name: "window bits too small", offer: "permessage-deflate; server_max_window_bits=7"},
		{name: "window bits too large", offer: "permessage-deflate; client_max_window_bits=16"},
		{name: "window bits with a leading zero", offer: "permessage-deflate; server_max_window_bits=09"},
		{name: "server window bits without a value", offer: "permessage-deflate; server_max_window_bits"},
		{name: "unknown parameter", offer: "permessage-deflate; foo=1"},
		{name: "other extension only", offer: "x-webkit-deflate-frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offers, err := parseExtensions(http.Header{"Sec-Websocket-Extensions": {tt.offer}})
			if err != nil {
				t.Fatal(err)
			}
			response, params := negotiateDeflate(offers, tt.opts)
			if response != tt.response {
				t.Fatalf("response %q, want %q", response, tt.response)
			}
			if params != tt.params {
				t.Fatalf("params %+v, want %+v", params, tt.params)
			}
		})
	}
}

func TestAcceptDeflateResponse(t *testing.T) {
	tests := []struct {
		name     string
		opts     *CompressionOptions
		response string
		params   deflateParams
		err      string // a substring of the error; "" for success
	}{
		{
			name:     "defaults echoed",
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			params:   deflateParams{writeWindowBits: 15, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "server keeps its context although asked not to",
			response: "permessage-deflate; client_no_context_takeover",
			params:   deflateParams{readContextTakeover: true, writeWindowBits: 15, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "client takeover allowed",
			opts:     &CompressionOptions{ClientContextTakeover: true, ServerContextTakeover: true},
			response: "permessage-deflate",
			params:   deflateParams{writeContextTakeover: true, readContextTakeover: true, writeWindowBits: 15, readWindowBits: 15, threshold: 128},
		},
		{
			name:     "server limits both windows",
			response: "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
			params:   deflateParams{readContextTakeover: true, writeWindowBits: 9, readWindowBits: 10, threshold: 128},
		},
		{name: "server window above the offer", opts: &CompressionOptions{ServerMaxWindowBits: 10}, response: "permessage-deflate; server_max_window_bits=11", err: "server_max_window_bits above"},
		{name: "client window above the offer", opts: &CompressionOptions{ClientMaxWindowBits: 10}, response: "permessage-deflate; client_max_window_bits=12", err: "client_max_window_bits above"},
		{name: "client window without a value", response: "permessage-deflate; client_max_window_bits", err: "without a value"},
		{name: "unknown parameter", response: "permessage-deflate; foo", err: "unknown parameter"},
		{name: "duplicate parameter", response: "permessage-deflate; server_no_context_takeover; server_no_context_takeover", err: "duplicate"},
		{name: "two extensions", response: "permessage-deflate, permessage-deflate", err: "once"},
		{name: "another extension", response: "x-webkit-deflate-frame", err: "once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			responses, err := parseExtensions(http.Header{"Sec-Websocket-Extensions": {tt.response}})
			if err != nil {
				t.Fatal(err)
			}
			params, err := acceptDeflateResponse(responses, tt.opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || params != tt.params {
				t.Fatalf("params %+v, %v; want %+v", params, err, tt.params)
			}
		})
	}
}

// TestDeflateOfferHeader pins the client's offers.
func TestDeflateOfferHeader(t *testing.T) {
	tests := []struct {
		opts *CompressionOptions
		want string
	}{
		{nil, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits"},
		{&CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true}, "permessage-deflate; client_max_window_bits"},
		{&CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 12}, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12"},
	}
	for _, tt := range tests {
		if got := deflateOfferHeader(tt.opts); got != tt.want {
			t.Errorf("offer %q, want %q", got, tt.want)
		}
	}
}

// TestDialRejectsInvalidDeflateResponse fails the handshake when the server's
// answer is not allowed by the offer.
func TestDialRejectsInvalidDeflateResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			computeAcceptKey(r.Header.Get("Sec-Websocket-Key")) + "\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n\r\n")
		brw.Flush()
	}))
	defer srv.Close()
	d := &Dialer{EnableCompression: true, Compression: &CompressionOptions{ServerMaxWindowBits: 10}}
	_, _, err := d.Dial(httpToWS(srv.URL), nil)
	if err == nil || !strings.Contains(err.Error(), "invalid permessage-deflate response") {
		t.Fatalf("Dial: %v, want the invalid response error", err)
	}
}

// deflateForTest compresses p the way RFC 7692 section 7.2.1 describes, with
// the standard library alone: a sync flush, its tail removed.
func deflateForTest(t testing.TB, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(p)
	fw.Flush()
	out := b.Bytes()
	if !bytes.HasSuffix(out, deflateTail[:]) {
		t.Fatal("flate did not end with a sync flush")
	}
	return out[:len(out)-len(deflateTail)]
}

// TestCompressionViolations sends broken compressed input from a raw client
// and checks the close code and the error of the read.
func TestCompressionViolations(t *testing.T) {
	const readLimit = 64 << 10
	bomb := deflateForTest(t, make([]byte, 10<<20)) // 10 MiB of zeros in about 10 KiB
	compressedText := deflateForTest(t, []byte("héllo"))
	tests := []struct {
		name    string
		send    func(p *rawPeer)
		code    int
		wantErr func(error) bool
	}{
		{
			name: "decompression bomb",
			send: func(p *rawPeer) { p.writeFrame(finalBit|rsv1Bit|binaryFrame, bomb) },
			code: CloseMessageTooBig, wantErr: func(err error) bool { return err == ErrReadLimit },
		},
		{
			name: "RSV1 on a continuation frame",
			send: func(p *rawPeer) {
				p.writeFrame(rsv1Bit|textFrame, compressedText[:2])
				p.writeFrame(finalBit|rsv1Bit|continuationFrame, compressedText[2:])
			},
			code: CloseProtocolError, wantErr: isProtocolError(CloseProtocolError),
		},
		{
			name: "RSV1 on a control frame",
			send: func(p *rawPeer) { p.writeFrame(finalBit|rsv1Bit|pingFrame, nil) },
			code: CloseProtocolError, wantErr: isProtocolError(CloseProtocolError),
		},
		{
			name: "invalid deflate data",
			send: func(p *rawPeer) { p.writeFrame(finalBit|rsv1Bit|binaryFrame, []byte{0xff, 0xff, 0xff, 0xff}) },
			code: CloseInvalidFramePayloadData, wantErr: isProtocolError(CloseInvalidFramePayloadData),
		},
		{
			name: "invalid UTF-8 inside compressed text",
			send: func(p *rawPeer) {
				p.writeFrame(finalBit|rsv1Bit|textFrame, deflateForTest(t, []byte("ok \xed\xa0\x80")))
			},
			code: CloseInvalidFramePayloadData, wantErr: isProtocolError(CloseInvalidFramePayloadData),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readErr := make(chan error, 1)
			var allocated uint64
			url := startServer(t, &Upgrader{EnableCompression: true}, func(c *Conn) {
				c.SetReadLimit(readLimit)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, _, err := c.ReadMessage()
				runtime.ReadMemStats(&after)
				allocated = after.TotalAlloc - before.TotalAlloc
				readErr <- err
			})
			p := dialRaw(t, url, "Sec-WebSocket-Extensions: permessage-deflate")
			tt.send(p)
			if code := p.expectClose(); code != tt.code {
				t.Fatalf("close code %d, want %d", code, tt.code)
			}
			if err := <-readErr; !tt.wantErr(err) {
				t.Fatalf("read error %v", err)
			}
			// The bomb must fail without inflating: a few MiB of buffers at
			// most, never the 10 MiB it holds.
			if allocated > 4<<20 {
				t.Fatalf("the read allocated %d bytes", allocated)
			}
		})
	}
}

// isProtocolError matches a *ProtocolError with the given close code.
func isProtocolError(code int) func(error) bool {
	return func(err error) bool {
		var pe *ProtocolError
		return errors.As(err, &pe) && pe.Code == code
	}
}

// TestCompressionOnTheWire checks that compressed messages really are
// smaller on the wire, and that the threshold keeps small ones plain.
func TestCompressionOnTheWire(t *testing.T) {
	url, peers := serveRawWithHeader(t, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover")
	c := dial(t, &Dialer{EnableCompression: true}, url)
	peer := <-peers
	message := compressibleText(16<<10, 1)
	c.WriteMessage(TextMessage, message)
	c.WriteMessage(TextMessage, []byte("tiny"))
	f, err := peer.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	if f.first&rsv1Bit == 0 || len(f.payload)*4 > len(message) {
		t.Fatalf("16 KiB of JSON went as %d bytes, RSV1 %v", len(f.payload), f.first&rsv1Bit != 0)
	}
	got, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(f.payload), bytes.NewReader(deflateTail[:]))))
	if !bytes.Equal(got, message) {
		t.Fatalf("the standard inflater read %d bytes (%v), want the message", len(got), err)
	}
	if f, err = peer.readFrame(); err != nil || f.first&rsv1Bit != 0 || string(f.payload) != "tiny" {
		t.Fatalf("a message under the threshold: %+v, %v", f, err)
	}
	// NextWriter does not know the size in advance: it always compresses.
	w, _ := c.NextWriter(TextMessage)
	io.WriteString(w, "tiny")
	w.Close()
	if f, err = peer.readFrame(); err != nil || f.first&rsv1Bit == 0 {
		t.Fatalf("a NextWriter message: %+v, %v; want RSV1", f, err)
	}
}

// TestCompressedReadLimitSmallWindow accepts a message within the read limit
// whose compressed form is larger than the limit, as incompressible data
// sent with a small window is.
func TestCompressedReadLimitSmallWindow(t *testing.T) {
	opts := &CompressionOptions{ClientMaxWindowBits: 8, Threshold: -1}
	got := make(chan error, 1)
	url := startServer(t, &Upgrader{EnableCompression: true, Compression: opts}, func(c *Conn) {
		c.SetReadLimit(64 << 10)
		_, _, err := c.ReadMessage()
		got <- err
	})
	c := dial(t, &Dialer{EnableCompression: true, Compression: opts}, url)
	if err := c.WriteMessage(BinaryMessage, testPayload(BinaryMessage, 64000)); err != nil {
		t.Fatal(err)
	}
	if err := awaitValue(t, got); err != nil {
		t.Fatalf("64000 bytes under a 64 KiB read limit: %v", err)
	}
}
