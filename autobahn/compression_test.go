package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Categories 12 and 13: permessage-deflate (RFC 7692). The client offers
// compression as the suite's client does, checks that the response accepts
// its first offer, then sends messages one after the other, each when the
// echo of the previous one has come back, compressing them itself within the
// window and context the server allowed, and decompressing the echoes
// within the window and context the server announced.

// deflateOffer is one permessage-deflate offer of the client.
type deflateOffer struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int // 0 when absent
	clientMaxWindowBits     int // -1 when absent, 0 when sent without a value
}

// suiteOffer is the offer of the suite's client: it always allows the
// server to limit the client's window and states that the client keeps no
// context; it may ask the server to keep none and to limit its window.
func suiteOffer(requestNoContextTakeover bool, requestMaxWindowBits int) deflateOffer {
	return deflateOffer{clientNoContextTakeover: true, serverNoContextTakeover: requestNoContextTakeover, serverMaxWindowBits: requestMaxWindowBits}
}

func (o deflateOffer) String() string {
	var b strings.Builder
	b.WriteString("permessage-deflate")
	if o.serverNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if o.clientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if o.serverMaxWindowBits != 0 {
		b.WriteString("; server_max_window_bits=" + strconv.Itoa(o.serverMaxWindowBits))
	}
	switch {
	case o.clientMaxWindowBits == 0:
		b.WriteString("; client_max_window_bits")
	case o.clientMaxWindowBits > 0:
		b.WriteString("; client_max_window_bits=" + strconv.Itoa(o.clientMaxWindowBits))
	}
	return b.String()
}

// offerHeader is the Sec-WebSocket-Extensions value of several offers, in
// order of preference.
func offerHeader(offers ...deflateOffer) string {
	s := make([]string, len(offers))
	for i, o := range offers {
		s[i] = o.String()
	}
	return strings.Join(s, ", ")
}

// accepts returns why p is not a valid acceptance of o, or nil (RFC 7692
// section 7.1).
func (o deflateOffer) accepts(p deflateParams) error {
	switch {
	case o.serverNoContextTakeover && !p.serverNoContextTakeover:
		return fmt.Errorf("offered server_no_context_takeover, which the response must then include (section 7.1.1.1)")
	case o.serverMaxWindowBits != 0 && (p.serverMaxWindowBits == 0 || p.serverMaxWindowBits > o.serverMaxWindowBits):
		return fmt.Errorf("offered server_max_window_bits=%d, answered %d (section 7.1.2.1)", o.serverMaxWindowBits, p.serverMaxWindowBits)
	case p.clientMaxWindowBits != 0 && o.clientMaxWindowBits < 0:
		return fmt.Errorf("client_max_window_bits in the response but not in the offer (section 7.1.2.2)")
	case p.clientMaxWindowBits != 0 && o.clientMaxWindowBits > 0 && p.clientMaxWindowBits > o.clientMaxWindowBits:
		return fmt.Errorf("offered client_max_window_bits=%d, answered %d (section 7.1.2.2)", o.clientMaxWindowBits, p.clientMaxWindowBits)
	}
	return nil
}

// expectAccepted fails the test unless permessage-deflate was negotiated
// with a response that accepts the first offer: every offer the tests make
// is one the server can accept, and it must take the first it can (RFC 7692
// section 5).
//
// When the test plays the server, the response is its own and only its
// presence is checked.
func expectAccepted(rc *rawConn, offers []deflateOffer) {
	rc.t.Helper()
	if rc.server && rc.deflate != nil {
		return
	}
	if rc.deflate == nil {
		rc.t.Fatalf("offered %q, the server declined compression", offerHeader(offers...))
	}
	if err := offers[0].accepts(*rc.deflate); err != nil {
		rc.t.Fatalf("offered %q, answered %+v: %v", offerHeader(offers...), *rc.deflate, err)
	}
}

// compressionRow is a row of the suite's table of message sizes and counts
// for cases 12.*.* and 13.*.*: row i is case 12.x.(i+1) and 13.x.(i+1).
type compressionRow struct {
	size     int
	fragment int // the suite auto-fragments at this many bytes; 0 for no fragmentation
}

var compressionRows = []compressionRow{
	{16, 0}, {64, 0}, {256, 0}, {1 * kib, 0}, {4 * kib, 0}, {8 * kib, 0}, {16 * kib, 0}, {32 * kib, 0}, {64 * kib, 0}, {128 * kib, 0},
	{8 * kib, 256}, {16 * kib, 256}, {32 * kib, 256}, {64 * kib, 256}, {128 * kib, 256}, {128 * kib, 1 * kib}, {128 * kib, 4 * kib}, {128 * kib, 32 * kib},
}

