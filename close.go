package websocket

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Status codes of a close frame: RFC 6455 section 7.4.1, and the IANA
// registry of section 11.7.
const (
	CloseNormalClosure           = 1000
	CloseGoingAway               = 1001
	CloseProtocolError           = 1002
	CloseUnsupportedData         = 1003
	CloseNoStatusReceived        = 1005
	CloseAbnormalClosure         = 1006
	CloseInvalidFramePayloadData = 1007
	ClosePolicyViolation         = 1008
	CloseMessageTooBig           = 1009
	CloseMandatoryExtension      = 1010
	CloseInternalServerErr       = 1011
	CloseServiceRestart          = 1012
	CloseTryAgainLater           = 1013
	CloseTLSHandshake            = 1015
)

// closeCodeSize is the length of the status code at the start of a close payload.
const closeCodeSize = 2

// CloseError is the error a read returns when the peer's close frame
// arrives, or, with CloseAbnormalClosure, when the connection ends without
// one.
type CloseError struct {
	// Code is the status code of the close frame (see the Close constants);
	// CloseNoStatusReceived when the frame had none.
	Code int

	// Text is the reason that follows the code; it may be empty.
	Text string
}

// closeCodeNames are the texts of Error for the codes RFC 6455 names.
var closeCodeNames = map[int]string{
	CloseNormalClosure:           "(normal)",
	CloseGoingAway:               "(going away)",
	CloseProtocolError:           "(protocol error)",
	CloseUnsupportedData:         "(unsupported data)",
	CloseNoStatusReceived:        "(no status)",
	CloseAbnormalClosure:         "(abnormal closure)",
	CloseInvalidFramePayloadData: "(invalid payload data)",
	ClosePolicyViolation:         "(policy violation)",
	CloseMessageTooBig:           "(message too big)",
	CloseMandatoryExtension:      "(mandatory extension missing)",
	CloseInternalServerErr:       "(internal server error)",
	CloseTLSHandshake:            "(TLS handshake error)",
}

// Error returns "websocket: close <code> <name>: <text>", the form gorilla/websocket uses.
func (e *CloseError) Error() string {
	s := "websocket: close " + strconv.Itoa(e.Code)
	if name, ok := closeCodeNames[e.Code]; ok {
		s += " " + name
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// IsCloseError reports whether err is a *CloseError whose Code is one of
// codes. An error that wraps a *CloseError does not count.
func IsCloseError(err error, codes ...int) bool {
	if e, ok := err.(*CloseError); ok {
		for _, code := range codes {
			if e.Code == code {
				return true
			}
		}
	}
	return false
}

// IsUnexpectedCloseError reports whether err is a *CloseError whose Code is
// none of expectedCodes. For any other error, wrapped ones included, it
// reports false.
func IsUnexpectedCloseError(err error, expectedCodes ...int) bool {
	if e, ok := err.(*CloseError); ok {
		for _, code := range expectedCodes {
			if e.Code == code {
				return false
			}
		}
		return true
	}
	return false
}

// FormatCloseMessage builds the payload of a close frame: closeCode in two
// bytes, most significant first, then text. For CloseNoStatusReceived it
// returns an empty payload. WriteControl refuses a payload over 125 bytes,
// so keep text within 123.
func FormatCloseMessage(closeCode int, text string) []byte {
	if closeCode == CloseNoStatusReceived {
		// RFC 6455 section 7.4.1: 1005 must never be sent on the wire; it
		// stands for a close frame without a payload.
		return []byte{}
	}
	p := make([]byte, closeCodeSize+len(text))
	binary.BigEndian.PutUint16(p, uint16(closeCode))
	copy(p[closeCodeSize:], text)
	return p
}

// isValidReceivedCloseCode reports whether a peer may send code in a close
// frame (RFC 6455 section 7.4): the defined codes that are not reserved for
// local use, the IANA-registered 1012-1014, and the ranges for libraries
// (3000-3999) and applications (4000-4999).
func isValidReceivedCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// parseClosePayload decodes a received close payload (RFC 6455 section 5.5.1).
// It returns the code (CloseNoStatusReceived for an empty payload) and the
// reason, or the protocol error the payload commits.
func parseClosePayload(p []byte) (code int, reason string, err *ProtocolError) {
	switch {
	case len(p) == 0:
		return CloseNoStatusReceived, "", nil
	case len(p) < closeCodeSize:
		return 0, "", newProtocolError(CloseProtocolError, "close frame payload of 1 byte")
	}
	code = int(binary.BigEndian.Uint16(p))
	if !isValidReceivedCloseCode(code) {
		return 0, "", newProtocolError(CloseProtocolError, "invalid close code "+strconv.Itoa(code))
	}
	text := p[closeCodeSize:]
	if !utf8.Valid(text) {
		return 0, "", newProtocolError(CloseInvalidFramePayloadData, "invalid UTF-8 in close reason")
	}
	return code, string(text), nil
}
