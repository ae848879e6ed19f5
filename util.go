package websocket

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

const (
	// acceptKeyGUID is the globally unique identifier that RFC 6455
	// section 1.3 appends to Sec-WebSocket-Key before hashing it into
	// Sec-WebSocket-Accept.
	acceptKeyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

	// challengeKeyLen is the number of random bytes in a Sec-WebSocket-Key
	// nonce (RFC 6455 section 4.1, item 7).
	challengeKeyLen = 16

	// challengeKeyEncodedLen is the length of challengeKeyLen bytes in
	// padded standard base64: 4 * ceil(16 / 3).
	challengeKeyEncodedLen = 24

	// acceptKeyEncodedLen is the length of a SHA-1 digest (20 bytes) in
	// padded standard base64: 4 * ceil(20 / 3).
	acceptKeyEncodedLen = 28

	// optionalWhitespace is OWS from RFC 7230 section 3.2.3: SP and HTAB.
	optionalWhitespace = " \t"
)

// computeAcceptKey returns the Sec-WebSocket-Accept value for the
// Sec-WebSocket-Key challengeKey: base64(SHA-1(challengeKey + GUID)), as
// RFC 6455 section 4.2.2, item 5.4 specifies.
func computeAcceptKey(challengeKey string) string {
	// A stack buffer large enough for a valid key plus the GUID keeps the
	// hash input off the heap; append still grows it for odd long keys.
	var input [challengeKeyEncodedLen + len(acceptKeyGUID)]byte
	b := append(input[:0], challengeKey...)
	b = append(b, acceptKeyGUID...)
	digest := sha1.Sum(b)

	var out [acceptKeyEncodedLen]byte
	base64.StdEncoding.Encode(out[:], digest[:])
	return string(out[:])
}

// newChallengeKey returns a fresh Sec-WebSocket-Key: a randomly selected
// 16-byte nonce, base64 encoded (RFC 6455 section 4.1, item 7).
func newChallengeKey() (string, error) {
	var nonce [challengeKeyLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", fmt.Errorf("websocket: generate challenge key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(nonce[:]), nil
}

// isValidChallengeKey reports whether key is a Sec-WebSocket-Key a server may
// accept: padded standard base64 that decodes to exactly 16 bytes
// (RFC 6455 section 4.2.1, item 5).
func isValidChallengeKey(key string) bool {
	// The length check also rules out CR and LF, which the base64 decoder
	// would otherwise skip silently.
	if len(key) != challengeKeyEncodedLen {
		return false
	}
	var decoded [challengeKeyEncodedLen / 4 * 3]byte
	n, err := base64.StdEncoding.Decode(decoded[:], []byte(key))
	return err == nil && n == challengeKeyLen
}

// Subprotocols lists what r's Sec-Websocket-Protocol header offers, in the
// client's order of preference. All lines of the header count. Entries are
// split at commas and trimmed of spaces and tabs; empty ones are dropped.
// The result is nil when the client offered no subprotocol.
func Subprotocols(r *http.Request) []string {
	return headerTokens(r.Header, "Sec-Websocket-Protocol")
}

// IsWebSocketUpgrade reports whether r asks to switch to the WebSocket
// protocol: its Connection header lists the token "upgrade" and its Upgrade
// header lists "websocket", in any ASCII case (RFC 6455 section 4.2.1,
// items 3 and 4). It checks nothing else, such as the method or the key,
// so a true result does not mean an upgrade would succeed.
func IsWebSocketUpgrade(r *http.Request) bool {
	return headerContainsToken(r.Header, "Connection", "upgrade") &&
		headerContainsToken(r.Header, "Upgrade", "websocket")
}

// headerContainsToken reports whether any comma-separated element of any line
// of header name equals token, ignoring ASCII case and surrounding spaces and
// tabs (the RFC 7230 section 7 list syntax).
func headerContainsToken(h http.Header, name, token string) bool {
	for _, line := range h.Values(name) {
		for element := range strings.SplitSeq(line, ",") {
			if equalASCIIFold(strings.Trim(element, optionalWhitespace), token) {
				return true
			}
		}
	}
	return false
}

// headerTokens returns the comma-separated elements of every line of header
// name, trimmed of spaces and tabs. Empty elements are dropped, as RFC 7230
// section 7 requires of recipients. It returns nil when there are none.
func headerTokens(h http.Header, name string) []string {
	return splitTokens(h.Values(name))
}

// splitTokens is headerTokens over the lines of a header given as they are.
func splitTokens(lines []string) []string {
	var tokens []string
	for _, line := range lines {
		for element := range strings.SplitSeq(line, ",") {
			if element = strings.Trim(element, optionalWhitespace); element != "" {
				tokens = append(tokens, element)
			}
		}
	}
	return tokens
}

// equalASCIIFold reports whether s and t are equal when ASCII letters are
// compared without regard to case. Unlike strings.EqualFold it does not apply
// Unicode folding, so "\u212a" (Kelvin sign) does not match "k": HTTP tokens
// are ASCII (RFC 7230 section 3.2.6).
func equalASCIIFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if asciiLower(s[i]) != asciiLower(t[i]) {
			return false
		}
	}
	return true
}

