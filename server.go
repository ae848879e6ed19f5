package websocket

import (
	"bufio"
	"net"
	"net/http"
	"time"
)

// Upgrader holds the settings a server uses to turn HTTP requests into
// WebSocket connections.
//
// One Upgrader may serve many requests at once.
type Upgrader struct {
	// HandshakeTimeout bounds the time spent writing the 101 response. Zero
	// means no limit.
	HandshakeTimeout time.Duration

	// ReadBufferSize and WriteBufferSize are the sizes in bytes of the
	// buffers a connection reads and writes through. Zero means 4096. The read
	// buffer comes from a pool of the package while the peer sends, and the
	// write buffer from WriteBufferPool or a pool of the package while a
	// message goes out. Messages may be larger than either buffer.
	ReadBufferSize, WriteBufferSize int

	// WriteBufferPool, when set, supplies the write buffers of the
	// connections. When nil, they come from a pool of the package, one per
	// buffer size. Either way a connection holds a write buffer only while
	// it writes, so idle connections hold none (gorilla/websocket keeps one
	// for the whole life of the connection when there is no pool).
	//
	// Give each pool buffers of one WriteBufferSize only: a connection drops
	// a buffer of another size and makes a new one.
	WriteBufferPool BufferPool

	// Subprotocols lists the protocols the server speaks, the preferred
	// first. When it is not nil, Upgrade picks the first entry the client
	// also offers; with none in common, the response names no protocol.
	// When it is nil, the protocol is the Sec-Websocket-Protocol value the
	// application puts in Upgrade's responseHeader, if any.
	Subprotocols []string

	// Error writes the reply to a request that fails the handshake, given
	// the HTTP status and the HandshakeError. When it is nil, the reply is
	// http.Error with the text of the status.
	Error func(w http.ResponseWriter, r *http.Request, status int, reason error)

	// CheckOrigin decides whether to accept the request, usually from its
	// Origin header. When it is nil, Upgrade accepts a request without
	// Origin, or whose Origin host equals its Host header, ignoring ASCII
	// case, and rejects the rest.
	//
	// Browsers let any page open a WebSocket to any site, sending the
	// user's cookies along. A function that accepts every origin lets such
	// pages act for the user: accept only the sites you trust.
	CheckOrigin func(r *http.Request) bool

	// EnableCompression lets the server accept permessage-deflate (RFC 7692)
	// when the client offers it. A client that does not offer it gets an
	// uncompressed connection.
	EnableCompression bool

	// Compression tunes permessage-deflate when EnableCompression is true:
	// context takeover, window sizes and the size under which messages go
	// uncompressed. Nil means the defaults of CompressionOptions, which keep
	// no compression state in idle connections.
	Compression *CompressionOptions
}

// Texts of the handshake failures, in the words gorilla/websocket uses.
const (
	notWebSocket          = "websocket: the client is not using the websocket protocol: "
	errMethodNotGET       = notWebSocket + "request method is not GET"
	errNoConnectionUpgade = notWebSocket + "'upgrade' token not found in 'Connection' header"
	errNoUpgradeWebSocket = notWebSocket + "'websocket' token not found in 'Upgrade' header"
	errUnsupportedVersion = "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header"
	errAppExtensions      = "websocket: application specific 'Sec-WebSocket-Extensions' headers are unsupported"
	errOriginRejected     = "websocket: request origin not allowed by Upgrader.CheckOrigin"
	errBadChallengeKey    = "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be Base64 encoded value of 16-byte in length"
	errNoHijack           = "websocket: response does not implement http.Hijacker"
)

// webSocketVersion is the only protocol version (RFC 6455 section 4.1).
const webSocketVersion = "13"

