package websocket

import (
	"compress/flate"
	"errors"
	"strconv"
	"strings"
)

// permessage-deflate, RFC 7692.

const (
	extensionName           = "permessage-deflate"
	serverNoContextTakeover = "server_no_context_takeover"
	clientNoContextTakeover = "client_no_context_takeover"
	serverMaxWindowBits     = "server_max_window_bits"
	clientMaxWindowBits     = "client_max_window_bits"
	minWindowBits           = 8
	maxWindowBits           = 15
	defaultCompressionLevel = 1 // flate.BestSpeed: most of the ratio for a fraction of the CPU
	// defaultFlateLevel is the level flate.DefaultCompression stands for.
	defaultFlateLevel = 6
	// takeoverCompressionLevel is the default under context takeover: the
	// window then holds many earlier messages, and trying a few candidates
	// among them finds longer matches than the last one alone.
	takeoverCompressionLevel = 2
	defaultCompressThreshold = 128
)

// deflateTail is the end of a sync flush, which RFC 7692 section 7.2.1 has
// the sender remove from every compressed message and the receiver put back.
var deflateTail = [4]byte{0x00, 0x00, 0xff, 0xff}

// CompressionOptions tunes permessage-deflate (RFC 7692) for an Upgrader, a
// Server or a Dialer whose EnableCompression is true. The zero value, which a
// nil *CompressionOptions stands for, is what a server with many connections
// wants: each message is compressed and decompressed on its own, so the
// compressors come from pools and an idle connection holds none.
//
// These options go beyond gorilla/websocket, which only supports the zero value.
type CompressionOptions struct {
	// ServerContextTakeover lets the server keep its compression window from
	// one message to the next (RFC 7692 section 7.1.1.1). Small, similar
	// messages (a stream of JSON events) then compress much better, but a
	// server keeps a compressor of about 210 KiB for each connection. A
	// server sets it to offer this; a client sets it to allow the server to
	// do so.
	ServerContextTakeover bool

	// ClientContextTakeover is the same for the client's messages (RFC 7692
	// section 7.1.1.2). The server then keeps a decompressor and a 32 KiB
	// window, about 65 KiB, per connection.
	ClientContextTakeover bool

	// ServerMaxWindowBits limits the server's compression window to 2^bits
	// bytes, 8 to 15 (RFC 7692 section 7.1.2.1); 0 means 15, the default of
	// the RFC. A smaller window lowers the peer's decompression memory and the
	// compression ratio.
	ServerMaxWindowBits int

	// ClientMaxWindowBits is the same for the client's compression window
	// (RFC 7692 section 7.1.2.2).
	ClientMaxWindowBits int

	// Threshold is the size under which WriteMessage, WriteJSON and
	// WritePreparedMessage send a message uncompressed: deflating a few bytes
	// costs more than it saves. 0 means 128 bytes; a negative value
	// compresses every message. Messages from NextWriter, whose size is not
	// known in advance, are always compressed.
	Threshold int
}

// deflateParams are the negotiated parameters of a connection, seen from its
// own side: "write" is what this side sends, "read" what the peer sends.
type deflateParams struct {
	writeContextTakeover bool
	readContextTakeover  bool
	writeWindowBits      int
	readWindowBits       int
	threshold            int
}

// windowBitsOrDefault maps the 0 of an option to the RFC's default.
func windowBitsOrDefault(bits int) int {
	if bits == 0 {
		return maxWindowBits
	}
	return bits
}

// validate reports an option outside the RFC's range.
func (o *CompressionOptions) validate() error {
	if o == nil {
		return nil
	}
	for _, bits := range []int{o.ServerMaxWindowBits, o.ClientMaxWindowBits} {
		if bits != 0 && (bits < minWindowBits || bits > maxWindowBits) {
			return errors.New("websocket: CompressionOptions window bits must be 0 or 8 to 15, not " + strconv.Itoa(bits))
		}
	}
	return nil
}

// orZero returns o, or the zero options, which a nil o stands for.
func (o *CompressionOptions) orZero() *CompressionOptions {
	if o == nil {
		return &CompressionOptions{}
	}
	return o
}

func (o *CompressionOptions) threshold() int {
	switch {
	case o.Threshold == 0:
		return defaultCompressThreshold
	case o.Threshold < 0:
		return 0
	}
	return o.Threshold
}