// asciiLower maps an ASCII upper-case letter to lower case and returns every
// other byte unchanged.
func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// checkSameOrigin reports whether the request has no Origin header, or an
// Origin whose host (and port, if any) equals r.Host without regard to ASCII
// case. The scheme is not compared. An Origin that does not parse as a URL,
// an empty one, and the opaque origin "null" are all rejected.
func checkSameOrigin(r *http.Request) bool {
	origin := r.Header.Values("Origin")
	if len(origin) == 0 {
		return true
	}
	u, err := url.Parse(origin[0])
	if err != nil {
		return false
	}
	return equalASCIIFold(u.Host, r.Host)
}

// extensionParam is one parameter of an extension offer or response, for
// example client_max_window_bits=10. A parameter sent without "=" has
// hasValue false; a quoted value is stored unescaped.
type extensionParam struct {
	name     string
	value    string
	hasValue bool
}

// extension is one element of a Sec-WebSocket-Extensions list: the
// extension name and its parameters, in the order they were sent.
type extension struct {
	name   string
	params []extensionParam
}

// parseExtensions parses every line of the Sec-WebSocket-Extensions header of
// h into the extensions listed, in order. It implements the grammar of
// RFC 6455 section 9.1 with token and quoted-string from RFC 7230
// section 3.2.6. Folded into two rules, with the optional whitespace
// written out as OWS:
//
//	Sec-WebSocket-Extensions = 1#( token *( OWS ";" OWS extension-param ) )
//	extension-param          = token [ OWS "=" OWS ( token / quoted-string ) ]
//
// Empty list elements are skipped (RFC 7230 section 7). Names and values
// are returned as sent: names compare case-insensitively, and RFC 7692
// section 7's requirement that an unquoted value be a token is left to the
// caller. A syntax error is reported with the line, the byte offset within
// it and what was wrong.
func parseExtensions(h http.Header) ([]extension, error) {
	var extensions []extension
	for i, line := range h.Values("Sec-Websocket-Extensions") {
		p := extensionParser{line: i + 1, s: line}
		var err error
		if extensions, err = p.parseList(extensions); err != nil {
			return nil, err
		}
	}
	return extensions, nil
}

// extensionParser holds the position in one Sec-WebSocket-Extensions line.
type extensionParser struct {
	line int // 1-based header line number, for error messages
	s    string
	pos  int
}

// parseList appends the extensions of the line to extensions.
func (p *extensionParser) parseList(extensions []extension) ([]extension, error) {
	for {
		p.skipWhitespace()
		if p.atEnd() {
			return extensions, nil
		}
		if p.s[p.pos] == ',' {
			// An empty list element, which recipients must accept.
			p.pos++
			continue
		}
		ext, err := p.parseExtension()
		if err != nil {
			return nil, err
		}
		extensions = append(extensions, ext)
	}
}

// parseExtension parses one extension and its parameters, and consumes the
// comma that ends it, if any.
func (p *extensionParser) parseExtension() (extension, error) {
	var ext extension
	if ext.name = p.parseToken(); ext.name == "" {
		return extension{}, p.errorExpected("extension name")
	}
	for {
		p.skipWhitespace()
		if p.atEnd() {
			return ext, nil
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
			return ext, nil
		case ';':
			p.pos++
		default:
			return extension{}, p.errorf("expected ';' or ',' after %q, found %q", ext.name, p.s[p.pos])
		}
		param, err := p.parseParam()
		if err != nil {
			return extension{}, err
		}
		ext.params = append(ext.params, param)
	}
}

