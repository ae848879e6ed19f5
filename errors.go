package websocket

import (
	"errors"
	"strconv"
)

// ErrBadHandshake is returned when the server response to opening handshake is
// invalid.
var ErrBadHandshake = errors.New("websocket: bad handshake")

// ErrCloseSent is returned when the application writes a message to the
// connection after sending a close message.
var ErrCloseSent = errors.New("websocket: close sent")

// ErrReadLimit is returned when reading a message that is larger than the
// read limit set for the connection.
var ErrReadLimit = errors.New("websocket: read limit exceeded")

var (
	errBadMessageType       = errors.New("websocket: bad message type")
	errWriteClosed          = errors.New("websocket: write to closed writer")
	errControlTooLong       = errors.New("websocket: control frame payload longer than 125 bytes")
	errInvalidCompressLevel = errors.New("websocket: invalid compression level")
)

// HandshakeError describes an error with the handshake from the peer.
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
