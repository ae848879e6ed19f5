package websocket

import (
	"bufio"
	"net"
	"net/http"
	"time"
)

// Upgrader specifies parameters for upgrading an HTTP connection to a
// WebSocket connection.
//
// It is safe to call Upgrader's methods concurrently.
type Upgrader struct {
	// HandshakeTimeout specifies the duration for the handshake to complete.
	HandshakeTimeout time.Duration

	// ReadBufferSize and WriteBufferSize specify I/O buffer sizes in bytes. If a buffer
	// size is zero, then buffers allocated by the HTTP server are used. The
	// I/O buffer sizes do not limit the size of the messages that can be sent
	// or received.
	ReadBufferSize, WriteBufferSize int

	// WriteBufferPool is a pool of buffers for write operations. If the value
	// is not set, the connection takes its write buffer from a pool of the
	// package, one per buffer size, and holds it only while writing, so idle
	// connections hold none (gorilla/websocket keeps it for the lifetime of
	// the connection instead).
	//
	// Applications should use a single pool for each unique value of
	// WriteBufferSize.
	WriteBufferPool BufferPool

	// Subprotocols specifies the server's supported protocols in order of
	// preference. If this field is not nil, then the Upgrade method negotiates a
	// subprotocol by selecting the first match in this list with a protocol
	// requested by the client. If there's no match, then no protocol is
	// negotiated (the Sec-Websocket-Protocol header is not included in the
	// handshake response).
	Subprotocols []string

	// Error specifies the function for generating HTTP error responses. If Error
	// is nil, then http.Error is used to generate the HTTP response.
	Error func(w http.ResponseWriter, r *http.Request, status int, reason error)

	// CheckOrigin returns true if the request Origin header is acceptable. If
	// CheckOrigin is nil, then a safe default is used: return false if the
	// Origin request header is present and the origin host is not equal to
	// request Host header.
	//
	// A CheckOrigin function should carefully validate the request origin to
	// prevent cross-site request forgery.
	CheckOrigin func(r *http.Request) bool

	// EnableCompression specify if the server should attempt to negotiate per
	// message compression (RFC 7692). Setting this value to true does not
	// guarantee that compression will be supported.
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

// Upgrade upgrades the HTTP server connection to the WebSocket protocol.
//
// The responseHeader is included in the response to the client's upgrade
// request. Use the responseHeader to specify cookies (Set-Cookie). To specify
// subprotocols supported by the server, set Upgrader.Subprotocols directly.
//
// If the upgrade fails, then Upgrade replies to the client with an HTTP error
// response: 405 for a method other than GET, 400 for missing or malformed
// headers, 426 (with Sec-WebSocket-Version: 13) for another protocol version,
// 403 for an origin CheckOrigin rejects, 500 when the connection cannot be
// taken over.
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
	// The subprotocol line above replaces any the application set.
	if err := responseHeader.WriteSubset(bw, map[string]bool{"Sec-Websocket-Protocol": true}); err != nil {
		return err
	}
	bw.WriteString("\r\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	return netConn.SetDeadline(time.Time{})
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
	if status == http.StatusUpgradeRequired {
		// RFC 6455 section 4.4: name the versions this server speaks.
		w.Header().Set("Sec-Websocket-Version", webSocketVersion)
	}
	if u.Error != nil {
		u.Error(w, r, status, err)
	} else {
		w.Header().Set("Sec-Websocket-Version", webSocketVersion)
		http.Error(w, http.StatusText(status), status)
	}
	return nil, err
}

// Upgrade upgrades the HTTP server connection to the WebSocket protocol.
//
// Deprecated: Use websocket.Upgrader instead.
//
// Upgrade does not perform origin checking. The application is responsible for
// checking the Origin header before calling Upgrade.
//
// If the endpoint supports subprotocols, then the application is responsible
// for negotiating the protocol used on the connection. Use the Subprotocols()
// function to get the subprotocols requested by the client. Use the
// Sec-Websocket-Protocol response header to specify the subprotocol selected
// by the application.
//
// The responseHeader is included in the response to the client's upgrade
// request. Use the responseHeader to specify cookies (Set-Cookie) and the
// negotiated subprotocol (Sec-Websocket-Protocol).
//
// The connection buffers IO to the underlying network connection. The
// readBufSize and writeBufSize parameters specify the size of the buffers to
// use. Messages can be larger than the buffers.
//
// If the request is not a valid WebSocket handshake, then Upgrade returns
// an error of type HandshakeError. Applications should handle this error by
// replying to the client with an HTTP error response.
func Upgrade(w http.ResponseWriter, r *http.Request, responseHeader http.Header, readBufSize, writeBufSize int) (*Conn, error) {
	u := Upgrader{
		ReadBufferSize:  readBufSize,
		WriteBufferSize: writeBufSize,
		Error:           func(http.ResponseWriter, *http.Request, int, error) {},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	return u.Upgrade(w, r, responseHeader)
}