// Upgrade answers the opening handshake of r (RFC 6455 section 4.2) and
// returns the WebSocket connection that takes over the HTTP one.
//
// Upgrade adds responseHeader, which may be nil, to the 101 response: a
// Set-Cookie header, for example. Headers that describe a response body
// (Content-Type, Content-Encoding, Content-Length, Vary, ...) or that the
// handshake sets itself (Upgrade, Connection, Sec-WebSocket-Accept) are left
// out. Subprotocols are chosen through Upgrader.Subprotocols, and
// extensions by Upgrade alone.
//
// When the handshake fails, Upgrade returns a HandshakeError and replies
// through Error with an HTTP status: 405 for a method other than GET, 400
// for missing or malformed headers, 426 (with Sec-WebSocket-Version: 13)
// for another protocol version, 403 for an origin CheckOrigin rejects, and
// 500 when responseHeader sets Sec-WebSocket-Extensions, Compression is
// invalid or the connection cannot be taken over. When writing the 101
// response fails, Upgrade closes the connection and returns that error.
func (u *Upgrader) Upgrade(w http.ResponseWriter, r *http.Request, responseHeader http.Header) (*Conn, error) {
	switch {
	case r.Method != http.MethodGet:
		return u.reject(w, r, http.StatusMethodNotAllowed, errMethodNotGET)
	case !headerContainsToken(r.Header, "Connection", "upgrade"):
		return u.reject(w, r, http.StatusBadRequest, errNoConnectionUpgade)
	case !headerContainsToken(r.Header, "Upgrade", "websocket"):
		return u.reject(w, r, http.StatusBadRequest, errNoUpgradeWebSocket)
	case !headerContainsToken(r.Header, "Sec-Websocket-Version", webSocketVersion):
		// RFC 6455 section 4.4: answer 426 naming the versions understood.
		return u.reject(w, r, http.StatusUpgradeRequired, errUnsupportedVersion)
	case len(responseHeader["Sec-Websocket-Extensions"]) > 0:
		return u.reject(w, r, http.StatusInternalServerError, errAppExtensions)
	}
	checkOrigin := u.CheckOrigin
	if checkOrigin == nil {
		checkOrigin = checkSameOrigin
	}
	if !checkOrigin(r) {
		return u.reject(w, r, http.StatusForbidden, errOriginRejected)
	}
	challengeKey := r.Header.Get("Sec-Websocket-Key")
	if !isValidChallengeKey(challengeKey) {
		return u.reject(w, r, http.StatusBadRequest, errBadChallengeKey)
	}
	subprotocol := u.selectSubprotocol(r, responseHeader)
	var extensionResponse string
	var compression deflateParams
	if u.EnableCompression {
		if err := u.Compression.validate(); err != nil {
			return u.reject(w, r, http.StatusInternalServerError, err.Error())
		}
		// A malformed header only means no compression; the handshake stands.
		if offers, err := parseExtensions(r.Header); err == nil {
			extensionResponse, compression = negotiateDeflate(offers, u.Compression)
		}
	}

	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return u.reject(w, r, http.StatusInternalServerError, errNoHijack+": "+err.Error())
	}
	if err := u.writeHandshakeResponse(netConn, brw.Writer, challengeKey, subprotocol, extensionResponse, responseHeader); err != nil {
		netConn.Close()
		return nil, err
	}

	// The connection reads the socket through buffers of its own; the
	// server's reader may hold frames the client sent right after its
	// request.
	pending, _ := brw.Reader.Peek(brw.Reader.Buffered())
	c := newConn(netConn, true, pending, u.ReadBufferSize, u.WriteBufferSize, u.WriteBufferPool)
	c.subprotocol = subprotocol
	if extensionResponse != "" {
		c.setCompression(&compression)
	}
	return c, nil
}

