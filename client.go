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

// Dialer holds the settings for opening client connections to a WebSocket
// server. Every field is optional: a zero Dialer works, with no proxy and
// no handshake timeout (see DefaultDialer for both).
//
// Dialing does not modify the Dialer, so one Dialer may serve many
// goroutines at once.
type Dialer struct {
	// NetDial opens the TCP connection, to the server or to the proxy, when
	// NetDialContext is nil. It cannot be cancelled, which is why
	// NetDialContext is preferred. With both nil, a net.Dialer is used.
	NetDial func(network, addr string) (net.Conn, error)

	// NetDialContext opens the TCP connection, to the server or to the
	// proxy, and takes precedence over NetDial. Its context ends when
	// DialContext's context does or when HandshakeTimeout runs out.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// NetDialTLSContext, if set, opens the connection for wss URLs in place
	// of NetDialContext and NetDial; ws URLs never use it. Dial adds no TLS
	// layer on top of what it returns, so it must do the TLS handshake with
	// the server itself, and TLSClientConfig does not apply to that session.
	// Through a proxy it dials the proxy, and Dial adds no TLS to the tunnel.
	NetDialTLSContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Proxy chooses the proxy for a handshake request: it returns the
	// proxy's URL, or nil to connect directly. An error it returns ends the
	// dial and is passed on to the caller. A nil Proxy means no proxy.
	// The schemes http (CONNECT), https (CONNECT over TLS), socks5 and
	// socks5h are supported, with credentials from the URL's user info.
	Proxy func(*http.Request) (*url.URL, error)

	// TLSClientConfig configures the TLS session of wss URLs; nil means an
	// empty tls.Config. When its ServerName is empty, the URL's host name is
	// used, on a copy: the Dialer's own config is never modified. A set
	// NetDialTLSContext does the server's TLS itself, so the config is not
	// used for the server then. An https proxy uses it either way, for the
	// session to the proxy, with ServerName set to the proxy's host.
	TLSClientConfig *tls.Config

	// HandshakeTimeout limits the whole opening of a connection: dialing,
	// proxy and TLS setup, and the HTTP upgrade exchange. Zero means no limit
	// beyond the one of the context given to DialContext.
	HandshakeTimeout time.Duration

	// ReadBufferSize and WriteBufferSize are the sizes in bytes of the
	// buffers between a connection and the network; zero means 4096. They do
	// not cap the size of a message, which passes through a buffer in as many
	// pieces as it needs. Read buffers come from a pool of the package, one
	// per size, and an idle connection holds none: it keeps only a small
	// array of its own until traffic needs more.
	ReadBufferSize, WriteBufferSize int

	// WriteBufferPool, if set, supplies the connections' write buffers. When
	// nil, a pool of the package, one per WriteBufferSize, does. Either way a
	// connection holds a write buffer only while it writes a message, so idle
	// connections cost no write buffer.
	//
	// A pool should serve one WriteBufferSize only: a buffer of another size
	// taken from it is dropped and a new one made, which defeats the pool.
	WriteBufferPool BufferPool

	// Subprotocols lists the subprotocols the client offers, in order of
	// preference, sent as Sec-WebSocket-Protocol. The server's choice is
	// then Conn.Subprotocol. When it is set, the request header passed to
	// Dial must not hold Sec-WebSocket-Protocol too.
	Subprotocols []string

	// EnableCompression makes the client offer permessage-deflate
	// (RFC 7692). The server may decline the offer; messages are then sent
	// and received uncompressed.
	EnableCompression bool

	// Compression tunes the permessage-deflate offer when EnableCompression
	// is true. Nil means the defaults of CompressionOptions.
	Compression *CompressionOptions

	// Jar, if set, adds its cookies for the URL to the handshake request and
	// stores the cookies the server's response sets. With a nil Jar, the
	// Dialer neither adds cookies nor records them.
	Jar http.CookieJar
}

// DefaultDialer has the settings most clients want: the proxy named by the
// environment (http.ProxyFromEnvironment) and a 45 second handshake timeout.
// Its other fields are zero. Calling the methods of a nil *Dialer gives the
// same settings.
var DefaultDialer = &Dialer{
	Proxy:            http.ProxyFromEnvironment,
	HandshakeTimeout: defaultHandshakeTimeout,
}

