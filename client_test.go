package websocket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the client side of the opening handshake (client.go) and of
// dialing through proxies (proxy.go) end to end.

// startTLSEchoServer serves echo behind a zero Upgrader over TLS on
// 127.0.0.1. It returns the server, whose certificate is valid for
// 127.0.0.1 and example.com, and the TLS server name each handshake saw.
func startTLSEchoServer(t *testing.T) (*httptest.Server, <-chan string) {
	t.Helper()
	serverNames := make(chan string, 16)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		serverNames <- r.TLS.ServerName
		echo(c)
	}))
	// Failed TLS handshakes are part of the tests; keep them out of the output.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, serverNames
}

// certPool trusts the certificate of a test TLS server.
func certPool(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

// checkEcho sends a message on c and expects it back.
func checkEcho(t *testing.T, c *Conn, message string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(testTimeout))
	if err := c.WriteMessage(TextMessage, []byte(message)); err != nil {
		t.Fatalf("write: %v", err)
	}
	messageType, p, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if messageType != TextMessage || string(p) != message {
		t.Fatalf("echo = %d %q, want %d %q", messageType, p, TextMessage, message)
	}
}

// scriptedServer accepts one connection on 127.0.0.1, reads the handshake
// request and writes what respond returns for it. The returned channel is
// closed when the client closes the connection (or after testTimeout).
func scriptedServer(t *testing.T, respond func(req *http.Request) string) (wsURL string, clientGone <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(testTimeout))
		br := bufio.NewReader(conn)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.WriteString(conn, respond(req)); err != nil {
			return
		}
		io.Copy(io.Discard, br)
	}()
	return "ws://" + ln.Addr().String() + "/", gone
}

// switchingResponse returns a 101 response valid for req, followed by
// extra header lines.
func switchingResponse(req *http.Request, extra string) string {
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		computeAcceptKey(req.Header.Get("Sec-Websocket-Key")) + "\r\n" + extra + "\r\n"
}

// waitClosed waits, bounded, for the client to close its connection.
func waitClosed(t *testing.T, gone <-chan struct{}) {
	t.Helper()
	select {
	case <-gone:
	case <-time.After(testTimeout):
		t.Error("the client did not close the connection after the failed handshake")
	}
}

func TestDialWS(t *testing.T) {
	wsURL := startServer(t, nil, echo)
	c, resp, err := (&Dialer{}).Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("status = %d, want 101", resp.StatusCode)
	}
	checkEcho(t, c, "hello")
}

func TestDialWSS(t *testing.T) {
	srv, serverNames := startTLSEchoServer(t)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	srvAddr := srv.Listener.Addr().String()
	toServer := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srvAddr)
	}
	tests := []struct {
		name           string
		url            string
		serverName     string // preset in TLSClientConfig
		netDial        func(ctx context.Context, network, addr string) (net.Conn, error)
		wantServerName string // as the server saw it; IP addresses are not sent
	}{
		{name: "IP address", url: "wss://127.0.0.1" + port + "/"},
		{name: "host name from URL", url: "wss://example.com" + port + "/", netDial: toServer, wantServerName: "example.com"},
		{name: "preset ServerName", url: "wss://127.0.0.1" + port + "/", serverName: "example.com", wantServerName: "example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: certPool(srv), ServerName: tt.serverName}
			d := &Dialer{TLSClientConfig: cfg, NetDialContext: tt.netDial}
			c, _, err := d.Dial(tt.url, nil)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			checkEcho(t, c, "secure")
			if _, ok := c.NetConn().(*tls.Conn); !ok {
				t.Errorf("NetConn is %T, want *tls.Conn", c.NetConn())
			}
			select {
			case got := <-serverNames:
				if got != tt.wantServerName {
					t.Errorf("server saw server name %q, want %q", got, tt.wantServerName)
				}
			case <-time.After(testTimeout):
				t.Fatal("server handler did not run")
			}
			if cfg.ServerName != tt.serverName {
				t.Errorf("Dialer.TLSClientConfig.ServerName changed to %q", cfg.ServerName)
			}
		})
	}

	t.Run("untrusted certificate", func(t *testing.T) {
		d := &Dialer{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}
		c, _, err := d.Dial("wss://"+srvAddr+"/", nil)
		if err == nil {
			c.Close()
			t.Fatal("Dial succeeded against an untrusted certificate")
		}
		var unknownAuthority x509.UnknownAuthorityError
		if !errors.As(err, &unknownAuthority) {
			t.Errorf("error = %v, want x509.UnknownAuthorityError", err)
		}
	})
}

