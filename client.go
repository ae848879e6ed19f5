package websocket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// A Dialer contains options for connecting to WebSocket server.
//
// It is safe to call Dialer's methods concurrently.
type Dialer struct {
	// NetDial specifies the dial function for creating TCP connections. If
	// NetDial is nil, net.Dial is used.
	NetDial func(network, addr string) (net.Conn, error)

	// NetDialContext specifies the dial function for creating TCP connections. If
	// NetDialContext is nil, NetDial is used.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// NetDialTLSContext specifies the dial function for creating TLS/TCP connections. If
	// NetDialTLSContext is nil, NetDialContext is used.
	// If NetDialTLSContext is set, Dial assumes the TLS handshake is done there and
	// TLSClientConfig is ignored.
	NetDialTLSContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Proxy specifies a function to return a proxy for a given
	// Request. If the function returns a non-nil error, the
	// request is aborted with the provided error.
	// If Proxy is nil or returns a nil *URL, no proxy is used.
	// The schemes http (CONNECT), https (CONNECT over TLS), socks5 and
	// socks5h are supported, with credentials from the URL's user info.
	Proxy func(*http.Request) (*url.URL, error)

	// TLSClientConfig specifies the TLS configuration to use with tls.Client.
	// If nil, the default configuration is used.
	// If either NetDialTLS or NetDialTLSContext are set, Dial assumes the TLS handshake
	// is done there and TLSClientConfig is ignored.
	TLSClientConfig *tls.Config

	// HandshakeTimeout specifies the duration for the handshake to complete.
	HandshakeTimeout time.Duration

	// ReadBufferSize and WriteBufferSize specify I/O buffer sizes in bytes. If a buffer
	// size is zero, then a useful default size is used. The I/O buffer sizes
	// do not limit the size of the messages that can be sent or received.
	ReadBufferSize, WriteBufferSize int

	// WriteBufferPool is a pool of buffers for write operations. If the value
	// is not set, the connection takes its write buffer from a pool of the
	// package, one per buffer size, and holds it only while writing.
	//
	// Applications should use a single pool for each unique value of
	// WriteBufferSize.
	WriteBufferPool BufferPool

	// Subprotocols specifies the client's requested subprotocols.
	Subprotocols []string

	// EnableCompression specifies if the client should attempt to negotiate
	// per message compression (RFC 7692). Setting this value to true does not
	// guarantee that compression will be supported.
	EnableCompression bool

	// Compression tunes the permessage-deflate offer when EnableCompression
	// is true. Nil means the defaults of CompressionOptions.
	Compression *CompressionOptions

	// Jar specifies the cookie jar.
	// If Jar is nil, cookies are not sent in requests and ignored
	// in responses.
	Jar http.CookieJar
}

// DefaultDialer is a dialer with all fields set to the default values.
var DefaultDialer = &Dialer{
	Proxy:            http.ProxyFromEnvironment,
	HandshakeTimeout: defaultHandshakeTimeout,
}

// defaultHandshakeTimeout is DefaultDialer's, also used by a nil *Dialer.
const defaultHandshakeTimeout = 45 * time.Second

var errMalformedURL = errors.New("malformed ws or wss URL")

// maxErrorBodySize is how much of a failed handshake's response body the
// returned *http.Response keeps.
const maxErrorBodySize = 1024

// Dial creates a new client connection by calling DialContext with a
// background context.
func (d *Dialer) Dial(urlStr string, requestHeader http.Header) (*Conn, *http.Response, error) {
	return d.DialContext(context.Background(), urlStr, requestHeader)
}

// DialContext creates a new client connection. Use requestHeader to specify
// the origin (Origin), subprotocols (Sec-WebSocket-Protocol) and cookies
// (Cookie). Use the response.Header to get the selected subprotocol
// (Sec-WebSocket-Protocol) and cookies (Set-Cookie).
//
// The context will be used in the request and in the Dialer.
//
// If the WebSocket handshake fails, ErrBadHandshake is returned along with a
// non-nil *http.Response so that callers can handle redirects, authentication,
// etcetera. The response body may not contain the entire response and does not
// need to be closed by the application.
func (d *Dialer) DialContext(ctx context.Context, urlStr string, requestHeader http.Header) (*Conn, *http.Response, error) {
	if d == nil {
		d = &Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: defaultHandshakeTimeout}
	}
	challengeKey, err := newChallengeKey()
	if err != nil {
		return nil, nil, err
	}
	req, err := d.newHandshakeRequest(ctx, urlStr, requestHeader, challengeKey)
	if err != nil {
		return nil, nil, err
	}
	if d.HandshakeTimeout != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.HandshakeTimeout)
		defer cancel()
	}

	netConn, err := d.dialConn(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	c, resp, err := d.handshake(ctx, netConn, req, challengeKey)
	if err != nil {
		netConn.Close()
		return nil, resp, err
	}
	return c, resp, nil
}

