package websocket

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the tests of the package: servers on 127.0.0.1, a
// connected pair of Conns, and raw frame-level peers that can break the rules.

// testTimeout bounds every wait of a test, so a bug fails instead of hanging.
const testTimeout = 10 * time.Second

// echo is a Handler that sends every message back as it came.
func echo(c *Conn) {
	for {
		messageType, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(messageType, p); err != nil {
			return
		}
	}
}

// streamEcho is a Handler that echoes through NextReader and NextWriter,
// copying in pieces of 100 bytes, smaller than any buffer.
func streamEcho(c *Conn) {
	buf := make([]byte, 100)
	for {
		messageType, r, err := c.NextReader()
		if err != nil {
			return
		}
		w, err := c.NextWriter(messageType)
		if err != nil {
			return
		}
		if _, err := io.CopyBuffer(w, r, buf); err != nil {
			return
		}
		if err := w.Close(); err != nil {
			return
		}
	}
}

// startServer serves handler behind u (a zero Upgrader when nil) on
// 127.0.0.1 and returns the ws:// URL. The conn is closed after handler.
func startServer(t testing.TB, u *Upgrader, handler Handler) string {
	t.Helper()
	if u == nil {
		u = &Upgrader{}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		handler(c)
	}))
	t.Cleanup(srv.Close)
	return httpToWS(srv.URL)
}

func httpToWS(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

// dial connects a client to wsURL with d (a zero Dialer when nil).
func dial(t testing.TB, d *Dialer, wsURL string) *Conn {
	t.Helper()
	if d == nil {
		d = &Dialer{}
	}
	c, _, err := d.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", wsURL, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connPair returns a server and a client Conn joined by a loopback TCP
// connection, without an HTTP handshake.
func connPair(t testing.TB, readBufferSize, writeBufferSize int) (server, client *Conn) {
	t.Helper()
	serverSide, clientSide := tcpPair(t)
	server = newConn(serverSide, true, nil, readBufferSize, writeBufferSize, nil)
	client = newConn(clientSide, false, nil, readBufferSize, writeBufferSize, nil)
	return server, client
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (a, b net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	b, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a = <-accepted
	if a == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// rawPeer speaks frames over a plain connection, following or breaking the
// rules as a test needs. It is the client side of a server under test when
// masked is true, the server side of a client under test otherwise.
type rawPeer struct {
	t      testing.TB
	conn   net.Conn
	br     *bufio.Reader
	masked bool
}

// dialRaw opens a connection to the server at wsURL and completes the
// handshake by hand, with extra request header lines ("Name: value").
func dialRaw(t testing.TB, wsURL string, extraHeaders ...string) *rawPeer {
	t.Helper()
	p, _ := readUpgradeResponse(t, sendRawHandshake(t, wsURL, extraHeaders...))
	return p
}

// sendRawHandshake opens a connection to the server at wsURL and sends the
// opening handshake, with extra request header lines ("Name: value"),
// without reading the response.
func sendRawHandshake(t testing.TB, wsURL string, extraHeaders ...string) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(wsURL, "ws://")
	path := "/"
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		addr, path = addr[:i], addr[i:]
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(testTimeout))
	_, err = io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+addr+
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13"+
		"\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"+headerLines(extraHeaders)+"\r\n")
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// readUpgradeResponse reads the server's answer to a handshake sent on conn,
// fails the test unless it is 101, and returns the client side as a masking
// rawPeer with the response.
func readUpgradeResponse(t testing.TB, conn net.Conn) (*rawPeer, *http.Response) {
	t.Helper()
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake status %d", resp.StatusCode)
	}
	return &rawPeer{t: t, conn: conn, br: br, masked: true}, resp
}

// writeFrame sends one frame: first is the first header byte (final bit,
// reserved bits, opcode). The payload is masked when the peer is a client.
func (p *rawPeer) writeFrame(first byte, payload []byte) {
	p.t.Helper()
	p.write(encodeTestFrame(first, payload, p.masked))
}

// write sends bytes as they are.
func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("raw write: %v", err)
	}
}

// encodeTestFrame encodes a frame independently of the package's encoder,
// with the mask key 0x11223344 when masked.
func encodeTestFrame(first byte, payload []byte, masked bool) []byte {
	b := []byte{first, 0}
	switch n := len(payload); {
	case n <= 125:
		b[1] = byte(n)
	case n <= 0xFFFF:
		b[1] = 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] = 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !masked {
		return append(b, payload...)
	}
	b[1] |= 0x80
	key := []byte{0x11, 0x22, 0x33, 0x44}
	b = append(b, key...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	return b
}

// testFrame is a frame as a rawPeer read it.
type testFrame struct {
	first   byte
	payload []byte
}

func (f testFrame) opcode() byte { return f.first & 0x0F }

// closeCode returns the status code of a close frame, or 1005 when it has none.
func (f testFrame) closeCode() int {
	if len(f.payload) < 2 {
		return CloseNoStatusReceived
	}
	return int(binary.BigEndian.Uint16(f.payload))
}

// readFrame reads one frame, unmasking it if needed.
func (p *rawPeer) readFrame() (testFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(p.br, h[:]); err != nil {
		return testFrame{}, err
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(p.br, ext[:]); err != nil {
			return testFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(p.br, ext[:]); err != nil {
			return testFrame{}, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	var key [4]byte
	if h[1]&0x80 != 0 {
		if _, err := io.ReadFull(p.br, key[:]); err != nil {
			return testFrame{}, err
		}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(p.br, payload); err != nil {
		return testFrame{}, err
	}
	if h[1]&0x80 != 0 {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return testFrame{first: h[0], payload: payload}, nil
}

// expectClose reads frames until a close frame and returns its code; it fails
// the test if the connection ends first.
func (p *rawPeer) expectClose() int {
	p.t.Helper()
	for {
		f, err := p.readFrame()
		if err != nil {
			p.t.Fatalf("no close frame before %v", err)
		}
		if f.opcode() == closeFrame {
			return f.closeCode()
		}
	}
}

// headerLines formats header lines for a raw handshake.
func headerLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	return b.String()
}

// serveRaw accepts one client on 127.0.0.1, answers its handshake by hand and
// hands over the server side as a rawPeer. It returns the ws:// URL.
func serveRaw(t testing.TB) (wsURL string, peer <-chan *rawPeer) {
	return serveRawWithHeader(t)
}

// serveRawWithHeader is serveRaw with extra response header lines.
func serveRawWithHeader(t testing.TB, extraHeaders ...string) (wsURL string, peer <-chan *rawPeer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	peers := make(chan *rawPeer, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			close(peers)
			return
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetDeadline(time.Now().Add(testTimeout))
		br := bufio.NewReader(conn)
		req, err := http.ReadRequest(br)
		if err != nil {
			close(peers)
			return
		}
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
			computeAcceptKey(req.Header.Get("Sec-WebSocket-Key"))+"\r\n"+headerLines(extraHeaders)+"\r\n")
		peers <- &rawPeer{t: t, conn: conn, br: br, masked: false}
	}()
	return "ws://" + ln.Addr().String() + "/", peers
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// skipAllocationsUnderRace skips a test that counts allocations when the
// race detector is on: it makes sync.Pool drop a quarter of what is put
// back, so pooled buffers are made again. scripts/test.sh runs these tests
// without -race too.
func skipAllocationsUnderRace(t *testing.T) {
	t.Helper()
	if raceEnabled() {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
}