// defaultHandshakeTimeout is DefaultDialer's.
const defaultHandshakeTimeout = 45 * time.Second

// nilDialer is what a nil *Dialer dials with: DefaultDialer as the package
// made it, whatever the program changed in it since.
var nilDialer = *DefaultDialer

var errMalformedURL = errors.New("malformed ws or wss URL")

// maxErrorBodySize is how much of a failed handshake's response body the
// returned *http.Response keeps.
const maxErrorBodySize = 1024

// Dial is DialContext with context.Background(), so only HandshakeTimeout
// limits how long it takes.
func (d *Dialer) Dial(urlStr string, requestHeader http.Header) (*Conn, *http.Response, error) {
	return d.DialContext(context.Background(), urlStr, requestHeader)
}

// DialContext opens a WebSocket connection to urlStr, a ws or wss URL, and
// returns it with the server's handshake response. requestHeader adds
// headers to the request, such as Origin, Cookie or Sec-WebSocket-Protocol,
// and a Host entry replaces the host sent. The headers the handshake sets
// itself (Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version and
// Sec-WebSocket-Extensions) may not appear there. The response's header tells which subprotocol the server
// chose (Sec-WebSocket-Protocol) and which cookies it set (Set-Cookie).
//
// ctx bounds the dial and the handshake, and goes to the request and to
// NetDialContext or NetDialTLSContext. Once DialContext returns, ending ctx does not affect
// the connection.
//
// When the server does not accept the upgrade, the error is ErrBadHandshake
// and the response comes back anyway, so the caller can follow a redirect
// or supply credentials. Its body keeps at most the first 1024 bytes and
// needs no Close.
func (d *Dialer) DialContext(ctx context.Context, urlStr string, requestHeader http.Header) (*Conn, *http.Response, error) {
	if d == nil {
		d = &nilDialer
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
	defaultPort := defaultHTTPPort
	if u.Scheme == "https" {
		defaultPort = defaultHTTPSPort
	}
	addr := hostPort(u, defaultPort)

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

	netConn, err := dial(ctx, "tcp", addr)
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
		cfg.ServerName = u.Hostname()
	}
	tlsConn := tls.Client(netConn, cfg)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		netConn.Close()
		return nil, err
	}
	return tlsConn, nil
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

	readBufferSize := d.ReadBufferSize
	if readBufferSize <= 0 {
		readBufferSize = defaultBufferSize
	}
	// Request.Write buffers what it writes itself, and flushes it.
	if err := req.Write(netConn); err != nil {
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
	//lint:ignore SA1008 the request sets it under that spelling, as gorilla/websocket does
	offered := splitTokens(req.Header["Sec-WebSocket-Protocol"])
	if subprotocol != "" && !slices.Contains(offered, subprotocol) {
		// RFC 6455 section 4.1: the server may only choose what was offered.
		return nil, resp, errors.New("websocket: server selected subprotocol " + subprotocol + ", which the client did not offer")
	}
	compression, err := d.acceptExtensions(resp.Header)
	if err != nil {
		return nil, resp, err
	}
	resp.Body = http.NoBody
	if !stop() {
		// ctx ended just now and its deadline is on the connection.
		return nil, resp, ctx.Err()
	}
	if err := netConn.SetDeadline(time.Time{}); err != nil {
		return nil, resp, err
	}
	pending, _ := br.Peek(br.Buffered())
	c := newConn(netConn, false, pending, readBufferSize, d.WriteBufferSize, d.WriteBufferPool)
	c.subprotocol = subprotocol
	if compression != nil {
		c.setCompression(compression)
	}
	return c, resp, nil
}

// acceptExtensions checks the extensions of the server's answer against the
// offer: none, or permessage-deflate as offered (RFC 6455 section 4.1).
func (d *Dialer) acceptExtensions(h http.Header) (*deflateParams, error) {
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

// NewClient runs the client's opening handshake over netConn, a connection
// the caller has already opened. u, a ws or wss URL, gives the host and the
// request URI; for wss the TLS handshake runs over netConn. requestHeader
// and the response work as in Dialer.DialContext, and zero buffer sizes
// mean the defaults. No proxy and no timeout apply. If the handshake fails,
// netConn is closed; a refused upgrade returns ErrBadHandshake with the
// server's response.
//
// Deprecated: Dialer does the same and more: set its NetDialContext to a
// function that returns netConn, or let it open the connection itself.
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
