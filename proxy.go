package websocket

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// This file tunnels the client's TCP connection through the proxy chosen by
// Dialer.Proxy. Two tunnel kinds exist: an HTTP CONNECT request (RFC 9110
// section 9.3.6), sent in clear or inside TLS to the proxy, and a SOCKS
// version 5 CONNECT (RFC 1928) with optional username/password
// authentication (RFC 1929).

// netDialFunc dials a network address; it is the shape of net.Dialer.DialContext.
type netDialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Default ports, used when a URL names none.
const (
	defaultHTTPPort        = "80"
	defaultHTTPSPort       = "443"
	defaultSOCKS5ProxyPort = "1080"
)

// dialThroughProxy returns a dial function that connects to its addr
// argument through the proxy at proxyURL, reaching the proxy itself with
// forward. proxyTLS configures the TLS session to an "https" proxy; it may be
// nil, and it is cloned, never modified. The clone's ServerName is always the
// proxy host name, so a config made for the WebSocket server can be passed
// without verifying the proxy against the server's name.
//
// Both "socks5" and "socks5h" send host names to the proxy unresolved, so
// the proxy resolves them; literal IP addresses are sent as such.
func dialThroughProxy(proxyURL *url.URL, forward netDialFunc, proxyTLS *tls.Config) (netDialFunc, error) {
	switch strings.ToLower(proxyURL.Scheme) {
	case "http":
		d := &connectProxyDialer{proxyAddr: hostPort(proxyURL, defaultHTTPPort), forward: forward}
		d.setAuthorization(proxyURL.User)
		return d.dial, nil
	case "https":
		cfg := &tls.Config{}
		if proxyTLS != nil {
			cfg = proxyTLS.Clone()
		}
		cfg.ServerName = proxyURL.Hostname()
		d := &connectProxyDialer{proxyAddr: hostPort(proxyURL, defaultHTTPSPort), forward: forward, tlsConfig: cfg}
		d.setAuthorization(proxyURL.User)
		return d.dial, nil
	case "socks5", "socks5h":
		d := &socks5Dialer{proxyAddr: hostPort(proxyURL, defaultSOCKS5ProxyPort), forward: forward}
		if err := d.setCredentials(proxyURL.User); err != nil {
			return nil, err
		}
		return d.dial, nil
	default:
		return nil, fmt.Errorf("websocket: unsupported proxy scheme %q", proxyURL.Scheme)
	}
}

// hostPort returns the host:port of u, filling in defaultPort when the URL
// has no port.
func hostPort(u *url.URL, defaultPort string) string {
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// negotiateWithin runs negotiate, the exchange that turns conn, a fresh
// connection to the proxy at proxyAddr, into a tunnel, and stops it when ctx
// ends: closing conn is the one way to interrupt a read from a proxy that
// never answers. conn is closed whenever an error is returned.
func negotiateWithin(ctx context.Context, proxyAddr string, conn net.Conn, negotiate func() (net.Conn, error)) (net.Conn, error) {
	stopWatch := context.AfterFunc(ctx, func() { conn.Close() })
	tunnel, err := negotiate()
	if !stopWatch() {
		// ctx ended during the exchange, so conn is closed or about to be,
		// even if negotiate finished: the tunnel is unusable.
		conn.Close()
		return nil, fmt.Errorf("websocket: negotiating with proxy %s: %w", proxyAddr, ctx.Err())
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return tunnel, nil
}

// connectProxyDialer opens tunnels with HTTP CONNECT requests.
type connectProxyDialer struct {
	proxyAddr string
	forward   netDialFunc
	// tlsConfig is nil for an "http" proxy, and the TLS configuration of
	// the session to the proxy for an "https" one.
	tlsConfig *tls.Config
	// authorization is the Proxy-Authorization header value, or "".
	authorization string
}

// setAuthorization prepares Basic authentication (RFC 7617) for the
// credentials in user, if any.
func (d *connectProxyDialer) setAuthorization(user *url.Userinfo) {
	if user == nil {
		return
	}
	password, _ := user.Password()
	credentials := user.Username() + ":" + password
	d.authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte(credentials))
}

// dial connects to addr through the proxy.
func (d *connectProxyDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	// addr becomes part of the request line; a CR or LF in it would let the
	// caller's input inject header lines.
	if strings.ContainsAny(addr, "\r\n") {
		return nil, fmt.Errorf("websocket: invalid proxy CONNECT target %q", addr)
	}
	conn, err := d.forward(ctx, network, d.proxyAddr)
	if err != nil {
		return nil, fmt.Errorf("websocket: dial proxy %s: %w", d.proxyAddr, err)
	}
	return negotiateWithin(ctx, d.proxyAddr, conn, func() (net.Conn, error) {
		if d.tlsConfig == nil {
			return d.connect(conn, addr)
		}
		tlsConn := tls.Client(conn, d.tlsConfig)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("websocket: TLS handshake with proxy %s: %w", d.proxyAddr, err)
		}
		return d.connect(tlsConn, addr)
	})
}