func TestDialBadURL(t *testing.T) {
	tests := []struct {
		name, url string
	}{
		{"http scheme", "http://127.0.0.1/"},
		{"https scheme", "https://127.0.0.1/"},
		{"no scheme", "127.0.0.1:80/"},
		{"user info", "ws://user:pass@127.0.0.1/"},
		{"user name only", "wss://user@127.0.0.1/"},
		{"unparsable", "ws://[::1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dials atomic.Int32
			d := &Dialer{NetDial: func(network, addr string) (net.Conn, error) {
				dials.Add(1)
				return nil, errors.New("must not dial")
			}}
			c, resp, err := d.Dial(tt.url, nil)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if resp != nil {
				t.Errorf("response = %v, want nil", resp)
			}
			if dials.Load() != 0 {
				t.Errorf("Dial opened a connection for %q", tt.url)
			}
		})
	}
}

func TestDialErrorResponse(t *testing.T) {
	longBody := make([]byte, 2000)
	for i := range longBody {
		longBody[i] = byte('a' + i%26)
	}
	tests := []struct {
		name   string
		status int
		body   []byte
		want   []byte
	}{
		{name: "403 long body", status: http.StatusForbidden, body: longBody, want: longBody[:1024]},
		{name: "404 long body", status: http.StatusNotFound, body: longBody, want: longBody[:1024]},
		{name: "404 short body", status: http.StatusNotFound, body: []byte("no such socket"), want: []byte("no such socket")},
		{name: "200 empty body", status: http.StatusOK, body: nil, want: []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Reason", "test")
				w.WriteHeader(tt.status)
				w.Write(tt.body)
			}))
			defer srv.Close()
			c, resp, err := (&Dialer{}).Dial(httpToWS(srv.URL), nil)
			if err != ErrBadHandshake {
				if c != nil {
					c.Close()
				}
				t.Fatalf("error = %v, want ErrBadHandshake", err)
			}
			if resp == nil {
				t.Fatal("no *http.Response with ErrBadHandshake")
			}
			if resp.StatusCode != tt.status || resp.Header.Get("X-Reason") != "test" {
				t.Errorf("response = %d X-Reason %q, want %d test", resp.StatusCode, resp.Header.Get("X-Reason"), tt.status)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read body: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("body = %d bytes %.40q..., want %d bytes %.40q...", len(got), got, len(tt.want), tt.want)
			}
		})
	}
}

