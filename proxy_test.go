package websocket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// proxyTestIOTimeout only keeps a broken test from hanging; no assertion
// depends on it.
const proxyTestIOTimeout = 10 * time.Second

// proxyTestSilentTimeout is the dial deadline used against a proxy that
// never answers; the tests only check that the deadline is what ends the
// dial.
const proxyTestSilentTimeout = 50 * time.Millisecond

// socks5TestAuthFailure is the RFC 1929 STATUS the test proxy sends for bad
// credentials; any non-zero value means failure.
const socks5TestAuthFailure = 0x01

// proxyTestCertLifetime is how long the generated test certificate is valid
// on either side of now.
const proxyTestCertLifetime = 24 * time.Hour

// proxyTestTLS holds a TLS server config with a self-signed certificate for
// 127.0.0.1, ::1 and localhost, and a client config that trusts it.
type proxyTestTLS struct {
	server, client *tls.Config
}

// proxyTestTLSConfigs generates the test certificate once per test binary.
var proxyTestTLSConfigs = sync.OnceValues(func() (proxyTestTLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return proxyTestTLS{}, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "websocket test proxy"},
		NotBefore:             now.Add(-proxyTestCertLifetime),
		NotAfter:              now.Add(proxyTestCertLifetime),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return proxyTestTLS{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return proxyTestTLS{}, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return proxyTestTLS{
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}},
		client: &tls.Config{RootCAs: roots},
	}, nil
})

// testProxyOptions selects the behaviour of a proxy started by startTestProxy.
type testProxyOptions struct {
	// socks5 selects a SOCKS5 proxy instead of an HTTP CONNECT one.
	socks5 bool
	// useTLS serves the HTTP CONNECT proxy over TLS (an "https" proxy).
	useTLS bool
	// user and pass are the credentials the proxy demands; none when user
	// is "".
	user, pass string
	// earlyBytes are written in the same write as the success reply, as if
	// the target had spoken before the client read the reply.
	earlyBytes []byte
	// silent makes the proxy read requests and never answer.
	silent bool
}

// testProxy is a proxy server run by a test on 127.0.0.1: HTTP CONNECT,
// optionally over TLS, or SOCKS5. It is shut down by t.Cleanup.
type testProxy struct {
	// URL is the proxy URL, credentials included, for dialThroughProxy or
	// Dialer.Proxy.
	URL *url.URL
	// TLSConfig trusts the certificate of an "https" proxy; it is nil for
	// the others and a fresh copy for each proxy.
	TLSConfig *tls.Config
	// stalled receives a value when a silent proxy has read the start of a
	// request it will never answer.
	stalled chan struct{}

	opts     testProxyOptions
	listener net.Listener
	wg       sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{}
	targets []string
}

// startConnectProxy starts an HTTP CONNECT proxy, over TLS when useTLS is
// set, that demands user and pass unless user is "".
func startConnectProxy(t *testing.T, user, pass string, useTLS bool) *testProxy {
	t.Helper()
	return startTestProxy(t, testProxyOptions{useTLS: useTLS, user: user, pass: pass})
}

// startSOCKS5Proxy starts a SOCKS5 proxy that demands user and pass unless
// user is "".
func startSOCKS5Proxy(t *testing.T, user, pass string) *testProxy {
	t.Helper()
	return startTestProxy(t, testProxyOptions{socks5: true, user: user, pass: pass})
}

// startTestProxy starts a proxy configured by opts.
func startTestProxy(t *testing.T, opts testProxyOptions) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &testProxy{
		URL:      &url.URL{Scheme: "http", Host: ln.Addr().String()},
		stalled:  make(chan struct{}, 1),
		opts:     opts,
		listener: ln,
		conns:    make(map[net.Conn]struct{}),
	}
	switch {
	case opts.socks5:
		p.URL.Scheme = "socks5"
	case opts.useTLS:
		configs, err := proxyTestTLSConfigs()
		if err != nil {
			t.Fatalf("test certificate: %v", err)
		}
		p.URL.Scheme = "https"
		p.TLSConfig = configs.client.Clone()
		p.listener = tls.NewListener(ln, configs.server)
	}
	if opts.user != "" {
		p.URL.User = url.UserPassword(opts.user, opts.pass)
	}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(p.shutdown)
	return p
}

