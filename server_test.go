package websocket

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tests of the server side of the opening handshake (server.go): the error
// answers of Upgrader.Upgrade, the origin check, subprotocol negotiation and
// what survives the switch from HTTP to WebSocket.

// serverTestKey is the sample nonce of RFC 6455 section 1.3.
const serverTestKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeResult is what the handler of an upgradeServer saw.
type upgradeResult struct {
	conn *Conn
	err  error
}

// startUpgradeServer serves u.Upgrade(w, r, responseHeader) on 127.0.0.1 and
// reports each result on the returned channel. A successful conn is passed
// to handler (which may be nil) and closed after it.
func startUpgradeServer(t *testing.T, u *Upgrader, responseHeader http.Header, handler Handler) (addr string, results <-chan upgradeResult) {
	t.Helper()
	ch := make(chan upgradeResult, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Upgrade(w, r, responseHeader)
		ch <- upgradeResult{conn: c, err: err}
		if err != nil {
			return
		}
		defer c.Close()
		if handler != nil {
			handler(c)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), ch
}

// receiveUpgrade waits, bounded, for the next result of an upgrade server.
func receiveUpgrade(t *testing.T, results <-chan upgradeResult) upgradeResult {
	t.Helper()
	select {
	case r := <-results:
		return r
	case <-time.After(testTimeout):
		t.Fatal("the handler never reported the result of Upgrade")
		return upgradeResult{}
	}
}

// validUpgradeHeader returns the headers of a valid client handshake.
func validUpgradeHeader() http.Header {
	return http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {serverTestKey},
	}
}

// rawHTTPExchange sends a request with exactly the given method and headers
// to addr over a fresh connection and returns the response with its body read
// (for a 101 the body is empty and the connection is closed).
func rawHTTPExchange(t *testing.T, addr, method string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(conn, formatRawRequest(addr, method, header)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		if body, err = io.ReadAll(resp.Body); err != nil {
			t.Fatalf("read body: %v", err)
		}
	}
	return resp, body
}