func TestDialBadSwitchingResponse(t *testing.T) {
	tests := []struct {
		name    string
		respond func(req *http.Request) string
		wantErr error  // compared with ==, when set
		errText string // a substring of the error, when set
	}{
		{name: "wrong accept", wantErr: ErrBadHandshake, respond: func(*http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				computeAcceptKey(serverTestKey) + "\r\n\r\n"
		}},
		{name: "no accept", wantErr: ErrBadHandshake, respond: func(*http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
		}},
		{name: "no Upgrade", wantErr: ErrBadHandshake, respond: func(req *http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				computeAcceptKey(req.Header.Get("Sec-Websocket-Key")) + "\r\n\r\n"
		}},
		{name: "no Connection", wantErr: ErrBadHandshake, respond: func(req *http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " +
				computeAcceptKey(req.Header.Get("Sec-Websocket-Key")) + "\r\n\r\n"
		}},
		{name: "subprotocol not offered", errText: "subprotocol", respond: func(req *http.Request) string {
			return switchingResponse(req, "Sec-WebSocket-Protocol: chat\r\n")
		}},
		{name: "extension not offered", errText: "extension", respond: func(req *http.Request) string {
			return switchingResponse(req, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
		}},
		{name: "unknown extension", errText: "extension", respond: func(req *http.Request) string {
			return switchingResponse(req, "Sec-WebSocket-Extensions: x-unknown\r\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wsURL, gone := scriptedServer(t, tt.respond)
			c, resp, err := (&Dialer{}).Dial(wsURL, nil)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if tt.wantErr != nil && err != tt.wantErr {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.errText != "" && !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("error = %v, want it to mention %q", err, tt.errText)
			}
			if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("response = %v, want the 101 response", resp)
			}
			waitClosed(t, gone)
		})
	}
}

// TestDialOfferedSubprotocol is the passing counterpart of the "subprotocol
// not offered" case: the client offers it through Dialer.Subprotocols or
// through the request header.
func TestDialOfferedSubprotocol(t *testing.T) {
	tests := []struct {
		name   string
		dialer *Dialer
		header http.Header
	}{
		{name: "Dialer.Subprotocols", dialer: &Dialer{Subprotocols: []string{"superchat", "chat"}}},
		{name: "request header", dialer: &Dialer{}, header: http.Header{"Sec-Websocket-Protocol": {"superchat, chat"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offered := make(chan []string, 1)
			wsURL, _ := scriptedServer(t, func(req *http.Request) string {
				offered <- Subprotocols(req)
				return switchingResponse(req, "Sec-WebSocket-Protocol: chat\r\n")
			})
			c, _, err := tt.dialer.Dial(wsURL, tt.header)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			if got := <-offered; !slices.Equal(got, []string{"superchat", "chat"}) {
				t.Errorf("offered %q, want [superchat chat]", got)
			}
			if c.Subprotocol() != "chat" {
				t.Errorf("Subprotocol() = %q, want chat", c.Subprotocol())
			}
		})
	}
}

// silentServer accepts connections on 127.0.0.1 and never answers. Each
// accepted connection is reported once its first bytes arrived.
func silentServer(t *testing.T) (addr string, requested <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 4)
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, conn)
			go func() {
				buf := make([]byte, 1)
				if _, err := conn.Read(buf); err == nil {
					ch <- struct{}{}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), ch
}

// dialAsync runs DialContext in a goroutine and returns its error, bounded
// by testTimeout.
func dialAsync(ctx context.Context, d *Dialer, url string) <-chan error {
	errs := make(chan error, 1)
	go func() {
		c, _, err := d.DialContext(ctx, url, nil)
		if c != nil {
			c.Close()
		}
		errs <- err
	}()
	return errs
}

func TestDialHandshakeTimeout(t *testing.T) {
	addr, _ := silentServer(t)
	errs := dialAsync(context.Background(), &Dialer{HandshakeTimeout: 100 * time.Millisecond}, "ws://"+addr+"/")
	select {
	case err := <-errs:
		// The deadline set on the connection and the context's timer end
		// at the same instant; either may report it.
		var ne net.Error
		if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
			t.Errorf("error = %v, want a timeout", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Dial ignored HandshakeTimeout")
	}
}

func TestDialContextCancelledMidHandshake(t *testing.T) {
	addr, requested := silentServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := dialAsync(ctx, &Dialer{}, "ws://"+addr+"/")
	select {
	case <-requested:
	case err := <-errs:
		t.Fatalf("Dial ended before the server read the request: %v", err)
	case <-time.After(testTimeout):
		t.Fatal("the request never arrived")
	}
	cancel()
	select {
	case err := <-errs:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Dial did not return after its context was cancelled")
	}
}

func TestDialContextAlreadyCancelled(t *testing.T) {
	wsURL := startServer(t, nil, echo)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, _, err := (&Dialer{}).DialContext(ctx, wsURL, nil)
	if err == nil {
		c.Close()
		t.Fatal("Dial succeeded with a cancelled context")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestDialRequestHeader(t *testing.T) {
	got := make(chan *http.Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&Upgrader{}).Upgrade(w, r, nil)
		got <- r
		if err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	header := http.Header{}
	header.Set("Host", "example.org")
	header.Set("X-Custom", "value")
	header.Add("X-Multi", "1")
	header.Add("X-Multi", "2")
	c, _, err := (&Dialer{}).Dial(httpToWS(srv.URL)+"/path?q=1", header)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	var r *http.Request
	select {
	case r = <-got:
	case <-time.After(testTimeout):
		t.Fatal("server handler did not run")
	}
	if r.Host != "example.org" {
		t.Errorf("Host = %q, want example.org", r.Host)
	}
	if r.Header.Get("X-Custom") != "value" || !slices.Equal(r.Header.Values("X-Multi"), []string{"1", "2"}) {
		t.Errorf("custom headers = %q", r.Header)
	}
	if r.URL.RequestURI() != "/path?q=1" {
		t.Errorf("request URI = %q, want /path?q=1", r.URL.RequestURI())
	}
}

func TestDialDuplicateHeader(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		dialer *Dialer
	}{
		{name: "Upgrade", key: "Upgrade", dialer: &Dialer{}},
		{name: "Connection", key: "Connection", dialer: &Dialer{}},
		{name: "Sec-WebSocket-Key", key: "Sec-WebSocket-Key", dialer: &Dialer{}},
		{name: "Sec-WebSocket-Version", key: "Sec-WebSocket-Version", dialer: &Dialer{}},
		{name: "Sec-WebSocket-Extensions", key: "Sec-WebSocket-Extensions", dialer: &Dialer{}},
		{name: "Sec-WebSocket-Protocol with Dialer.Subprotocols", key: "Sec-WebSocket-Protocol",
			dialer: &Dialer{Subprotocols: []string{"chat"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dials atomic.Int32
			tt.dialer.NetDial = func(network, addr string) (net.Conn, error) {
				dials.Add(1)
				return nil, errors.New("must not dial")
			}
			header := http.Header{}
			header.Set(tt.key, "x")
			c, _, err := tt.dialer.Dial("ws://127.0.0.1:1/", header)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if !strings.Contains(err.Error(), "duplicate header") {
				t.Errorf("error = %v, want a duplicate header error", err)
			}
			if dials.Load() != 0 {
				t.Error("Dial opened a connection")
			}
		})
	}
}

func TestDialCookieJar(t *testing.T) {
	gotCookie := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookie, err := r.Cookie("session")
		if err != nil {
			gotCookie <- ""
		} else {
			gotCookie <- cookie.Value
		}
		c, err := (&Upgrader{}).Upgrade(w, r, http.Header{"Set-Cookie": {"theme=dark; Path=/"}})
		if err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The jar knows cookies by http and https URLs.
	httpURL, _ := url.Parse(srv.URL)
	jar.SetCookies(httpURL, []*http.Cookie{{Name: "session", Value: "abc"}})

	c, _, err := (&Dialer{Jar: jar}).Dial(httpToWS(srv.URL)+"/", nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()
	select {
	case v := <-gotCookie:
		if v != "abc" {
			t.Errorf("server got session cookie %q, want abc", v)
		}
	case <-time.After(testTimeout):
		t.Fatal("server handler did not run")
	}
	var names []string
	for _, cookie := range jar.Cookies(httpURL) {
		names = append(names, cookie.Name+"="+cookie.Value)
	}
	slices.Sort(names)
	if want := []string{"session=abc", "theme=dark"}; !slices.Equal(names, want) {
		t.Errorf("jar holds %q, want %q", names, want)
	}
}

func TestDialCustomNetDial(t *testing.T) {
	wsURL := startServer(t, nil, echo)
	srv, _ := startTLSEchoServer(t)
	wssURL := httpToWS(srv.URL)
	pool := certPool(srv)
	tlsDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &tls.Dialer{Config: &tls.Config{RootCAs: pool}}
		return d.DialContext(ctx, network, addr)
	}
	plainDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}

	tests := []struct {
		name string
		url  string
		// used names the dial function that must be called.
		used string
		// tls is a TLSClientConfig that must be ignored when set.
		tls *tls.Config
	}{
		{name: "NetDial", url: wsURL, used: "NetDial"},
		{name: "NetDialContext over NetDial", url: wsURL, used: "NetDialContext"},
		{name: "NetDialContext for wss", url: wssURL, used: "NetDialContext", tls: &tls.Config{RootCAs: pool}},
		{name: "NetDialTLSContext for wss", url: wssURL, used: "NetDialTLSContext",
			// Trusts nothing: the handshake must be NetDialTLSContext's.
			tls: &tls.Config{RootCAs: x509.NewCertPool()}},
		{name: "NetDialTLSContext not for ws", url: wsURL, used: "NetDialContext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			record := func(name string) { calls = append(calls, name) }
			d := &Dialer{TLSClientConfig: tt.tls}
			d.NetDial = func(network, addr string) (net.Conn, error) {
				record("NetDial")
				return net.Dial(network, addr)
			}
			if tt.name != "NetDial" {
				d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
					record("NetDialContext")
					return plainDial(ctx, network, addr)
				}
			}
			if strings.HasPrefix(tt.name, "NetDialTLSContext") {
				d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
					record("NetDialTLSContext")
					return tlsDial(ctx, network, addr)
				}
			}
			c, _, err := d.Dial(tt.url, nil)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			checkEcho(t, c, "custom dial")
			if !slices.Equal(calls, []string{tt.used}) {
				t.Errorf("dial functions called: %q, want [%s]", calls, tt.used)
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	t.Run("handshake over a given conn", func(t *testing.T) {
		wsURL := startServer(t, nil, echo)
		u, _ := url.Parse(wsURL)
		netConn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer netConn.Close()
		c, resp, err := NewClient(netConn, u, http.Header{"X-Test": {"1"}}, 1024, 1024)
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("status = %d, want 101", resp.StatusCode)
		}
		if c.NetConn() != netConn {
			t.Error("the Conn does not wrap the given net.Conn")
		}
		checkEcho(t, c, "over my conn")
	})

	t.Run("bad handshake", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		u, _ := url.Parse(httpToWS(srv.URL))
		netConn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer netConn.Close()
		_, resp, err := NewClient(netConn, u, nil, 0, 0)
		if err != ErrBadHandshake {
			t.Fatalf("error = %v, want ErrBadHandshake", err)
		}
		if resp == nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("response = %v, want 404", resp)
		}
	})
}

func TestDialerProxyEndToEnd(t *testing.T) {
	wsURL := startServer(t, nil, echo)
	wsTarget := strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws://"), "/")
	tlsSrv, _ := startTLSEchoServer(t)
	wssURL := httpToWS(tlsSrv.URL)
	wssTarget := tlsSrv.Listener.Addr().String()

	tests := []struct {
		name   string
		start  func(t *testing.T) *testProxy
		secure bool // dial the wss server instead of the ws one
	}{
		{name: "CONNECT", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "", "", false) }},
		{name: "CONNECT with auth", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "alice", "s3cret", false) }},
		{name: "CONNECT over TLS", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "", "", true) }},
		{name: "CONNECT over TLS with auth", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "alice", "s3cret", true) }},
		{name: "SOCKS5", start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "", "") }},
		{name: "SOCKS5 with auth", start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "bob", "hunter2") }},
		{name: "wss through CONNECT", secure: true, start: func(t *testing.T) *testProxy { return startConnectProxy(t, "", "", false) }},
		{name: "wss through CONNECT over TLS", secure: true, start: func(t *testing.T) *testProxy { return startConnectProxy(t, "", "", true) }},
		{name: "wss through SOCKS5", secure: true, start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "bob", "hunter2") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.start(t)
			target, dialURL := wsTarget, wsURL
			// One TLSClientConfig serves the proxy and the server: the
			// Dialer passes it to both.
			var cfg *tls.Config
			if p.TLSConfig != nil {
				cfg = p.TLSConfig
			}
			if tt.secure {
				target, dialURL = wssTarget, wssURL
				roots := x509.NewCertPool()
				if cfg != nil {
					roots = cfg.RootCAs.Clone()
				}
				roots.AddCert(tlsSrv.Certificate())
				cfg = &tls.Config{RootCAs: roots}
			}
			d := &Dialer{Proxy: http.ProxyURL(p.URL), TLSClientConfig: cfg}
			c, _, err := d.Dial(dialURL, nil)
			if err != nil {
				t.Fatalf("Dial through %s: %v", p.URL.Redacted(), err)
			}
			defer c.Close()
			checkEcho(t, c, "via proxy 1")
			checkEcho(t, c, strings.Repeat("via proxy 2 ", 1000))
			if got := p.Targets(); !slices.Equal(got, []string{target}) {
				t.Errorf("proxy tunnels = %q, want [%s]", got, target)
			}
			if cfg != nil && cfg.ServerName != "" {
				t.Errorf("TLSClientConfig.ServerName changed to %q", cfg.ServerName)
			}
		})
	}
}