// Targets returns the addresses the proxy opened tunnels to, in order.
func (p *testProxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets)
}

func (p *testProxy) acceptLoop() {
	defer p.wg.Done()
	for {
		conn, err := p.listener.Accept()
		if err != nil {
			return
		}
		if !p.track(conn) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer conn.Close()
			switch {
			case p.opts.silent:
				p.stall(conn)
			case p.opts.socks5:
				p.serveSOCKS5(conn)
			default:
				p.serveConnect(conn)
			}
		}()
	}
}

// track registers conn for shutdown; it closes conn and reports false when
// the proxy is already shut down.
func (p *testProxy) track(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		conn.Close()
		return false
	}
	p.conns[conn] = struct{}{}
	return true
}

func (p *testProxy) shutdown() {
	p.listener.Close()
	p.mu.Lock()
	p.closed = true
	for conn := range p.conns {
		conn.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// stall reads the start of a request, tells the test, and then never
// answers.
func (p *testProxy) stall(conn net.Conn) {
	buf := make([]byte, 512)
	if _, err := conn.Read(buf); err != nil {
		return
	}
	select {
	case p.stalled <- struct{}{}:
	default:
	}
	_, _ = io.Copy(io.Discard, conn)
}

// openTarget dials the tunnel target and records it.
func (p *testProxy) openTarget(addr string) (net.Conn, error) {
	target, err := net.DialTimeout("tcp", addr, proxyTestIOTimeout)
	if err != nil {
		return nil, err
	}
	if !p.track(target) {
		return nil, net.ErrClosed
	}
	p.mu.Lock()
	p.targets = append(p.targets, addr)
	p.mu.Unlock()
	return target, nil
}

// splice copies both ways between the client side (read through client,
// written to clientConn) and target until either side stops.
func (p *testProxy) splice(client io.Reader, clientConn, target net.Conn) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(clientConn, target)
		clientConn.Close()
		target.Close()
	}()
	_, _ = io.Copy(target, client)
	clientConn.Close()
	target.Close()
}