// connect sends the CONNECT request for addr on conn and reads the answer.
// It returns the tunnel, which starts with any bytes the proxy sent after its
// response.
func (d *connectProxyDialer) connect(conn net.Conn, addr string) (net.Conn, error) {
	var request strings.Builder
	request.WriteString("CONNECT " + addr + " HTTP/1.1\r\n")
	request.WriteString("Host: " + addr + "\r\n")
	if d.authorization != "" {
		request.WriteString("Proxy-Authorization: " + d.authorization + "\r\n")
	}
	request.WriteString("\r\n")
	if _, err := io.WriteString(conn, request.String()); err != nil {
		return nil, fmt.Errorf("websocket: proxy CONNECT to %s: write request: %w", addr, err)
	}

	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, fmt.Errorf("websocket: proxy CONNECT to %s: read response: %w", addr, err)
	}
	// RFC 9110 section 9.3.6 lets any 2xx open the tunnel; as in
	// gorilla/websocket only 200, the status proxies send, is accepted. The
	// body of a refusal is never read: the connection is dropped instead.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("websocket: proxy CONNECT to %s failed: %s", addr, resp.Status)
	}
	// The proxy may pipeline tunnel bytes right after the response, and the
	// reader may hold some of them: hand them out before reading conn again.
	if br.Buffered() == 0 {
		return conn, nil
	}
	pending, _ := br.Peek(br.Buffered())
	return &prefixedConn{Conn: conn, pending: append([]byte(nil), pending...)}, nil
}

// prefixedConn is a net.Conn whose reads return pending before the bytes of
// the underlying connection.
type prefixedConn struct {
	net.Conn
	pending []byte
}