// deflateOffer is one permessage-deflate offer or response, parsed and checked.
type deflateOffer struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int  // 0 when absent
	clientMaxWindowBits     int  // 0 when absent or without a value
	clientMaxWindowBitsSent bool // the parameter was there, with or without a value
}

// parseDeflateParams checks the parameters of a permessage-deflate element:
// each known at most once, with a value where the RFC requires one, and the
// window bits a decimal from 8 to 15 without leading zeros (RFC 7692
// sections 7.1.1 and 7.1.2).
func parseDeflateParams(params []extensionParam) (deflateOffer, error) {
	var o deflateOffer
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		name := strings.ToLower(p.name)
		if seen[name] {
			return o, errors.New("duplicate parameter " + name)
		}
		seen[name] = true
		switch name {
		case serverNoContextTakeover, clientNoContextTakeover:
			if p.hasValue {
				return o, errors.New("parameter " + name + " takes no value")
			}
			if name == serverNoContextTakeover {
				o.serverNoContextTakeover = true
			} else {
				o.clientNoContextTakeover = true
			}
		case serverMaxWindowBits:
			bits, err := parseWindowBits(p)
			if err != nil {
				return o, err
			}
			if bits == 0 {
				return o, errors.New("parameter " + name + " needs a value")
			}
			o.serverMaxWindowBits = bits
		case clientMaxWindowBits:
			bits, err := parseWindowBits(p)
			if err != nil {
				return o, err
			}
			o.clientMaxWindowBits = bits
			o.clientMaxWindowBitsSent = true
		default:
			return o, errors.New("unknown parameter " + p.name)
		}
	}
	return o, nil
}

// parseWindowBits returns the value of a window bits parameter, 0 when it has none.
func parseWindowBits(p extensionParam) (int, error) {
	if !p.hasValue {
		return 0, nil
	}
	v := p.value
	if len(v) < 1 || len(v) > 2 || v[0] == '0' || strings.Trim(v, "0123456789") != "" {
		return 0, errors.New("parameter " + p.name + " has value " + strconv.Quote(v) + ", not a number from 8 to 15")
	}
	bits, _ := strconv.Atoi(v)
	if bits < minWindowBits || bits > maxWindowBits {
		return 0, errors.New("parameter " + p.name + " has value " + v + ", not a number from 8 to 15")
	}
	return bits, nil
}

// negotiateDeflate picks the first acceptable permessage-deflate offer of
// the client (RFC 7692 section 5). It returns the response to send, empty
// when no offer is acceptable, and the parameters of the server's side.
func negotiateDeflate(offers []extension, opts *CompressionOptions) (response string, params deflateParams) {
	opts = opts.orZero()
	for _, ext := range offers {
		if !equalASCIIFold(ext.name, extensionName) {
			continue
		}
		offer, err := parseDeflateParams(ext.params)
		if err != nil {
			continue // decline a malformed offer; a later one may do
		}
		var b strings.Builder
		b.WriteString(extensionName)

		// The server may always decline to keep its own context, and may
		// always ask the client not to keep its (RFC 7692 section 7.1.1).
		params.writeContextTakeover = opts.ServerContextTakeover && !offer.serverNoContextTakeover
		if !params.writeContextTakeover {
			b.WriteString("; " + serverNoContextTakeover)
		}
		params.readContextTakeover = opts.ClientContextTakeover && !offer.clientNoContextTakeover
		if !params.readContextTakeover {
			b.WriteString("; " + clientNoContextTakeover)
		}

		// The server's window: at most what the client allows; the server
		// may announce a smaller one unasked (RFC 7692 section 7.1.2.1).
		params.writeWindowBits = windowBitsOrDefault(opts.ServerMaxWindowBits)
		if offer.serverMaxWindowBits != 0 {
			params.writeWindowBits = min(params.writeWindowBits, offer.serverMaxWindowBits)
		}
		if params.writeWindowBits < maxWindowBits || offer.serverMaxWindowBits != 0 {
			b.WriteString("; " + serverMaxWindowBits + "=" + strconv.Itoa(params.writeWindowBits))
		}

		// The client's window can only be limited when the client said it
		// supports the parameter (RFC 7692 section 7.1.2.2).
		params.readWindowBits = maxWindowBits
		if offer.clientMaxWindowBitsSent {
			params.readWindowBits = windowBitsOrDefault(opts.ClientMaxWindowBits)
			if offer.clientMaxWindowBits != 0 {
				params.readWindowBits = min(params.readWindowBits, offer.clientMaxWindowBits)
			}
			if params.readWindowBits < maxWindowBits || offer.clientMaxWindowBits != 0 {
				b.WriteString("; " + clientMaxWindowBits + "=" + strconv.Itoa(params.readWindowBits))
			}
		}
		params.threshold = opts.threshold()
		return b.String(), params
	}
	return "", deflateParams{}
}