func TestDialerProxyWrongCredentials(t *testing.T) {
	wsURL := startServer(t, nil, echo)
	tests := []struct {
		name  string
		start func(t *testing.T) *testProxy
		user  *url.Userinfo
	}{
		{name: "CONNECT wrong password", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "alice", "s3cret", false) },
			user: url.UserPassword("alice", "wrong")},
		{name: "CONNECT no credentials", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "alice", "s3cret", false) }},
		{name: "CONNECT over TLS wrong user", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "alice", "s3cret", true) },
			user: url.UserPassword("mallory", "s3cret")},
		{name: "SOCKS5 wrong password", start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "bob", "hunter2") },
			user: url.UserPassword("bob", "wrong")},
		{name: "SOCKS5 no credentials", start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "bob", "hunter2") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.start(t)
			proxyURL := *p.URL
			proxyURL.User = tt.user
			d := &Dialer{Proxy: http.ProxyURL(&proxyURL), TLSClientConfig: p.TLSConfig}
			c, _, err := d.Dial(wsURL, nil)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded with wrong proxy credentials")
			}
			if got := p.Targets(); len(got) != 0 {
				t.Errorf("proxy opened tunnels %q", got)
			}
		})
	}
}

func TestDialerProxyFunctionError(t *testing.T) {
	wantErr := errors.New("no proxy for you")
	d := &Dialer{Proxy: func(*http.Request) (*url.URL, error) { return nil, wantErr }}
	c, _, err := d.Dial("ws://127.0.0.1:1/", nil)
	if err == nil {
		c.Close()
	}
	if !errors.Is(err, wantErr) {
		t.Errorf("error = %v, want %v", err, wantErr)
	}
}