// formatRawRequest writes an HTTP/1.1 request line, Host and header, in a
// stable order, as they go on the wire.
func formatRawRequest(addr, method string, header http.Header) string {
	var b strings.Builder
	b.WriteString(method + " / HTTP/1.1\r\nHost: " + addr + "\r\n")
	keys := make([]string, 0, len(header))
	for k := range header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestUpgradeHandshakeFailures(t *testing.T) {
	encodedKey := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name           string
		method         string
		edit           func(h http.Header)
		responseHeader http.Header
		status         int
		reason         string
	}{
		{name: "POST", method: http.MethodPost, status: http.StatusMethodNotAllowed, reason: errMethodNotGET},
		{name: "PUT", method: http.MethodPut, status: http.StatusMethodNotAllowed, reason: errMethodNotGET},
		{name: "no Connection", edit: func(h http.Header) { h.Del("Connection") },
			status: http.StatusBadRequest, reason: errNoConnectionUpgade},
		{name: "Connection keep-alive", edit: func(h http.Header) { h.Set("Connection", "keep-alive") },
			status: http.StatusBadRequest, reason: errNoConnectionUpgade},
		{name: "no Upgrade", edit: func(h http.Header) { h.Del("Upgrade") },
			status: http.StatusBadRequest, reason: errNoUpgradeWebSocket},
		{name: "Upgrade h2c", edit: func(h http.Header) { h.Set("Upgrade", "h2c") },
			status: http.StatusBadRequest, reason: errNoUpgradeWebSocket},
		{name: "version 8", edit: func(h http.Header) { h.Set("Sec-Websocket-Version", "8") },
			status: http.StatusUpgradeRequired, reason: errUnsupportedVersion},
		{name: "no version", edit: func(h http.Header) { h.Del("Sec-Websocket-Version") },
			status: http.StatusUpgradeRequired, reason: errUnsupportedVersion},
		{name: "no key", edit: func(h http.Header) { h.Del("Sec-Websocket-Key") },
			status: http.StatusBadRequest, reason: errBadChallengeKey},
		{name: "key not base64", edit: func(h http.Header) { h.Set("Sec-Websocket-Key", "!!!!!!!!!!!!!!!!!!!!!!==") },
			status: http.StatusBadRequest, reason: errBadChallengeKey},
		{name: "key of 15 bytes", edit: func(h http.Header) { h.Set("Sec-Websocket-Key", encodedKey(15)) },
			status: http.StatusBadRequest, reason: errBadChallengeKey},
		// 17 bytes encode to 24 characters, the length of a valid key.
		{name: "key of 17 bytes", edit: func(h http.Header) { h.Set("Sec-Websocket-Key", encodedKey(17)) },
			status: http.StatusBadRequest, reason: errBadChallengeKey},
		{name: "origin of another host", edit: func(h http.Header) { h.Set("Origin", "http://example.com") },
			status: http.StatusForbidden, reason: errOriginRejected},
		{name: "application extensions", responseHeader: http.Header{"Sec-Websocket-Extensions": {"x-custom"}},
			status: http.StatusInternalServerError, reason: errAppExtensions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			header := validUpgradeHeader()
			if tt.edit != nil {
				tt.edit(header)
			}

			t.Run("default error", func(t *testing.T) {
				addr, results := startUpgradeServer(t, &Upgrader{}, tt.responseHeader, nil)
				resp, body := rawHTTPExchange(t, addr, method, header)
				checkHandshakeError(t, receiveUpgrade(t, results), tt.reason)
				if resp.StatusCode != tt.status {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
				}
				if want := http.StatusText(tt.status) + "\n"; string(body) != want {
					t.Errorf("body = %q, want %q", body, want)
				}
				if tt.status == http.StatusUpgradeRequired {
					// RFC 6455 section 4.4: name the version the server speaks.
					if got := resp.Header.Values("Sec-Websocket-Version"); !slices.Equal(got, []string{"13"}) {
						t.Errorf("Sec-WebSocket-Version = %q, want [13]", got)
					}
				}
			})

			t.Run("Upgrader.Error", func(t *testing.T) {
				type call struct {
					status int
					err    error
				}
				calls := make(chan call, 4)
				u := &Upgrader{Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
					calls <- call{status, reason}
					w.WriteHeader(status)
					io.WriteString(w, "custom")
				}}
				addr, results := startUpgradeServer(t, u, tt.responseHeader, nil)
				resp, body := rawHTTPExchange(t, addr, method, header)
				res := receiveUpgrade(t, results)
				checkHandshakeError(t, res, tt.reason)
				if len(calls) != 1 {
					t.Fatalf("Error called %d times, want once", len(calls))
				}
				c := <-calls
				if c.status != tt.status {
					t.Errorf("Error got status %d, want %d", c.status, tt.status)
				}
				if c.err != res.err {
					t.Errorf("Error got %v, Upgrade returned %v", c.err, res.err)
				}
				if resp.StatusCode != tt.status || string(body) != "custom" {
					t.Errorf("response = %d %q, want %d %q", resp.StatusCode, body, tt.status, "custom")
				}
			})
		})
	}
}

// checkHandshakeError checks that Upgrade failed with a HandshakeError
// saying reason, and returned no Conn.
func checkHandshakeError(t *testing.T, res upgradeResult, reason string) {
	t.Helper()
	if res.conn != nil {
		res.conn.Close()
		t.Fatal("Upgrade returned a Conn, want a failure")
	}
	var he HandshakeError
	if !errors.As(res.err, &he) {
		t.Fatalf("Upgrade error = %T %v, want a HandshakeError", res.err, res.err)
	}
	if he.Error() != reason {
		t.Errorf("Upgrade error = %q, want %q", he.Error(), reason)
	}
}

func TestUpgradeWithoutHijacker(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	r.Header = validUpgradeHeader()
	w := httptest.NewRecorder()
	c, err := (&Upgrader{}).Upgrade(w, r, nil)
	if c != nil {
		t.Fatal("Upgrade returned a Conn over a ResponseWriter that cannot hijack")
	}
	var he HandshakeError
	if !errors.As(err, &he) || !strings.HasPrefix(he.Error(), errNoHijack) {
		t.Errorf("error = %v, want a HandshakeError starting with %q", err, errNoHijack)
	}
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", w.Code)
	}
}