// The suite sends 1000 messages per case. Here a case sends messages up to
// compressionBudget bytes in all, at most maxCompressedMessages and at
// least one: the rows up to 8 KiB send two or more, so that context
// takeover carries from message to message. The rows of 64 KiB and more
// (12.x.9, 12.x.10, 12.x.14 to 12.x.18) run for two kinds of data, the
// JSON text and the PDF.
const (
	compressionBudget     = 16 * kib
	maxCompressedMessages = 16
	bigRow                = 64 * kib
)

func (r compressionRow) count() int {
	return max(1, min(maxCompressedMessages, compressionBudget/r.size))
}

// dataset stands for one of the suite's test files.
type dataset struct {
	name   string
	binary bool
	data   []byte
}

func (d dataset) opcode() byte {
	if d.binary {
		return opBinary
	}
	return opText
}

// compressionDatasets stand for the suite's five test files, in the order of
// cases 12.1 to 12.5: JSON (text), a bitmap, German prose (sent as binary),
// HTML (text) and a PDF (compressed streams among text). The texts are
// ASCII, so every slice of them is valid UTF-8.
func compressionDatasets() []dataset {
	rng := rand.New(rand.NewPCG(12, 13))
	return []dataset{
		{"json", false, jsonData(rng, 192*kib)},
		{"bitmap", true, bitmapData(rng, 256*kib)},
		{"prose", true, proseData(rng, 216*kib)},
		{"html", false, htmlData(rng, 80*kib)},
		{"pdf", true, pdfData(rng, 256*kib)},
	}
}