// serveConnect answers one HTTP CONNECT request.
func (p *testProxy) serveConnect(conn net.Conn) {
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	// RFC 9110 section 9.3.6: the request target is the authority, and the
	// Host header must name it too.
	if req.Method != http.MethodConnect || req.Host != req.URL.Host {
		_, _ = io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if p.opts.user != "" && !p.authorized(req.Header.Get("Proxy-Authorization")) {
		_, _ = io.WriteString(conn, "HTTP/1.1 407 Proxy Authentication Required\r\n"+
			"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
		return
	}
	target, err := p.openTarget(req.URL.Host)
	if err != nil {
		_, _ = io.WriteString(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	reply := append([]byte("HTTP/1.1 200 Connection Established\r\n\r\n"), p.opts.earlyBytes...)
	if _, err := conn.Write(reply); err != nil {
		target.Close()
		return
	}
	p.splice(br, conn, target)
}

// authorized decodes a Basic Proxy-Authorization value (RFC 7617) and
// compares it with the configured credentials.
func (p *testProxy) authorized(header string) bool {
	encoded, ok := strings.CutPrefix(header, "Basic ")
	if !ok {
		return false
	}
	decoded, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(decoded), ":")
	return ok && user == p.opts.user && pass == p.opts.pass
}

// serveSOCKS5 answers one SOCKS5 session (RFC 1928, RFC 1929).
func (p *testProxy) serveSOCKS5(conn net.Conn) {
	var head [2]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil || head[0] != socks5Version {
		return
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(conn, methods); err != nil {
		return
	}
	method := byte(socks5MethodNoAuth)
	if p.opts.user != "" {
		method = socks5MethodUserPassword
	}
	if !slices.Contains(methods, method) {
		_, _ = conn.Write([]byte{socks5Version, socks5MethodNoAcceptable})
		return
	}
	if _, err := conn.Write([]byte{socks5Version, method}); err != nil {
		return
	}
	if method == socks5MethodUserPassword && !p.checkSOCKS5Credentials(conn) {
		return
	}

	var request [4]byte
	if _, err := io.ReadFull(conn, request[:]); err != nil || request[0] != socks5Version {
		return
	}
	host, ok := readSOCKS5TestAddress(conn, request[3])
	if !ok {
		writeSOCKS5TestReply(conn, socks5ReplyAddressTypeNotSupported, nil, nil)
		return
	}
	var port [2]byte
	if _, err := io.ReadFull(conn, port[:]); err != nil {
		return
	}
	if request[1] != socks5CommandConnect {
		writeSOCKS5TestReply(conn, socks5ReplyCommandNotSupported, nil, nil)
		return
	}
	target, err := p.openTarget(net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))))
	if err != nil {
		code := byte(socks5ReplyGeneralFailure)
		if errors.Is(err, syscall.ECONNREFUSED) {
			code = socks5ReplyConnectionRefused
		}
		writeSOCKS5TestReply(conn, code, nil, nil)
		return
	}
	if !writeSOCKS5TestReply(conn, socks5ReplySucceeded, target.LocalAddr().(*net.TCPAddr), p.opts.earlyBytes) {
		target.Close()
		return
	}
	p.splice(conn, conn, target)
}

// checkSOCKS5Credentials runs the server side of RFC 1929.
func (p *testProxy) checkSOCKS5Credentials(conn net.Conn) bool {
	var head [2]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil || head[0] != socks5UserPasswordVersion {
		return false
	}
	user := make([]byte, head[1])
	if _, err := io.ReadFull(conn, user); err != nil {
		return false
	}
	var passLength [1]byte
	if _, err := io.ReadFull(conn, passLength[:]); err != nil {
		return false
	}
	pass := make([]byte, passLength[0])
	if _, err := io.ReadFull(conn, pass); err != nil {
		return false
	}
	ok := string(user) == p.opts.user && string(pass) == p.opts.pass
	status := byte(socks5UserPasswordSuccess)
	if !ok {
		status = socks5TestAuthFailure
	}
	_, err := conn.Write([]byte{socks5UserPasswordVersion, status})
	return ok && err == nil
}

// readSOCKS5TestAddress reads a DST.ADDR of type addressType.
func readSOCKS5TestAddress(conn net.Conn, addressType byte) (string, bool) {
	var raw []byte
	switch addressType {
	case socks5AddressIPv4:
		raw = make([]byte, net.IPv4len)
	case socks5AddressIPv6:
		raw = make([]byte, net.IPv6len)
	case socks5AddressDomain:
		var length [1]byte
		if _, err := io.ReadFull(conn, length[:]); err != nil {
			return "", false
		}
		raw = make([]byte, length[0])
	default:
		return "", false
	}
	if _, err := io.ReadFull(conn, raw); err != nil {
		return "", false
	}
	if addressType == socks5AddressDomain {
		return string(raw), true
	}
	return net.IP(raw).String(), true
}

// writeSOCKS5TestReply writes a reply with code, naming bound when it is not
// nil, followed by early in the same write.
func writeSOCKS5TestReply(conn net.Conn, code byte, bound *net.TCPAddr, early []byte) bool {
	reply := []byte{socks5Version, code, 0, socks5AddressIPv4, 0, 0, 0, 0, 0, 0}
	if bound != nil {
		reply = []byte{socks5Version, code, 0}
		if ip4 := bound.IP.To4(); ip4 != nil {
			reply = append(append(reply, socks5AddressIPv4), ip4...)
		} else {
			reply = append(append(reply, socks5AddressIPv6), bound.IP.To16()...)
		}
		reply = binary.BigEndian.AppendUint16(reply, uint16(bound.Port))
	}
	_, err := conn.Write(append(reply, early...))
	return err == nil
}

// startProxyTestEcho starts a TCP server on 127.0.0.1 that echoes every
// byte back, and returns its address.
func startProxyTestEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				_, _ = io.Copy(conn, conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, conn := range conns {
			conn.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// proxyTestClosedAddr returns a 127.0.0.1 address nothing listens on.
func proxyTestClosedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// dialViaTestProxy dials target through the proxy at proxyURL, trusting
// proxyTLS for an "https" proxy.
func dialViaTestProxy(ctx context.Context, proxyURL *url.URL, proxyTLS *tls.Config, target string) (net.Conn, error) {
	dial, err := dialThroughProxy(proxyURL, (&net.Dialer{}).DialContext, proxyTLS)
	if err != nil {
		return nil, err
	}
	return dial(ctx, "tcp", target)
}

// assertEchoes writes a message through conn and checks it comes back.
func assertEchoes(t *testing.T, conn net.Conn) {
	t.Helper()
	if err := conn.SetDeadline(time.Now().Add(proxyTestIOTimeout)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	want := []byte("hello through the tunnel")
	if _, err := conn.Write(want); err != nil {
		t.Fatalf("write: %v", err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("echo = %q, want %q", got, want)
	}
}

// proxyTestKinds lists one proxy of each kind, without credentials.
var proxyTestKinds = []struct {
	name string
	opts testProxyOptions
}{
	{"http", testProxyOptions{}},
	{"https", testProxyOptions{useTLS: true}},
	{"socks5", testProxyOptions{socks5: true}},
}

func TestDialThroughProxyRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		start func(t *testing.T) *testProxy
		// scheme replaces the scheme of the proxy URL when not "".
		scheme string
	}{
		{name: "http", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "", "", false) }},
		{name: "http with credentials", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "alice", "pa:ss wörd", false) }},
		{name: "https", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "", "", true) }},
		{name: "https with credentials", start: func(t *testing.T) *testProxy { return startConnectProxy(t, "alice", "pa:ss wörd", true) }},
		{name: "socks5", start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "", "") }},
		{name: "socks5 with credentials", start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "alice", "pa:ss wörd") }},
		{name: "socks5h", start: func(t *testing.T) *testProxy { return startSOCKS5Proxy(t, "", "") }, scheme: "socks5h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := startProxyTestEcho(t)
			p := tt.start(t)
			proxyURL := *p.URL
			if tt.scheme != "" {
				proxyURL.Scheme = tt.scheme
			}
			conn, err := dialViaTestProxy(t.Context(), &proxyURL, p.TLSConfig, target)
			if err != nil {
				t.Fatalf("dial through proxy: %v", err)
			}
			defer conn.Close()
			assertEchoes(t, conn)
			if got := p.Targets(); !slices.Equal(got, []string{target}) {
				t.Errorf("proxy tunnelled to %q, want [%q]", got, target)
			}
			if p.TLSConfig != nil && p.TLSConfig.ServerName != "" {
				t.Errorf("caller's tls.Config was modified: ServerName = %q", p.TLSConfig.ServerName)
			}
		})
	}
}