func TestOriginCheck(t *testing.T) {
	acceptAll := func(*http.Request) bool { return true }
	rejectAll := func(*http.Request) bool { return false }
	tests := []struct {
		name        string
		origin      func(addr string) string // "" sends no Origin
		checkOrigin func(*http.Request) bool
		wantStatus  int
	}{
		{name: "no origin", origin: func(string) string { return "" }, wantStatus: http.StatusSwitchingProtocols},
		{name: "same host", origin: func(addr string) string { return "http://" + addr }, wantStatus: http.StatusSwitchingProtocols},
		{name: "same host other scheme", origin: func(addr string) string { return "https://" + addr }, wantStatus: http.StatusSwitchingProtocols},
		{name: "other host", origin: func(string) string { return "http://example.com" }, wantStatus: http.StatusForbidden},
		{name: "other port", origin: func(addr string) string { return "http://" + addr[:strings.LastIndexByte(addr, ':')] + ":1" },
			wantStatus: http.StatusForbidden},
		{name: "null origin", origin: func(string) string { return "null" }, wantStatus: http.StatusForbidden},
		{name: "CheckOrigin accepts other host", origin: func(string) string { return "http://example.com" },
			checkOrigin: acceptAll, wantStatus: http.StatusSwitchingProtocols},
		{name: "CheckOrigin rejects same host", origin: func(addr string) string { return "http://" + addr },
			checkOrigin: rejectAll, wantStatus: http.StatusForbidden},
		{name: "CheckOrigin rejects no origin", origin: func(string) string { return "" },
			checkOrigin: rejectAll, wantStatus: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, results := startUpgradeServer(t, &Upgrader{CheckOrigin: tt.checkOrigin}, nil, nil)
			header := http.Header{}
			if o := tt.origin(addr); o != "" {
				header.Set("Origin", o)
			}
			c, resp, err := (&Dialer{}).Dial("ws://"+addr+"/", header)
			res := receiveUpgrade(t, results)
			if tt.wantStatus == http.StatusSwitchingProtocols {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				c.Close()
				if res.err != nil {
					t.Errorf("Upgrade: %v", res.err)
				}
				return
			}
			if err != ErrBadHandshake {
				t.Fatalf("Dial error = %v, want ErrBadHandshake", err)
			}
			if resp == nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("response = %v, want status %d", resp, tt.wantStatus)
			}
			checkHandshakeError(t, res, errOriginRejected)
		})
	}
}

func TestSubprotocolNegotiation(t *testing.T) {
	tests := []struct {
		name           string
		server         []string
		responseHeader http.Header
		offered        []string
		want           string
	}{
		{name: "server order wins", server: []string{"b", "a"}, offered: []string{"a", "b"}, want: "b"},
		{name: "first common one", server: []string{"x", "a", "b"}, offered: []string{"b", "a"}, want: "a"},
		{name: "no match", server: []string{"a"}, offered: []string{"b"}, want: ""},
		{name: "client offers none", server: []string{"a"}, want: ""},
		{name: "empty server list", server: []string{}, offered: []string{"a"}, want: ""},
		{name: "from response header", responseHeader: http.Header{"Sec-Websocket-Protocol": {"b"}},
			offered: []string{"a", "b"}, want: "b"},
		{name: "neither list nor header", offered: []string{"a"}, want: ""},
		{name: "list replaces response header", server: []string{"a"},
			responseHeader: http.Header{"Sec-Websocket-Protocol": {"b"}}, offered: []string{"a", "b"}, want: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, results := startUpgradeServer(t, &Upgrader{Subprotocols: tt.server}, tt.responseHeader, nil)
			c, resp, err := (&Dialer{Subprotocols: tt.offered}).Dial("ws://"+addr+"/", nil)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			res := receiveUpgrade(t, results)
			if res.err != nil {
				t.Fatalf("Upgrade: %v", res.err)
			}
			if got := res.conn.Subprotocol(); got != tt.want {
				t.Errorf("server Subprotocol() = %q, want %q", got, tt.want)
			}
			if got := c.Subprotocol(); got != tt.want {
				t.Errorf("client Subprotocol() = %q, want %q", got, tt.want)
			}
			var wantHeader []string
			if tt.want != "" {
				wantHeader = []string{tt.want}
			}
			if got := resp.Header.Values("Sec-Websocket-Protocol"); !slices.Equal(got, wantHeader) {
				t.Errorf("Sec-WebSocket-Protocol lines = %q, want %q", got, wantHeader)
			}
		})
	}
}