func jsonData(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"name":"user-%d","active":%v,"score":%.4f,"tags":["t%d","t%d"],"address":{"city":"City %d","zip":"%05d"}},`+"\n",
			i, rng.IntN(100000), rng.IntN(2) == 0, rng.Float64(), rng.IntN(50), rng.IntN(50), rng.IntN(300), rng.IntN(100000))
	}
	return b.Bytes()[:n]
}

func bitmapData(rng *rand.Rand, n int) []byte {
	const width = 512
	b := make([]byte, n)
	for i := range b {
		x, y := i%width, i/width
		b[i] = byte((x+y)/4) + byte(rng.IntN(8))
	}
	return b
}

func proseData(rng *rand.Rand, n int) []byte {
	words := strings.Fields("Habe nun ach Philosophie Juristerei und Medizin und leider auch Theologie durchaus studiert mit heißem Bemühn " +
		"da steh ich nun ich armer Tor und bin so klug als wie zuvor Faust Mephistopheles Gretchen Wagner schön Nacht über Geist")
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(12) == 0 {
			b.WriteString(".\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

func htmlData(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Data</title></head><body>\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<div class=\"row r%d\"><a href=\"/item/%d\">Item %d</a><span>%d</span></div>\n", i%7, rng.IntN(10000), i, rng.IntN(1000))
	}
	return b.Bytes()[:n]
}

func pdfData(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	for i := 1; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", i, 512)
		for range 512 {
			b.WriteByte(byte(rng.Uint32())) // a compressed stream does not compress again
		}
		b.WriteString("\nendstream\nendobj\n")
	}
	return b.Bytes()[:n]
}

// slicer hands out consecutive slices of data, wrapping around, as the suite
// cuts its messages from its test files.
type slicer struct {
	data []byte
	pos  int
}

func (s *slicer) next(n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		take := min(n-len(out), len(s.data)-s.pos)
		out = append(out, s.data[s.pos:s.pos+take]...)
		s.pos = (s.pos + take) % len(s.data)
	}
	return out
}

// compressedEchoCase is case 12.x.y or 13.x.y: row's messages of d, offered
// offers.
func compressedEchoCase(id string, offers []deflateOffer, d dataset, row compressionRow) autobahnCase {
	return autobahnCase{id: id, offer: offerHeader(offers...), play: func(rc *rawConn) {
		expectAccepted(rc, offers)
		s := slicer{data: d.data}
		for range row.count() {
			msg := s.next(row.size)
			rc.sendMessage(d.opcode(), msg, row.fragment)
			rc.expect(message(d.opcode(), msg))
		}
	}}
}

// TestCategory12Compression plays cases 12.1.1 to 12.5.18: the suite's
// default offer, each of its five kinds of data, messages of 16 bytes to 128
// KiB, whole or auto-fragmented into frames of 256 bytes to 32 KiB (only the
// first frame of a compressed message has RSV1, RFC 7692 section 6.1).
func TestCategory12Compression(t *testing.T) { runCases(t, category12Cases()) }

// category12Cases returns the cases of TestCategory12Compression.
func category12Cases() []autobahnCase {
	offers := []deflateOffer{suiteOffer(false, 0)}
	var cases []autobahnCase
	for i, d := range compressionDatasets() {
		for j, row := range compressionRows {
			if row.size >= bigRow && d.name != "json" && d.name != "pdf" {
				continue
			}
			cases = append(cases, compressedEchoCase(fmt.Sprintf("12.%d.%d", i+1, j+1), offers, d, row))
		}
	}
	return append(cases, compressionRuleCases(offers)...)
}

// compressionRuleCases are the rules of RFC 7692 the suite does not test:
// RSV1 only on the first frame of a data message (section 6.1), text that
// must be valid UTF-8 once decompressed (RFC 6455 section 8.1), payloads
// that must be valid DEFLATE data (section 7.2.2; the RFC names no close
// code), and uncompressed messages, which stay allowed.
func compressionRuleCases(offers []deflateOffer) []autobahnCase {
	compressed := func(msg []byte) []byte { return newRawDeflater(false, defaultWindowBits).compress(msg) }
	hello := compressed([]byte("Hello, world!"))
	invalid := compressed([]byte{'o', 'k', 0xed, 0xa0, 0x80})
	offer := offerHeader(offers...)
	return []autobahnCase{
		{id: "12.rules/uncompressed-message", offer: offer, play: sendFrames(textFrame("Hello, world!")), want: []event{textMessage("Hello, world!")}},
		{id: "12.rules/compressed-fragments", offer: offer, play: sendFrames(frame(false, bitRSV1, opText, hello[:3]), frame(true, 0, opContinuation, hello[3:])),
			want: []event{textMessage("Hello, world!")}},
		{id: "12.rules/rsv1-on-continuation", offer: offer, play: sendFrames(frame(false, bitRSV1, opText, hello[:3]), frame(true, bitRSV1, opContinuation, hello[3:])),
			fail: []int{closeProtocol}},
		{id: "12.rules/rsv1-on-ping", offer: offer, play: sendFrames(frame(true, bitRSV1, opPing, nil)), fail: []int{closeProtocol}},
		{id: "12.rules/invalid-utf8-once-decompressed", offer: offer, play: sendFrames(frame(true, bitRSV1, opText, invalid)), fail: []int{closeInvalidData}},
		{id: "12.rules/invalid-deflate-data", offer: offer, play: sendFrames(frame(true, bitRSV1, opBinary, []byte{0xff, 0xff, 0xff, 0xff})),
			fail: []int{closeProtocol, closeInvalidData}},
	}
}

// TestCategory13CompressionParameters plays cases 13.1 to 13.7, the suite's
// parameter sets (asking the server to keep no context, to use a window of
// 2^8 or 2^15 bytes, both, or a list of three offers), with five of the
// eighteen message rows of each (16 bytes, 1 KiB, 8 KiB, and 8 and 32 KiB
// in 256-byte frames). It then goes through every combination of
// the four parameters the suite does not vary (server_no_context_takeover,
// client_no_context_takeover, server_max_window_bits 8 to 15 or absent,
// client_max_window_bits 8 to 15, without a value or absent) with messages
// that repeat their bytes 300 and 1100 bytes back, within a message and
// across messages (windowProbeMessages): a server with a smaller window must
// not refer back that far, one that keeps no context must not refer into the
// previous message, and one that keeps context must keep a window of the
// client's size to decompress what the client sends.
func TestCategory13CompressionParameters(t *testing.T) { runCases(t, category13Cases()) }

// category13Cases returns the cases of TestCategory13CompressionParameters.
func category13Cases() []autobahnCase {
	configs := [][]deflateOffer{
		{suiteOffer(false, 0)},
		{suiteOffer(true, 0)},
		{suiteOffer(false, 8)},
		{suiteOffer(false, 15)},
		{suiteOffer(true, 8)},
		{suiteOffer(true, 15)},
		{suiteOffer(true, 8), suiteOffer(true, 0), suiteOffer(false, 0)},
	}
	json := compressionDatasets()[0]
	var cases []autobahnCase
	for i, offers := range configs {
		for _, row := range []int{1, 4, 6, 11, 13} {
			cases = append(cases, compressedEchoCase(fmt.Sprintf("13.%d.%d", i+1, row), offers, json, compressionRows[row-1]))
		}
	}
	messages := windowProbeMessages()
	for _, serverNCT := range []bool{false, true} {
		for _, clientNCT := range []bool{false, true} {
			for serverBits := 7; serverBits <= 15; serverBits++ {
				for clientBits := -1; clientBits <= 15; clientBits++ {
					if clientBits > 0 && clientBits < minimumWindowBits {
						continue
					}
					offer := deflateOffer{serverNCT, clientNCT, serverBits, clientBits}
					if serverBits < minimumWindowBits {
						offer.serverMaxWindowBits = 0 // absent
					}
					cases = append(cases, parameterCase(offer, messages))
				}
			}
		}
	}
	return cases
}

// windowProbeMessages returns three text messages of random bytes: a unique
// part and a block twice, the block again, and the unique part again. They
// repeat bytes 300 bytes back, beyond a window of 2^8, within the first
// message and from the second into the first; and 1100 bytes back, beyond a
// window of 2^10, from the third into the first, over the second.
func windowProbeMessages() [][]byte {
	rng := rand.New(rand.NewPCG(300, 300))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(' ' + rng.IntN(95))
		}
		return b
	}
	unique, block := random(200), random(300)
	first := append(append(bytes.Clone(unique), block...), block...)
	return [][]byte{first, block, unique}
}

// parameterCase sends messages under one combination of parameters.
func parameterCase(offer deflateOffer, messages [][]byte) autobahnCase {
	id := strings.NewReplacer("permessage-deflate; ", "", "permessage-deflate", "defaults", "; ", "+", "_context_takeover", "_ct", "_max_window_bits", "_bits").Replace(offer.String())
	return autobahnCase{id: "13.params/" + id, offer: offer.String(), play: func(rc *rawConn) {
		expectAccepted(rc, []deflateOffer{offer})
		for _, msg := range messages {
			rc.sendMessage(opText, msg, 0)
			rc.expect(message(opText, msg))
		}
	}}
}

// TestEndpointCompressionSettings pins what the README says each endpoint
// does with permessage-deflate: its answer to the suite's default offer and
// to an offer that leaves every choice to the server, and whether it keeps
// its compression context: a random message sent twice compresses to a
// fraction the second time only when the server keeps its window. (The
// message, 400 bytes, fits the smallest window, /readall's 1 KiB.)
func TestEndpointCompressionSettings(t *testing.T) {
	suite := deflateParams{serverNoContextTakeover: true, clientNoContextTakeover: true}
	open := deflateParams{serverNoContextTakeover: true, clientNoContextTakeover: true}
	takeover := deflateParams{clientNoContextTakeover: true}
	want := map[string]struct{ suite, open deflateParams }{
		"/message":          {suite, open},
		"/message-takeover": {takeover, deflateParams{}},
		"/stream":           {takeover, deflateParams{}},
		"/prepared":         {takeover, takeover},
		"/readall":          {deflateParams{clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 10}, deflateParams{serverMaxWindowBits: 10, clientMaxWindowBits: 10}},
		"/iris":             {takeover, deflateParams{}},
	}
	rng := rand.New(rand.NewPCG(7, 7))
	msg := make([]byte, 400)
	for i := range msg {
		msg[i] = byte(' ' + rng.IntN(95))
	}
	forEachEndpoint(t, func(t *testing.T, e endpoint, url string) {
		w, ok := want[e.path]
		if !ok {
			t.Fatalf("no expectation for %s", e.path)
		}
		for _, offer := range []struct {
			name   string
			header string
			want   deflateParams
		}{
			{"suite offer", suiteOffer(false, 0).String(), w.suite},
			{"open offer", deflateOffer{clientMaxWindowBits: 0}.String(), w.open},
		} {
			rc := dialRaw(t, url, offer.header)
			if rc.deflate == nil || *rc.deflate != offer.want {
				t.Fatalf("%s %q: answered %+v, want %+v", offer.name, offer.header, rc.deflate, offer.want)
			}
			var sizes []int
			for range 2 {
				rc.sendMessage(opText, msg, 0)
				got := rc.next()
				if !got.matches(message(opText, msg)) {
					t.Fatalf("%s: got %v, want the echo", offer.name, got)
				}
				sizes = append(sizes, got.wire)
			}
			if kept := sizes[1] < sizes[0]/4; kept != !offer.want.serverNoContextTakeover {
				t.Errorf("%s: the echoes took %d then %d bytes; server context kept: %v, want %v", offer.name, sizes[0], sizes[1], kept, !offer.want.serverNoContextTakeover)
			}
			rc.closeNormally()
		}
	})
}