// newHandshakeRequest builds the opening handshake (RFC 6455 section 4.1).
func (d *Dialer) newHandshakeRequest(ctx context.Context, urlStr string, requestHeader http.Header, challengeKey string) (*http.Request, error) {
	u, err := url.Parse(urlStr)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, errMalformedURL
	}
	if u.User != nil {
		// RFC 6455 section 3: a WebSocket URI has no user information.
		return nil, errMalformedURL
	}
	req := &http.Request{
		Method:     http.MethodGet,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header),
		Host:       u.Host,
	}
	req = req.WithContext(ctx)
	req.Header["Upgrade"] = []string{"websocket"}
	req.Header["Connection"] = []string{"Upgrade"}
	req.Header["Sec-WebSocket-Key"] = []string{challengeKey}
	req.Header["Sec-WebSocket-Version"] = []string{webSocketVersion}
	if len(d.Subprotocols) > 0 {
		req.Header["Sec-WebSocket-Protocol"] = []string{strings.Join(d.Subprotocols, ", ")}
	}
	if d.EnableCompression {
		if err := d.Compression.validate(); err != nil {
			return nil, err
		}
		req.Header["Sec-WebSocket-Extensions"] = []string{deflateOfferHeader(d.Compression)}
	}
	for k, vs := range requestHeader {
		switch {
		case k == "Host":
			if len(vs) > 0 {
				req.Host = vs[0]
			}
		case k == "Upgrade" || k == "Connection" || k == "Sec-Websocket-Key" ||
			k == "Sec-Websocket-Version" || k == "Sec-Websocket-Extensions" ||
			(k == "Sec-Websocket-Protocol" && len(d.Subprotocols) > 0):
			return nil, errors.New("websocket: duplicate header not allowed: " + k)
		case k == "Sec-Websocket-Protocol":
			req.Header["Sec-WebSocket-Protocol"] = vs
		default:
			req.Header[k] = vs
		}
	}
	if d.Jar != nil {
		for _, cookie := range d.Jar.Cookies(u) {
			req.AddCookie(cookie)
		}
	}
	return req, nil
}

// dialConn opens the connection to the server, through the proxy when there
// is one, with TLS for wss.
func (d *Dialer) dialConn(ctx context.Context, req *http.Request) (net.Conn, error) {
	u := req.URL
	hostPort, hostNoPort := hostPortNoPort(u)

	var dial netDialFunc
	switch {
	case u.Scheme == "https" && d.NetDialTLSContext != nil:
		dial = d.NetDialTLSContext
	case d.NetDialContext != nil:
		dial = d.NetDialContext
	case d.NetDial != nil:
		netDial := d.NetDial
		dial = func(_ context.Context, network, addr string) (net.Conn, error) { return netDial(network, addr) }
	default:
		dial = (&net.Dialer{}).DialContext
	}
	if d.Proxy != nil {
		proxyURL, err := d.Proxy(req)
		if err != nil {
			return nil, err
		}
		if proxyURL != nil {
			if dial, err = dialThroughProxy(proxyURL, dial, d.TLSClientConfig); err != nil {
				return nil, err
			}
		}
	}

	netConn, err := dial(ctx, "tcp", hostPort)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" || d.NetDialTLSContext != nil {
		return netConn, nil
	}
	cfg := d.TLSClientConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = hostNoPort
	}
	tlsConn := tls.Client(netConn, cfg)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		netConn.Close()
		return nil, err
	}
	return tlsConn, nil
}

// hostPortNoPort returns the address to dial (with the scheme's default port
// when the URL has none) and the bare host name.
func hostPortNoPort(u *url.URL) (hostPort, hostNoPort string) {
	hostNoPort = u.Hostname()
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(hostNoPort, port), hostNoPort
}