// parseParam parses extension-param, starting just after its ';'.
func (p *extensionParser) parseParam() (extensionParam, error) {
	var param extensionParam
	p.skipWhitespace()
	if param.name = p.parseToken(); param.name == "" {
		return extensionParam{}, p.errorExpected("parameter name")
	}
	p.skipWhitespace()
	if p.atEnd() || p.s[p.pos] != '=' {
		return param, nil
	}
	p.pos++
	p.skipWhitespace()
	param.hasValue = true
	if !p.atEnd() && p.s[p.pos] == '"' {
		var err error
		if param.value, err = p.parseQuotedString(param.name); err != nil {
			return extensionParam{}, err
		}
		return param, nil
	}
	if param.value = p.parseToken(); param.value == "" {
		return extensionParam{}, p.errorExpected(fmt.Sprintf("value of parameter %q", param.name))
	}
	return param, nil
}

// parseToken consumes a token (one or more tchar) and returns it, or returns
// "" without moving when none starts at the current position.
func (p *extensionParser) parseToken() string {
	start := p.pos
	for !p.atEnd() && isTokenChar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// parseQuotedString consumes a quoted-string (RFC 7230 section 3.2.6) that
// starts at p.pos and returns its content with quoted-pairs unescaped. The
// name of the parameter it is the value of appears in errors.
func (p *extensionParser) parseQuotedString(param string) (string, error) {
	start := p.pos
	p.pos++ // opening DQUOTE
	// unescaped stays nil until the first quoted-pair, so a value without
	// escapes is returned as a substring of the header without copying.
	var unescaped []byte
	from := p.pos
	for !p.atEnd() {
		c := p.s[p.pos]
		switch {
		case c == '"':
			value := p.s[from:p.pos]
			if unescaped != nil {
				value = string(append(unescaped, value...))
			}
			p.pos++
			return value, nil
		case c == '\\':
			if p.pos+1 == len(p.s) {
				return "", p.errorfAt(start, "unterminated quoted string in value of parameter %q", param)
			}
			escaped := p.s[p.pos+1]
			if !isQuotedPairChar(escaped) {
				p.pos++
				return "", p.errorf("invalid escaped character %q in value of parameter %q", escaped, param)
			}
			unescaped = append(unescaped, p.s[from:p.pos]...)
			unescaped = append(unescaped, escaped)
			p.pos += 2
			from = p.pos
		case isQuotedTextChar(c):
			p.pos++
		default:
			return "", p.errorf("invalid character %q in value of parameter %q", c, param)
		}
	}
	return "", p.errorfAt(start, "unterminated quoted string in value of parameter %q", param)
}

// skipWhitespace skips OWS (spaces and tabs).
func (p *extensionParser) skipWhitespace() {
	for !p.atEnd() && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// atEnd reports whether the whole line has been consumed.
func (p *extensionParser) atEnd() bool {
	return p.pos >= len(p.s)
}

// errorExpected reports that what was expected at the current position but
// something else, or the end of the line, was found.
func (p *extensionParser) errorExpected(what string) error {
	if p.atEnd() {
		return p.errorf("expected %s, found end of line", what)
	}
	return p.errorf("expected %s, found %q", what, p.s[p.pos])
}

// errorf reports a syntax error at the current position.
func (p *extensionParser) errorf(format string, args ...any) error {
	return p.errorfAt(p.pos, format, args...)
}

// errorfAt reports a syntax error at byte offset pos of the current line.
func (p *extensionParser) errorfAt(pos int, format string, args ...any) error {
	return fmt.Errorf("websocket: malformed Sec-WebSocket-Extensions header (line %d, offset %d): %s",
		p.line, pos, fmt.Sprintf(format, args...))
}

// isTokenChar reports whether c is a tchar (RFC 7230 section 3.2.6): an
// ASCII letter or digit, or one of !#$%&'*+-.^_`|~.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isQuotedTextChar reports whether c is qdtext (RFC 7230 section 3.2.6):
// HTAB, SP, a visible ASCII character other than DQUOTE and backslash, or
// obs-text (0x80-0xFF).
func isQuotedTextChar(c byte) bool {
	return c != '"' && c != '\\' && isQuotedPairChar(c)
}

// isQuotedPairChar reports whether c may follow a backslash in a quoted-pair
// (RFC 7230 section 3.2.6): HTAB, SP, VCHAR or obs-text, that is anything but
// the other control characters and DEL.
func isQuotedPairChar(c byte) bool {
	const del = 0x7f
	return c == '\t' || (c >= ' ' && c != del)
}
