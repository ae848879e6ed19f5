package discard

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

func TestAnswersTheHandshakeThenCountsWrites(t *testing.T) {
	c := NewRecording()
	defer c.Close()
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	request := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	// The request arrives in two writes, as a client may send it.
	for _, part := range []string{request[:20], request[20:]} {
		if _, err := io.WriteString(c, part); err != nil {
			t.Fatalf("writing the request: %v", err)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("status %d, want 101", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), wsraw.AcceptKey(key); got != want {
		t.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	for _, frame := range []string{"ab", "cde"} {
		if _, err := io.WriteString(c, frame); err != nil {
			t.Fatalf("write after the handshake: %v", err)
		}
	}
	if calls, n := c.Counts(); calls != 2 || n != 5 {
		t.Errorf("Counts() = %d calls, %d bytes; want 2, 5", calls, n)
	}
	if got := string(c.Recorded()); got != "abcde" {
		t.Errorf("Recorded() = %q, want %q", got, "abcde")
	}
}

func TestReadAfterCloseEnds(t *testing.T) {
	c := New()
	c.Close()
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("Read after Close: %v, want io.EOF", err)
	}
	if _, err := c.Write([]byte("GET")); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close: %v, want a closed-connection error", err)
	}
}
