package websocket

import (
	"errors"
	"strconv"
)

// ErrBadHandshake is the error of a Dialer whose server did not accept the
// opening handshake: the answer was not 101 Switching Protocols with the
// Upgrade, Connection and Sec-WebSocket-Accept headers of RFC 6455 section
// 4.1. The server's *http.Response comes with it, holding the start of the
// body.
var ErrBadHandshake = errors.New("websocket: bad handshake")

// ErrCloseSent is the error of every write made after this side sent a close
// frame, since RFC 6455 section 5.5.1 allows nothing to follow it.
var ErrCloseSent = errors.New("websocket: close sent")

// ErrReadLimit is the error of a read whose message is longer than the cap of
// SetReadLimit. The peer has been sent a close frame with CloseMessageTooBig
// and the connection is failed.
var ErrReadLimit = errors.New("websocket: read limit exceeded")

var (
	errBadMessageType       = errors.New("websocket: bad message type")
	errWriteClosed          = errors.New("websocket: write to closed writer")
	errControlTooLong       = errors.New("websocket: control frame payload longer than 125 bytes")
	errInvalidCompressLevel = errors.New("websocket: invalid compression level")
)

// HandshakeError is the error Upgrade returns when the request is not a
// valid opening handshake. The client has already had its HTTP error answer.
type HandshakeError struct {
	message string
}

func (e HandshakeError) Error() string { return e.message }

// ProtocolError reports that the peer broke a rule of RFC 6455 (or of RFC 7692
// for compressed messages). When the read methods return it, the connection
// has already sent a close frame with Code to the peer and is failed: every
// later read returns the same error. Close the connection after it.
//
// ProtocolError is an addition to the gorilla/websocket API; gorilla returns
// an opaque error in the same places.
type ProtocolError struct {
	// Code is the close code sent to the peer: CloseProtocolError (1002) or
	// CloseInvalidFramePayloadData (1007).
	Code int
	// Rule names the rule the peer broke, for example "unmasked client frame".
	Rule string
}

func newProtocolError(code int, rule string) *ProtocolError {
	return &ProtocolError{Code: code, Rule: rule}
}

// Error returns "websocket: protocol violation: <rule> (close <code>)".
func (e *ProtocolError) Error() string {
	return "websocket: protocol violation: " + e.Rule + " (close " + strconv.Itoa(e.Code) + ")"
}

// timeoutError is the error of a write that could not start before its
// deadline; it satisfies net.Error.
type timeoutError struct{}

func (timeoutError) Error() string   { return "websocket: write timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