func TestUpgradeResponseHeader(t *testing.T) {
	responseHeader := http.Header{
		"Set-Cookie": {"session=abc; Path=/", "theme=dark"},
		"X-Test":     {"yes"},
		// Left out: they describe a body, or the handshake writes them.
		"Content-Type":         {"text/plain"},
		"Content-Encoding":     {"gzip"},
		"Content-Length":       {"5"},
		"Transfer-Encoding":    {"chunked"},
		"Vary":                 {"Accept-Encoding"},
		"Connection":           {"close"},
		"Upgrade":              {"h2c"},
		"Sec-Websocket-Accept": {"bogus"},
	}
	addr, results := startUpgradeServer(t, &Upgrader{}, responseHeader, nil)
	c, resp, err := (&Dialer{}).Dial("ws://"+addr+"/", nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if res := receiveUpgrade(t, results); res.err != nil {
		t.Fatalf("Upgrade: %v", res.err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("status = %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Values("Set-Cookie"); !slices.Equal(got, responseHeader["Set-Cookie"]) {
		t.Errorf("Set-Cookie = %q, want %q", got, responseHeader["Set-Cookie"])
	}
	if got := resp.Header.Get("X-Test"); got != "yes" {
		t.Errorf("X-Test = %q, want yes", got)
	}
	for _, name := range []string{"Content-Type", "Content-Encoding", "Content-Length", "Transfer-Encoding", "Vary"} {
		if got := resp.Header.Values(name); len(got) > 0 {
			t.Errorf("the 101 has %s %q", name, got)
		}
	}
	for name, want := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket"} {
		if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("the 101 has %s %q, want only the handshake's %q", name, got, want)
		}
	}
}

// TestUpgradeKeepsPipelinedFrames sends the request and the first frames in
// one write: the server's HTTP reader holds the frames when Upgrade runs.
func TestUpgradeKeepsPipelinedFrames(t *testing.T) {
	for _, readBufferSize := range []int{0, 1024, 8192} {
		t.Run("ReadBufferSize "+strconv.Itoa(readBufferSize), func(t *testing.T) {
			wsURL := startServer(t, &Upgrader{ReadBufferSize: readBufferSize}, echo)
			addr := strings.TrimPrefix(wsURL, "ws://")
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(testTimeout))
			request := []byte(formatRawRequest(addr, http.MethodGet, validUpgradeHeader()))
			request = append(request, encodeTestFrame(0x81, []byte("first"), true)...)
			request = append(request, encodeTestFrame(0x82, []byte("second"), true)...)
			if _, err := conn.Write(request); err != nil {
				t.Fatal(err)
			}
			peer, _ := readUpgradeResponse(t, conn)
			for _, want := range []testFrame{{0x81, []byte("first")}, {0x82, []byte("second")}} {
				f, err := peer.readFrame()
				if err != nil {
					t.Fatalf("read echo: %v", err)
				}
				if f.first != want.first || string(f.payload) != string(want.payload) {
					t.Errorf("echo = %#x %q, want %#x %q", f.first, f.payload, want.first, want.payload)
				}
			}
		})
	}
}