// writeHandshakeResponse sends the 101 response (RFC 6455 section 4.2.2)
// through the server's own write buffer, bounded by HandshakeTimeout.
func (u *Upgrader) writeHandshakeResponse(netConn net.Conn, bw *bufio.Writer, challengeKey, subprotocol, extensions string, responseHeader http.Header) error {
	if u.HandshakeTimeout > 0 {
		if err := netConn.SetWriteDeadline(time.Now().Add(u.HandshakeTimeout)); err != nil {
			return err
		}
	}
	bw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	bw.WriteString(computeAcceptKey(challengeKey))
	bw.WriteString("\r\n")
	if subprotocol != "" {
		bw.WriteString("Sec-WebSocket-Protocol: ")
		bw.WriteString(subprotocol)
		bw.WriteString("\r\n")
	}
	if extensions != "" {
		bw.WriteString("Sec-WebSocket-Extensions: ")
		bw.WriteString(extensions)
		bw.WriteString("\r\n")
	}
	if err := responseHeader.WriteSubset(bw, headersNotOn101); err != nil {
		return err
	}
	bw.WriteString("\r\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	return netConn.SetDeadline(time.Time{})
}

// headersNotOn101 are the headers of an application's responseHeader that
// the 101 response leaves out: those the handshake writes itself (its
// lines replace any the application set), the hop-by-hop ones of a
// connection that stops being HTTP, and those that describe a response
// body, which a 101 has none of (RFC 9110 section 15.2; a Content-Length
// or Transfer-Encoding there is an error, RFC 9112 section 6). An iris
// Server passes the headers middleware set on the iris response, and
// iris.Compression sets Content-Encoding and Vary there.
var headersNotOn101 = map[string]bool{
	"Upgrade":                true,
	"Connection":             true,
	"Keep-Alive":             true,
	"Sec-Websocket-Accept":   true,
	"Sec-Websocket-Protocol": true,
	"Content-Encoding":       true,
	"Content-Language":       true,
	"Content-Length":         true,
	"Content-Location":       true,
	"Content-Range":          true,
	"Content-Type":           true,
	"Transfer-Encoding":      true,
	"Trailer":                true,
	"Vary":                   true,
}

// selectSubprotocol picks the first of the server's protocols the client
// offers, or, when the server lists none, the one the application put in
// responseHeader.
func (u *Upgrader) selectSubprotocol(r *http.Request, responseHeader http.Header) string {
	if u.Subprotocols == nil {
		return responseHeader.Get("Sec-Websocket-Protocol")
	}
	offered := Subprotocols(r)
	for _, mine := range u.Subprotocols {
		for _, theirs := range offered {
			if mine == theirs {
				return mine
			}
		}
	}
	return ""
}

// reject answers a failed handshake with status and returns its error.
func (u *Upgrader) reject(w http.ResponseWriter, r *http.Request, status int, reason string) (*Conn, error) {
	err := HandshakeError{message: reason}
	if status == http.StatusUpgradeRequired || u.Error == nil {
		// RFC 6455 section 4.4: a 426 names the versions this server
		// speaks; the default answer names them whatever the failure.
		w.Header().Set("Sec-Websocket-Version", webSocketVersion)
	}
	if u.Error != nil {
		u.Error(w, r, status, err)
	} else {
		http.Error(w, http.StatusText(status), status)
	}
	return nil, err
}

// Upgrade is Upgrader.Upgrade with the buffer sizes readBufSize and
// writeBufSize, without the origin check and without an error reply.
//
// Deprecated: Upgrader does the same and more; use its Upgrade method.
//
// The caller checks the Origin header itself, before the call. It also
// picks the subprotocol: Subprotocols(r) lists those the client offers,
// and a Sec-Websocket-Protocol entry in responseHeader names the one
// chosen. responseHeader carries cookies too.
//
// Zero buffer sizes mean 4096 bytes; messages may be larger than the
// buffers.
//
// When r is not a valid handshake, Upgrade writes no response and
// returns a HandshakeError: the caller sends the HTTP error reply.
func Upgrade(w http.ResponseWriter, r *http.Request, responseHeader http.Header, readBufSize, writeBufSize int) (*Conn, error) {
	u := Upgrader{
		ReadBufferSize:  readBufSize,
		WriteBufferSize: writeBufSize,
		Error:           func(http.ResponseWriter, *http.Request, int, error) {},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	return u.Upgrade(w, r, responseHeader)
}