// handshake sends the request on netConn and checks the server's answer
// (RFC 6455 section 4.2.2). ctx bounds the exchange.
func (d *Dialer) handshake(ctx context.Context, netConn net.Conn, req *http.Request, challengeKey string) (*Conn, *http.Response, error) {
	if deadline, ok := ctx.Deadline(); ok {
		netConn.SetDeadline(deadline)
	}
	// Cancelling ctx interrupts a read or write in progress.
	stop := context.AfterFunc(ctx, func() { netConn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	writeBufferSize := d.WriteBufferSize
	if writeBufferSize <= 0 {
		writeBufferSize = defaultBufferSize
	}
	readBufferSize := d.ReadBufferSize
	if readBufferSize <= 0 {
		readBufferSize = defaultBufferSize
	}
	bw := bufio.NewWriterSize(netConn, writeBufferSize)
	if err := req.Write(bw); err != nil {
		return nil, nil, contextError(ctx, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, nil, contextError(ctx, err)
	}
	// The reader may read past the response: frames the server sent right
	// after it go to the connection.
	br := bufio.NewReaderSize(netConn, readBufferSize)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, nil, contextError(ctx, err)
	}
	if d.Jar != nil {
		if cookies := resp.Cookies(); len(cookies) > 0 {
			d.Jar.SetCookies(req.URL, cookies)
		}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		!headerContainsToken(resp.Header, "Upgrade", "websocket") ||
		!headerContainsToken(resp.Header, "Connection", "upgrade") ||
		resp.Header.Get("Sec-Websocket-Accept") != computeAcceptKey(challengeKey) {
		// Keep the start of the body for the caller, who need not close it.
		body := make([]byte, maxErrorBodySize)
		n, _ := io.ReadFull(resp.Body, body)
		resp.Body = io.NopCloser(bytes.NewReader(body[:n]))
		return nil, resp, ErrBadHandshake
	}
	subprotocol := resp.Header.Get("Sec-Websocket-Protocol")
	// The header is under its RFC spelling, which Values would not find.
	offered := splitTokens(req.Header["Sec-WebSocket-Protocol"])
	if subprotocol != "" && !slices.Contains(offered, subprotocol) {
		// RFC 6455 section 4.1: the server may only choose what was offered.
		return nil, resp, errors.New("websocket: server selected subprotocol " + subprotocol + ", which the client did not offer")
	}
	compression, err := d.acceptExtensions(resp.Header)
	if err != nil {
		return nil, resp, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(nil))
	if !stop() {
		// ctx ended just now and its deadline is on the connection.
		return nil, resp, ctx.Err()
	}
	if err := netConn.SetDeadline(time.Time{}); err != nil {
		return nil, resp, err
	}
	pending, _ := br.Peek(br.Buffered())
	c := newConn(netConn, false, pending, readBufferSize, writeBufferSize, d.WriteBufferPool)
	c.subprotocol = subprotocol
	if compression != nil {
		c.setCompression(compression)
	}
	return c, resp, nil
}

// acceptExtensions checks the extensions of the server's answer against the
// offer: none, or permessage-deflate as offered (RFC 6455 section 4.1).
func (d *Dialer) acceptExtensions(h http.Header) (*deflateParams, error) {
	if len(h.Values("Sec-Websocket-Extensions")) == 0 {
		return nil, nil
	}
	responses, err := parseExtensions(h)
	if err != nil {
		return nil, err
	}
	if len(responses) == 0 {
		return nil, nil
	}
	if !d.EnableCompression {
		return nil, errors.New("websocket: server accepted an extension the client did not offer: " + responses[0].name)
	}
	params, err := acceptDeflateResponse(responses, d.Compression)
	if err != nil {
		return nil, err
	}
	return &params, nil
}

// contextError prefers the context's error to the I/O error it caused. The
// connection's deadline is the context's, so a timeout may fire a moment
// before the context notices.
func contextError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return err
}

// NewClient creates a new client connection using the given net connection.
// The URL u specifies the host and request URI. Use requestHeader to specify
// the origin (Origin), subprotocols (Sec-WebSocket-Protocol) and cookies
// (Cookie). Use the response.Header to get the selected subprotocol
// (Sec-WebSocket-Protocol) and cookies (Set-Cookie).
//
// If the WebSocket handshake fails, ErrBadHandshake is returned along with a
// non-nil *http.Response so that callers can handle redirects, authentication,
// etc.
//
// Deprecated: Use Dialer instead.
func NewClient(netConn net.Conn, u *url.URL, requestHeader http.Header, readBufSize, writeBufSize int) (c *Conn, response *http.Response, err error) {
	d := Dialer{
		ReadBufferSize:  readBufSize,
		WriteBufferSize: writeBufSize,
		NetDial: func(string, string) (net.Conn, error) {
			return netConn, nil
		},
	}
	return d.Dial(u.String(), requestHeader)
}