// deflateOfferHeader is the client's offer for opts.
func deflateOfferHeader(opts *CompressionOptions) string {
	opts = opts.orZero()
	var b strings.Builder
	b.WriteString(extensionName)
	if !opts.ServerContextTakeover {
		b.WriteString("; " + serverNoContextTakeover)
	}
	if !opts.ClientContextTakeover {
		b.WriteString("; " + clientNoContextTakeover)
	}
	if bits := windowBitsOrDefault(opts.ServerMaxWindowBits); bits < maxWindowBits {
		b.WriteString("; " + serverMaxWindowBits + "=" + strconv.Itoa(bits))
	}
	// Always say the client supports a limit on its window, so a server that
	// wants one can ask (RFC 7692 section 7.1.2.2).
	b.WriteString("; " + clientMaxWindowBits)
	if bits := windowBitsOrDefault(opts.ClientMaxWindowBits); bits < maxWindowBits {
		b.WriteString("=" + strconv.Itoa(bits))
	}
	return b.String()
}

// acceptDeflateResponse checks the server's answer to the client's offer
// (RFC 7692 sections 5 and 7.1) and returns the client's parameters. An
// answer the offer does not allow is an error that fails the handshake.
func acceptDeflateResponse(responses []extension, opts *CompressionOptions) (deflateParams, error) {
	opts = opts.orZero()
	fail := func(why string) (deflateParams, error) {
		return deflateParams{}, errors.New("websocket: invalid permessage-deflate response: " + why)
	}
	if len(responses) != 1 || !equalASCIIFold(responses[0].name, extensionName) {
		return fail("the client offered only permessage-deflate, once")
	}
	resp, err := parseDeflateParams(responses[0].params)
	if err != nil {
		return fail(err.Error())
	}
	offeredServerBits := windowBitsOrDefault(opts.ServerMaxWindowBits)
	if resp.serverMaxWindowBits > offeredServerBits {
		return fail(serverMaxWindowBits + " above the " + strconv.Itoa(offeredServerBits) + " offered")
	}
	offeredClientBits := windowBitsOrDefault(opts.ClientMaxWindowBits)
	if resp.clientMaxWindowBitsSent && resp.clientMaxWindowBits == 0 {
		return fail(clientMaxWindowBits + " without a value")
	}
	if resp.clientMaxWindowBits > offeredClientBits {
		return fail(clientMaxWindowBits + " above the " + strconv.Itoa(offeredClientBits) + " offered")
	}
	// A server that leaves out the server_no_context_takeover the client
	// offered declines that parameter: receiving with context takeover costs
	// a window but is correct, so the answer stands.
	params := deflateParams{
		writeContextTakeover: opts.ClientContextTakeover && !resp.clientNoContextTakeover,
		readContextTakeover:  !resp.serverNoContextTakeover,
		writeWindowBits:      offeredClientBits,
		readWindowBits:       maxWindowBits,
		threshold:            opts.threshold(),
	}
	if resp.clientMaxWindowBits != 0 {
		params.writeWindowBits = resp.clientMaxWindowBits
	}
	if resp.serverMaxWindowBits != 0 {
		params.readWindowBits = resp.serverMaxWindowBits
	}
	return params, nil
}

// validCompressionLevel reports whether level is one of compress/flate's,
// which the deflater implements.
func validCompressionLevel(level int) bool {
	return level >= flate.HuffmanOnly && level <= flate.BestCompression
}

// setCompression installs the negotiated parameters on the connection.
func (c *Conn) setCompression(params *deflateParams) {
	c.compression = params
	if params.writeContextTakeover {
		c.compressionLevel.Store(takeoverCompressionLevel)
	}
}