// Read returns pending bytes first, then reads from the connection.
func (c *prefixedConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		return c.Conn.Read(p)
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// SOCKS version 5 protocol constants (RFC 1928, RFC 1929).
const (
	socks5Version = 0x05

	socks5MethodNoAuth       = 0x00
	socks5MethodUserPassword = 0x02
	socks5MethodNoAcceptable = 0xff

	socks5CommandConnect = 0x01

	socks5AddressIPv4   = 0x01
	socks5AddressDomain = 0x03
	socks5AddressIPv6   = 0x04

	// Reply codes of RFC 1928 section 6.
	socks5ReplySucceeded               = 0x00
	socks5ReplyGeneralFailure          = 0x01
	socks5ReplyNotAllowed              = 0x02
	socks5ReplyNetworkUnreachable      = 0x03
	socks5ReplyHostUnreachable         = 0x04
	socks5ReplyConnectionRefused       = 0x05
	socks5ReplyTTLExpired              = 0x06
	socks5ReplyCommandNotSupported     = 0x07
	socks5ReplyAddressTypeNotSupported = 0x08

	// socks5UserPasswordVersion is the version of the RFC 1929
	// sub-negotiation, distinct from the SOCKS version.
	socks5UserPasswordVersion = 0x01
	socks5UserPasswordSuccess = 0x00

	// socks5MaxFieldLength bounds the length-prefixed fields: domain names,
	// user names and passwords all carry a one-byte length.
	socks5MaxFieldLength = 255

	// socks5ReplyHeaderLength covers VER, REP, RSV and ATYP of a reply.
	socks5ReplyHeaderLength = 4
	socks5PortLength        = 2
)

// socks5ReplyMessages describes the failure reply codes, in the words of
// RFC 1928 section 6.
var socks5ReplyMessages = [...]string{
	socks5ReplyGeneralFailure:          "general SOCKS server failure",
	socks5ReplyNotAllowed:              "connection not allowed by ruleset",
	socks5ReplyNetworkUnreachable:      "network unreachable",
	socks5ReplyHostUnreachable:         "host unreachable",
	socks5ReplyConnectionRefused:       "connection refused",
	socks5ReplyTTLExpired:              "TTL expired",
	socks5ReplyCommandNotSupported:     "command not supported",
	socks5ReplyAddressTypeNotSupported: "address type not supported",
}

// socks5ReplyError describes a failure reply code of a SOCKS5 proxy.
func socks5ReplyError(code byte) error {
	if int(code) < len(socks5ReplyMessages) && socks5ReplyMessages[code] != "" {
		return errors.New("websocket: socks5 proxy: " + socks5ReplyMessages[code])
	}
	return fmt.Errorf("websocket: socks5 proxy: unknown reply code 0x%02x", code)
}

// socks5Dialer opens tunnels with SOCKS5 CONNECT requests.
type socks5Dialer struct {
	proxyAddr string
	forward   netDialFunc
	// username is "" when username/password authentication is not offered;
	// RFC 1929 forbids an empty user name, so "" cannot be a real one.
	username, password string
}

// setCredentials records the credentials in user, if any, checking they fit
// the one-byte length fields of RFC 1929.
func (d *socks5Dialer) setCredentials(user *url.Userinfo) error {
	if user == nil {
		return nil
	}
	username := user.Username()
	password, _ := user.Password()
	if username == "" || len(username) > socks5MaxFieldLength || len(password) > socks5MaxFieldLength {
		return fmt.Errorf("websocket: socks5 proxy: user name must be 1 to %d bytes and password at most %d bytes", socks5MaxFieldLength, socks5MaxFieldLength)
	}
	d.username = username
	d.password = password
	return nil
}

// dial connects to addr through the proxy.
func (d *socks5Dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	request, err := socks5ConnectRequest(addr)
	if err != nil {
		return nil, err
	}
	conn, err := d.forward(ctx, network, d.proxyAddr)
	if err != nil {
		return nil, fmt.Errorf("websocket: dial proxy %s: %w", d.proxyAddr, err)
	}
	return negotiateWithin(ctx, d.proxyAddr, conn, func() (net.Conn, error) {
		if err := d.authenticate(conn); err != nil {
			return nil, err
		}
		if _, err := conn.Write(request); err != nil {
			return nil, fmt.Errorf("websocket: socks5 proxy: write request: %w", err)
		}
		if err := readSOCKS5Reply(conn); err != nil {
			return nil, err
		}
		// Every read above took exactly the bytes it needed, so the tunnel
		// starts at the next byte of conn.
		return conn, nil
	})
}

// authenticate runs method selection (RFC 1928 section 3) and, when the
// proxy picks it, username/password authentication (RFC 1929).
func (d *socks5Dialer) authenticate(conn net.Conn) error {
	greeting := []byte{socks5Version, 1, socks5MethodNoAuth}
	if d.username != "" {
		greeting = []byte{socks5Version, 2, socks5MethodNoAuth, socks5MethodUserPassword}
	}
	if _, err := conn.Write(greeting); err != nil {
		return fmt.Errorf("websocket: socks5 proxy: write greeting: %w", err)
	}
	var choice [2]byte
	if _, err := io.ReadFull(conn, choice[:]); err != nil {
		return fmt.Errorf("websocket: socks5 proxy: read method selection: %w", err)
	}
	if choice[0] != socks5Version {
		return fmt.Errorf("websocket: socks5 proxy: unexpected version 0x%02x in method selection", choice[0])
	}
	switch {
	case choice[1] == socks5MethodNoAuth:
		return nil
	case choice[1] == socks5MethodUserPassword && d.username != "":
		return d.sendCredentials(conn)
	case choice[1] == socks5MethodNoAcceptable:
		return errors.New("websocket: socks5 proxy: no acceptable authentication methods")
	default:
		return fmt.Errorf("websocket: socks5 proxy: selected authentication method 0x%02x that was not offered", choice[1])
	}
}

// sendCredentials runs the RFC 1929 sub-negotiation.
func (d *socks5Dialer) sendCredentials(conn net.Conn) error {
	// VER, ULEN and PLEN take one byte each.
	msg := make([]byte, 0, 3+len(d.username)+len(d.password))
	msg = append(msg, socks5UserPasswordVersion, byte(len(d.username)))
	msg = append(msg, d.username...)
	msg = append(msg, byte(len(d.password)))
	msg = append(msg, d.password...)
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("websocket: socks5 proxy: write credentials: %w", err)
	}
	var status [2]byte
	if _, err := io.ReadFull(conn, status[:]); err != nil {
		return fmt.Errorf("websocket: socks5 proxy: read authentication status: %w", err)
	}
	// RFC 1929: any STATUS other than X'00' is a failure.
	if status[1] != socks5UserPasswordSuccess {
		return errors.New("websocket: socks5 proxy: username/password authentication failed")
	}
	return nil
}