func TestDialThroughProxyCredentialFailures(t *testing.T) {
	const target = "192.0.2.1:80" // never reached: authentication fails first
	tests := []struct {
		name string
		opts testProxyOptions
		// user is the client's credentials; nil sends none.
		user    *url.Userinfo
		wantErr string
	}{
		{"http wrong password", testProxyOptions{user: "alice", pass: "right"}, url.UserPassword("alice", "wrong"),
			"websocket: proxy CONNECT to " + target + " failed: 407 Proxy Authentication Required"},
		{"http no credentials", testProxyOptions{user: "alice", pass: "right"}, nil,
			"websocket: proxy CONNECT to " + target + " failed: 407 Proxy Authentication Required"},
		{"https wrong user", testProxyOptions{useTLS: true, user: "alice", pass: "right"}, url.UserPassword("bob", "right"),
			"websocket: proxy CONNECT to " + target + " failed: 407 Proxy Authentication Required"},
		{"socks5 wrong password", testProxyOptions{socks5: true, user: "alice", pass: "right"}, url.UserPassword("alice", "wrong"),
			"websocket: socks5 proxy: username/password authentication failed"},
		{"socks5 no credentials", testProxyOptions{socks5: true, user: "alice", pass: "right"}, nil,
			"websocket: socks5 proxy: no acceptable authentication methods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startTestProxy(t, tt.opts)
			proxyURL := *p.URL
			proxyURL.User = tt.user
			conn, err := dialViaTestProxy(t.Context(), &proxyURL, p.TLSConfig, target)
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded with bad credentials")
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error = %q, want %q", err, tt.wantErr)
			}
			if got := p.Targets(); len(got) != 0 {
				t.Errorf("proxy opened tunnels %q without valid credentials", got)
			}
		})
	}
}