// TestUpgradeHandshakeTimeout has a client that never reads: the 101
// response, made larger than the socket buffers, cannot be written, and the
// write must end at HandshakeTimeout.
func TestUpgradeHandshakeTimeout(t *testing.T) {
	const bigHeaderSize = 32 << 20
	responseHeader := http.Header{"X-Filler": {strings.Repeat("a", bigHeaderSize)}}
	addr, results := startUpgradeServer(t, &Upgrader{HandshakeTimeout: 100 * time.Millisecond}, responseHeader, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetReadBuffer(4096)
	}
	conn.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(conn, formatRawRequest(addr, http.MethodGet, validUpgradeHeader())); err != nil {
		t.Fatal(err)
	}
	res := receiveUpgrade(t, results)
	if res.conn != nil {
		res.conn.Close()
		t.Fatal("Upgrade succeeded although the client never read the response")
	}
	var ne net.Error
	if !errors.As(res.err, &ne) || !ne.Timeout() {
		t.Errorf("Upgrade error = %v, want a timeout", res.err)
	}
}

// TestUpgradeHandshakeTimeoutCleared checks that the handshake deadline does
// not outlive the handshake.
func TestUpgradeHandshakeTimeoutCleared(t *testing.T) {
	const timeout = 50 * time.Millisecond
	wsURL := startServer(t, &Upgrader{HandshakeTimeout: timeout}, func(c *Conn) {
		// Let the deadline pass before the first read and write.
		time.Sleep(3 * timeout)
		echo(c)
	})
	c := dial(t, nil, wsURL)
	c.SetReadDeadline(time.Now().Add(testTimeout))
	time.Sleep(3 * timeout)
	if err := c.WriteMessage(TextMessage, []byte("late")); err != nil {
		t.Fatalf("write: %v", err)
	}
	_, p, err := c.ReadMessage()
	if err != nil || string(p) != "late" {
		t.Fatalf("echo = %q, %v; want late", p, err)
	}
}

func TestDeprecatedUpgrade(t *testing.T) {
	t.Run("no origin check and buffer sizes", func(t *testing.T) {
		type sizes struct{ read, write int }
		got := make(chan sizes, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := Upgrade(w, r, http.Header{"X-Test": {"yes"}}, 1024, 2048)
			if err != nil {
				return
			}
			defer c.Close()
			got <- sizes{c.input.size, c.writeBufferSize}
			echo(c)
		}))
		defer srv.Close()
		c, resp, err := (&Dialer{}).Dial(httpToWS(srv.URL), http.Header{"Origin": {"http://example.com"}})
		if err != nil {
			t.Fatalf("Dial with a foreign origin: %v", err)
		}
		defer c.Close()
		if resp.Header.Get("X-Test") != "yes" {
			t.Error("responseHeader missing from the 101 response")
		}
		select {
		case s := <-got:
			if s.read != 1024 || s.write != 2048 {
				t.Errorf("buffer sizes = %d/%d, want 1024/2048", s.read, s.write)
			}
		case <-time.After(testTimeout):
			t.Fatal("handler did not run")
		}
		c.SetReadDeadline(time.Now().Add(testTimeout))
		if err := c.WriteMessage(TextMessage, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		if _, p, err := c.ReadMessage(); err != nil || string(p) != "hi" {
			t.Fatalf("echo = %q, %v", p, err)
		}
	})

	t.Run("failure writes no response", func(t *testing.T) {
		errs := make(chan error, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := Upgrade(w, r, nil, 0, 0)
			errs <- err
			// The application still owns the response.
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, "app body")
		}))
		defer srv.Close()
		addr := strings.TrimPrefix(srv.URL, "http://")
		header := validUpgradeHeader()
		header.Del("Sec-Websocket-Version")
		resp, body := rawHTTPExchange(t, addr, http.MethodGet, header)
		select {
		case err := <-errs:
			var he HandshakeError
			if !errors.As(err, &he) {
				t.Errorf("Upgrade error = %v, want a HandshakeError", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("handler did not run")
		}
		if resp.StatusCode != http.StatusTeapot || string(body) != "app body" {
			t.Errorf("response = %d %q, want 418 %q", resp.StatusCode, body, "app body")
		}
	})
}