// socks5ConnectRequest encodes the CONNECT request for addr (RFC 1928
// section 4). Literal IPs travel as such; host names travel unresolved so
// the proxy resolves them.
func socks5ConnectRequest(addr string) ([]byte, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("websocket: socks5 proxy: invalid target address: %w", err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("websocket: socks5 proxy: invalid target port %q", portText)
	}

	request := []byte{socks5Version, socks5CommandConnect, 0}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return nil, fmt.Errorf("websocket: socks5 proxy: cannot send zoned address %q", host)
		}
		if ip.Unmap().Is4() {
			request = append(request, socks5AddressIPv4)
			request = append(request, ip.Unmap().AsSlice()...)
		} else {
			request = append(request, socks5AddressIPv6)
			request = append(request, ip.AsSlice()...)
		}
	} else {
		if host == "" || len(host) > socks5MaxFieldLength {
			return nil, fmt.Errorf("websocket: socks5 proxy: host name must be 1 to %d bytes", socks5MaxFieldLength)
		}
		request = append(request, socks5AddressDomain, byte(len(host)))
		request = append(request, host...)
	}
	return binary.BigEndian.AppendUint16(request, uint16(port)), nil
}

// readSOCKS5Reply reads the whole reply to a CONNECT request (RFC 1928
// section 6) and reports a failure code as an error. The bound address in
// the reply is read only to find where the tunnel starts.
func readSOCKS5Reply(conn net.Conn) error {
	var header [socks5ReplyHeaderLength]byte
	if _, err := io.ReadFull(conn, header[:]); err != nil {
		return fmt.Errorf("websocket: socks5 proxy: read reply: %w", err)
	}
	if header[0] != socks5Version {
		return fmt.Errorf("websocket: socks5 proxy: unexpected version 0x%02x in reply", header[0])
	}
	if header[1] != socks5ReplySucceeded {
		return socks5ReplyError(header[1])
	}

	var addressLength int
	switch header[3] {
	case socks5AddressIPv4:
		addressLength = net.IPv4len
	case socks5AddressIPv6:
		addressLength = net.IPv6len
	case socks5AddressDomain:
		var length [1]byte
		if _, err := io.ReadFull(conn, length[:]); err != nil {
			return fmt.Errorf("websocket: socks5 proxy: read reply: %w", err)
		}
		addressLength = int(length[0])
	default:
		return fmt.Errorf("websocket: socks5 proxy: unknown address type 0x%02x in reply", header[3])
	}
	bound := make([]byte, addressLength+socks5PortLength)
	if _, err := io.ReadFull(conn, bound); err != nil {
		return fmt.Errorf("websocket: socks5 proxy: read reply: %w", err)
	}
	return nil
}