func TestDialThroughProxyTargetRefused(t *testing.T) {
	target := proxyTestClosedAddr(t)
	tests := []struct {
		name    string
		opts    testProxyOptions
		wantErr string
	}{
		{"http", testProxyOptions{}, "websocket: proxy CONNECT to " + target + " failed: 502 Bad Gateway"},
		{"socks5", testProxyOptions{socks5: true}, "websocket: socks5 proxy: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startTestProxy(t, tt.opts)
			conn, err := dialViaTestProxy(t.Context(), p.URL, p.TLSConfig, target)
			if err == nil {
				conn.Close()
				t.Fatal("dial to a closed port succeeded")
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestDialThroughProxyKeepsEarlyTunnelBytes(t *testing.T) {
	early := []byte("spoken before the client read the reply")
	for _, kind := range proxyTestKinds {
		t.Run(kind.name, func(t *testing.T) {
			target := startProxyTestEcho(t)
			opts := kind.opts
			opts.earlyBytes = early
			p := startTestProxy(t, opts)
			conn, err := dialViaTestProxy(t.Context(), p.URL, p.TLSConfig, target)
			if err != nil {
				t.Fatalf("dial through proxy: %v", err)
			}
			defer conn.Close()
			if err := conn.SetDeadline(time.Now().Add(proxyTestIOTimeout)); err != nil {
				t.Fatalf("set deadline: %v", err)
			}
			got := make([]byte, len(early))
			if _, err := io.ReadFull(conn, got); err != nil {
				t.Fatalf("read early bytes: %v", err)
			}
			if !bytes.Equal(got, early) {
				t.Fatalf("tunnel starts with %q, want %q", got, early)
			}
			assertEchoes(t, conn)
		})
	}
}

func TestDialThroughProxyContextInterruptsSilentProxy(t *testing.T) {
	const target = "192.0.2.1:80" // never reached: the proxy never answers
	for _, kind := range proxyTestKinds {
		t.Run(kind.name+"/deadline", func(t *testing.T) {
			opts := kind.opts
			opts.silent = true
			p := startTestProxy(t, opts)
			ctx, cancel := context.WithTimeout(t.Context(), proxyTestSilentTimeout)
			defer cancel()
			conn, err := dialViaTestProxy(ctx, p.URL, p.TLSConfig, target)
			if err == nil {
				conn.Close()
				t.Fatal("dial through a silent proxy succeeded")
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want context.DeadlineExceeded", err)
			}
		})
		t.Run(kind.name+"/cancel", func(t *testing.T) {
			opts := kind.opts
			opts.silent = true
			p := startTestProxy(t, opts)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			// Cancel only once the request reached the proxy, so the dial is
			// surely blocked reading an answer that never comes.
			go func() {
				select {
				case <-p.stalled:
					cancel()
				case <-ctx.Done():
				}
			}()
			conn, err := dialViaTestProxy(ctx, p.URL, p.TLSConfig, target)
			if err == nil {
				conn.Close()
				t.Fatal("dial through a silent proxy succeeded")
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
		})
	}
}

func TestDialThroughProxyUntrustedHTTPSProxy(t *testing.T) {
	p := startConnectProxy(t, "", "", true)
	// A nil proxyTLS means the system roots, which do not know the test
	// certificate.
	conn, err := dialViaTestProxy(t.Context(), p.URL, nil, "192.0.2.1:80")
	if err == nil {
		conn.Close()
		t.Fatal("dial through an untrusted https proxy succeeded")
	}
	var verifyErr *tls.CertificateVerificationError
	if !errors.As(err, &verifyErr) {
		t.Errorf("error = %v, want a *tls.CertificateVerificationError", err)
	}
}

func TestDialThroughProxyConfigErrors(t *testing.T) {
	tests := []struct {
		name     string
		proxyURL *url.URL
		wantErr  string
	}{
		{"ftp scheme", &url.URL{Scheme: "ftp", Host: "127.0.0.1:21"}, `websocket: unsupported proxy scheme "ftp"`},
		{"socks4 scheme", &url.URL{Scheme: "socks4", Host: "127.0.0.1:1080"}, `websocket: unsupported proxy scheme "socks4"`},
		{"empty scheme", &url.URL{Host: "127.0.0.1:8080"}, `websocket: unsupported proxy scheme ""`},
		{"socks5 empty user name", &url.URL{Scheme: "socks5", Host: "127.0.0.1:1080", User: url.UserPassword("", "pass")},
			"websocket: socks5 proxy: user name must be 1 to 255 bytes and password at most 255 bytes"},
		{"socks5 user name too long", &url.URL{Scheme: "socks5", Host: "127.0.0.1:1080", User: url.User(strings.Repeat("u", 256))},
			"websocket: socks5 proxy: user name must be 1 to 255 bytes and password at most 255 bytes"},
		{"socks5 password too long", &url.URL{Scheme: "socks5", Host: "127.0.0.1:1080", User: url.UserPassword("u", strings.Repeat("p", 256))},
			"websocket: socks5 proxy: user name must be 1 to 255 bytes and password at most 255 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dialThroughProxy(tt.proxyURL, (&net.Dialer{}).DialContext, nil)
			if err == nil {
				t.Fatal("dialThroughProxy succeeded, want an error")
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestDialThroughProxyReachesProxyAddress(t *testing.T) {
	errForward := errors.New("forward dial refused by test")
	tests := []struct {
		proxyURL string
		wantAddr string
	}{
		{"http://proxy.example", "proxy.example:80"},
		{"http://proxy.example:3128", "proxy.example:3128"},
		{"https://proxy.example", "proxy.example:443"},
		{"socks5://proxy.example", "proxy.example:1080"},
		{"socks5h://user:pass@proxy.example:9050", "proxy.example:9050"},
		{"HTTP://[::1]", "[::1]:80"},
	}
	for _, tt := range tests {
		t.Run(tt.proxyURL, func(t *testing.T) {
			proxyURL, err := url.Parse(tt.proxyURL)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			var gotNetwork, gotAddr string
			forward := func(_ context.Context, network, addr string) (net.Conn, error) {
				gotNetwork, gotAddr = network, addr
				return nil, errForward
			}
			dial, err := dialThroughProxy(proxyURL, forward, nil)
			if err != nil {
				t.Fatalf("dialThroughProxy: %v", err)
			}
			if _, err := dial(t.Context(), "tcp4", "192.0.2.1:80"); !errors.Is(err, errForward) {
				t.Errorf("dial error = %v, want it to wrap the forward dial's error", err)
			}
			if gotNetwork != "tcp4" || gotAddr != tt.wantAddr {
				t.Errorf("forward dialed (%q, %q), want (%q, %q)", gotNetwork, gotAddr, "tcp4", tt.wantAddr)
			}
		})
	}
}

// scriptedProxy returns a forward dial function whose connection is served by
// script, and waits for script to finish when the test ends.
func scriptedProxy(t *testing.T, script func(conn net.Conn)) netDialFunc {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer server.Close()
		script(server)
	}()
	t.Cleanup(func() {
		client.Close()
		server.Close()
		<-done
	})
	return func(context.Context, string, string) (net.Conn, error) { return client, nil }
}

func TestConnectProxyExchange(t *testing.T) {
	const target = "192.0.2.1:80"
	tests := []struct {
		name     string
		proxyURL string
		target   string
		response string
		// wantRequest is the exact request the proxy must receive; "" when
		// the dial must fail before sending one.
		wantRequest string
		wantTunnel  string
		wantErr     string
	}{
		{
			name: "early bytes", proxyURL: "http://proxy.example", target: target,
			response:    "HTTP/1.1 200 OK\r\n\r\nearly",
			wantRequest: "CONNECT 192.0.2.1:80 HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n",
			wantTunnel:  "early",
		},
		{
			name: "credentials", proxyURL: "http://alice:open%20sesame@proxy.example", target: "ws.example:443",
			response: "HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n",
			wantRequest: "CONNECT ws.example:443 HTTP/1.1\r\nHost: ws.example:443\r\n" +
				"Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("alice:open sesame")) + "\r\n\r\n",
		},
		{
			name: "forbidden", proxyURL: "http://proxy.example", target: target,
			response:    "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope",
			wantRequest: "CONNECT 192.0.2.1:80 HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n",
			wantErr:     "websocket: proxy CONNECT to 192.0.2.1:80 failed: 403 Forbidden",
		},
		{
			name: "2xx other than 200", proxyURL: "http://proxy.example", target: target,
			response:    "HTTP/1.1 204 No Content\r\n\r\n",
			wantRequest: "CONNECT 192.0.2.1:80 HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n",
			wantErr:     "websocket: proxy CONNECT to 192.0.2.1:80 failed: 204 No Content",
		},
		{
			name: "malformed response", proxyURL: "http://proxy.example", target: target,
			response:    "SSH-2.0-OpenSSH\r\n\r\n",
			wantRequest: "CONNECT 192.0.2.1:80 HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n",
			wantErr:     `websocket: proxy CONNECT to 192.0.2.1:80: read response: malformed HTTP response "SSH-2.0-OpenSSH"`,
		},
		{
			name: "header injection", proxyURL: "http://proxy.example", target: "a:80\r\nX-Evil: 1",
			wantErr: `websocket: invalid proxy CONNECT target "a:80\r\nX-Evil: 1"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requests := make(chan string, 1)
			forward := scriptedProxy(t, func(conn net.Conn) {
				var request []byte
				buf := make([]byte, 1)
				for !bytes.HasSuffix(request, []byte("\r\n\r\n")) {
					if _, err := conn.Read(buf); err != nil {
						return
					}
					request = append(request, buf[0])
				}
				requests <- string(request)
				// One write, so the client's buffered reader takes the
				// response and any early bytes together.
				_, _ = io.WriteString(conn, tt.response)
			})
			proxyURL, err := url.Parse(tt.proxyURL)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			dial, err := dialThroughProxy(proxyURL, forward, nil)
			if err != nil {
				t.Fatalf("dialThroughProxy: %v", err)
			}
			conn, err := dial(t.Context(), "tcp", tt.target)
			if tt.wantRequest != "" {
				if got := <-requests; got != tt.wantRequest {
					t.Errorf("proxy received %q, want %q", got, tt.wantRequest)
				}
			}
			if tt.wantErr != "" {
				if err == nil {
					conn.Close()
					t.Fatal("dial succeeded, want an error")
				}
				if err.Error() != tt.wantErr {
					t.Errorf("error = %q, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			// Byte by byte, so the held-back bytes are handed out in parts.
			got := make([]byte, len(tt.wantTunnel))
			if _, err := io.ReadFull(iotest.OneByteReader(conn), got); err != nil {
				t.Fatalf("read tunnel: %v", err)
			}
			if string(got) != tt.wantTunnel {
				t.Errorf("tunnel starts with %q, want %q", got, tt.wantTunnel)
			}
		})
	}
}

func TestSOCKS5ConnectRequest(t *testing.T) {
	tests := []struct {
		addr    string
		want    []byte
		wantErr string
	}{
		{addr: "192.0.2.1:80", want: []byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80}},
		{addr: "[::ffff:192.0.2.1]:80", want: []byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80}},
		{addr: "[2001:db8::1]:443", want: []byte{5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0xbb}},
		{addr: "ws.example:8080", want: append(append([]byte{5, 1, 0, 3, 10}, "ws.example"...), 0x1f, 0x90)},
		{addr: "ws.example", wantErr: "websocket: socks5 proxy: invalid target address: address ws.example: missing port in address"},
		{addr: "ws.example:http", wantErr: `websocket: socks5 proxy: invalid target port "http"`},
		{addr: "ws.example:65536", wantErr: `websocket: socks5 proxy: invalid target port "65536"`},
		{addr: "[fe80::1%eth0]:80", wantErr: `websocket: socks5 proxy: cannot send zoned address "fe80::1%eth0"`},
		{addr: ":80", wantErr: "websocket: socks5 proxy: host name must be 1 to 255 bytes"},
		{addr: strings.Repeat("a", 256) + ":80", wantErr: "websocket: socks5 proxy: host name must be 1 to 255 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := socks5ConnectRequest(tt.addr)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("socks5ConnectRequest: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("request = % x, want % x", got, tt.want)
			}
		})
	}
}

func TestSOCKS5Replies(t *testing.T) {
	const target = "192.0.2.1:80"
	const tunnelStart = "tunnel"
	requestLength := len([]byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80})
	tests := []struct {
		name      string
		selection []byte
		// reply answers the CONNECT request; nil when the dial must fail
		// before sending one.
		reply     []byte
		wantErr   string
		wantErrIs error
	}{
		{name: "IPv4 bound address", selection: []byte{5, 0}, reply: []byte{5, 0, 0, 1, 10, 0, 0, 1, 0x04, 0x38}},
		{name: "IPv6 bound address", selection: []byte{5, 0}, reply: append([]byte{5, 0, 0, 4}, make([]byte, 16+2)...)},
		{name: "domain bound address", selection: []byte{5, 0}, reply: append(append([]byte{5, 0, 0, 3, 13}, "bound.example"...), 0, 80)},
		{name: "general failure", selection: []byte{5, 0}, reply: []byte{5, 1, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: general SOCKS server failure"},
		{name: "not allowed", selection: []byte{5, 0}, reply: []byte{5, 2, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: connection not allowed by ruleset"},
		{name: "network unreachable", selection: []byte{5, 0}, reply: []byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: network unreachable"},
		{name: "host unreachable", selection: []byte{5, 0}, reply: []byte{5, 4, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: host unreachable"},
		{name: "connection refused", selection: []byte{5, 0}, reply: []byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: connection refused"},
		{name: "TTL expired", selection: []byte{5, 0}, reply: []byte{5, 6, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: TTL expired"},
		{name: "command not supported", selection: []byte{5, 0}, reply: []byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: command not supported"},
		{name: "address type not supported", selection: []byte{5, 0}, reply: []byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: address type not supported"},
		{name: "unassigned code", selection: []byte{5, 0}, reply: []byte{5, 9, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: unknown reply code 0x09"},
		{name: "reply version", selection: []byte{5, 0}, reply: []byte{4, 0, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: unexpected version 0x04 in reply"},
		{name: "reply address type", selection: []byte{5, 0}, reply: []byte{5, 0, 0, 2, 0, 0, 0, 0, 0, 0}, wantErr: "websocket: socks5 proxy: unknown address type 0x02 in reply"},
		{name: "truncated reply", selection: []byte{5, 0}, reply: []byte{5, 0, 0, 1, 10}, wantErrIs: io.ErrUnexpectedEOF},
		{name: "selection version", selection: []byte{4, 0}, wantErr: "websocket: socks5 proxy: unexpected version 0x04 in method selection"},
		{name: "method not offered", selection: []byte{5, 2}, wantErr: "websocket: socks5 proxy: selected authentication method 0x02 that was not offered"},
		{name: "truncated selection", selection: []byte{5}, wantErrIs: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantSuccess := tt.wantErr == "" && tt.wantErrIs == nil
			forward := scriptedProxy(t, func(conn net.Conn) {
				greeting := make([]byte, 3)
				if _, err := io.ReadFull(conn, greeting); err != nil {
					return
				}
				if _, err := conn.Write(tt.selection); err != nil || tt.reply == nil {
					return
				}
				if _, err := io.ReadFull(conn, make([]byte, requestLength)); err != nil {
					return
				}
				reply := slices.Clone(tt.reply)
				if wantSuccess {
					reply = append(reply, tunnelStart...)
				}
				_, _ = conn.Write(reply)
			})
			dial, err := dialThroughProxy(&url.URL{Scheme: "socks5", Host: "proxy.example"}, forward, nil)
			if err != nil {
				t.Fatalf("dialThroughProxy: %v", err)
			}
			conn, err := dial(t.Context(), "tcp", target)
			if !wantSuccess {
				if err == nil {
					conn.Close()
					t.Fatal("dial succeeded, want an error")
				}
				if tt.wantErr != "" && err.Error() != tt.wantErr {
					t.Errorf("error = %q, want %q", err, tt.wantErr)
				}
				if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
					t.Errorf("error = %v, want it to wrap %v", err, tt.wantErrIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			// The whole reply, bound address included, must be consumed and
			// nothing more.
			got := make([]byte, len(tunnelStart))
			if _, err := io.ReadFull(conn, got); err != nil {
				t.Fatalf("read tunnel: %v", err)
			}
			if string(got) != tunnelStart {
				t.Errorf("tunnel starts with %q, want %q", got, tunnelStart)
			}
		})
	}
}
