package main

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iris-contrib/websocket"
	"github.com/iris-contrib/websocket/examples/chat/chatapp"
)

// waitLimit bounds every wait of these tests.
const waitLimit = 20 * time.Second

// startChat serves a chat app with opts on 127.0.0.1 and returns its ws:// base URL.
func startChat(t *testing.T, opts chatapp.Options) (wsURL string, httpURL string) {
	t.Helper()
	app := chatapp.NewApp(opts)
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), srv.URL
}

// chatURL is the address of the socket for room and name.
func chatURL(base, room, name string) string {
	return base + "/ws?" + url.Values{"room": {room}, "name": {name}}.Encode()
}

// join connects name to room with d, and checks that permessage-deflate is
// negotiated exactly when d offers it.
func join(t *testing.T, d *websocket.Dialer, base, room, name string) *websocket.Conn {
	t.Helper()
	c, resp, err := d.Dial(chatURL(base, room, name), nil)
	if err != nil {
		t.Fatalf("%s joins %s: %v", name, room, err)
	}
	ext := resp.Header.Get("Sec-WebSocket-Extensions")
	if d.EnableCompression != strings.HasPrefix(ext, "permessage-deflate") {
		t.Errorf("%s: negotiated extensions %q with compression offered: %v", name, ext, d.EnableCompression)
	}
	t.Cleanup(func() {
		// A close frame first, so the server sees a normal leave.
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		c.Close()
	})
	return c
}

var compressingDialer = &websocket.Dialer{EnableCompression: true, HandshakeTimeout: waitLimit}

// readEvent reads the next event of c, waiting at most waitLimit.
func readEvent(t *testing.T, c *websocket.Conn) chatapp.Event {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLimit))
	var e chatapp.Event
	if err := c.ReadJSON(&e); err != nil {
		t.Fatalf("read event: %v", err)
	}
	return e
}

func expectEvent(t *testing.T, who string, c *websocket.Conn, want chatapp.Event) {
	t.Helper()
	if got := readEvent(t, c); got != want {
		t.Fatalf("%s got %+v, want %+v", who, got, want)
	}
}

func TestPage(t *testing.T) {
	_, httpURL := startChat(t, chatapp.Options{})
	resp, err := http.Get(httpURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`id="messages"`, `id="send-form"`, `new WebSocket(`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page at / lacks %s", want)
		}
	}
}

func TestJoinRefused(t *testing.T) {
	base, _ := startChat(t, chatapp.Options{})
	tests := []struct{ name, room, user string }{
		{"no room", "", "ann"},
		{"no name", "lobby", ""},
		{"blank name", "lobby", "   "},
		{"name too long", "lobby", strings.Repeat("n", 33)},
		{"control character", "lobby", "ann\x07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, resp, err := compressingDialer.Dial(chatURL(base, tt.room, tt.user), nil)
			if err == nil {
				c.Close()
				t.Fatal("the handshake succeeded")
			}
			if resp == nil || resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("got response %v, error %v; want status 400", resp, err)
			}
		})
	}
}

func TestRoom(t *testing.T) {
	base, _ := startChat(t, chatapp.Options{})

	ann := join(t, compressingDialer, base, "lobby", "ann")
	expectEvent(t, "ann", ann, chatapp.Event{Kind: chatapp.KindJoin, Name: "ann"})
	bob := join(t, compressingDialer, base, "lobby", "bob")
	for who, c := range map[string]*websocket.Conn{"ann": ann, "bob": bob} {
		expectEvent(t, who, c, chatapp.Event{Kind: chatapp.KindJoin, Name: "bob"})
	}
	carol := join(t, compressingDialer, base, "kitchen", "carol")
	expectEvent(t, "carol", carol, chatapp.Event{Kind: chatapp.KindJoin, Name: "carol"})

	messages := []string{"hello", "héllo 日本語 ✓ 🎉", strings.Repeat("long message ", 8000)}
	for _, text := range messages {
		if err := ann.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
			t.Fatal(err)
		}
		for who, c := range map[string]*websocket.Conn{"ann": ann, "bob": bob} {
			expectEvent(t, who, c, chatapp.Event{Kind: chatapp.KindMessage, Name: "ann", Text: text})
		}
	}

	// Nothing of the lobby reached the kitchen: carol's next event is her own message.
	if err := carol.WriteMessage(websocket.TextMessage, []byte("anyone?")); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "carol", carol, chatapp.Event{Kind: chatapp.KindMessage, Name: "carol", Text: "anyone?"})

	closeMessage := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := bob.WriteControl(websocket.CloseMessage, closeMessage, time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "ann", ann, chatapp.Event{Kind: chatapp.KindLeave, Name: "bob"})
}

func TestBinaryMessageRefused(t *testing.T) {
	base, _ := startChat(t, chatapp.Options{})
	ann := join(t, compressingDialer, base, "lobby", "ann")
	expectEvent(t, "ann", ann, chatapp.Event{Kind: chatapp.KindJoin, Name: "ann"})
	if err := ann.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	ann.SetReadDeadline(time.Now().Add(waitLimit))
	_, _, err := ann.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseUnsupportedData) {
		t.Fatalf("got %v, want close 1003", err)
	}
}

// TestSlowClientDropped has a member that never reads while another sends
// large messages: the room must drop the silent one, tell the others, and
// keep working.
func TestSlowClientDropped(t *testing.T) {
	const (
		messageSize = 64 << 10
		maxMessages = 1000 // 64 MiB at most, far more than the socket buffers hold
	)
	base, _ := startChat(t, chatapp.Options{SendQueue: 4})

	// Uncompressed, the socket buffers fill with fewer messages; compression
	// has tests of its own.
	plainDialer := &websocket.Dialer{HandshakeTimeout: waitLimit}
	fast := join(t, plainDialer, base, "lobby", "fast")
	expectEvent(t, "fast", fast, chatapp.Event{Kind: chatapp.KindJoin, Name: "fast"})
	slow := join(t, plainDialer, base, "lobby", "slow")
	expectEvent(t, "fast", fast, chatapp.Event{Kind: chatapp.KindJoin, Name: "slow"})

	// Letters from a seeded generator.
	rng := rand.New(rand.NewPCG(1, 2))
	payload := make([]byte, messageSize)
	for i := range payload {
		payload[i] = 'a' + byte(rng.IntN(26))
	}

	// fast waits for each message to come back before sending the next, so
	// it is never the slow one.
	var leave *chatapp.Event
	sent := 0
	for sent < maxMessages && leave == nil {
		text := strconv.Itoa(sent) + ":" + string(payload)
		if err := fast.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
			t.Fatalf("message %d: %v", sent, err)
		}
		for {
			e := readEvent(t, fast)
			if e.Kind == chatapp.KindLeave && e.Name == "slow" {
				leave = &e
				continue
			}
			if e.Kind != chatapp.KindMessage || e.Name != "fast" || e.Text != text {
				t.Fatalf("after message %d, fast got %s from %s (%d bytes)", sent, e.Kind, e.Name, len(e.Text))
			}
			break
		}
		sent++
	}
	if leave == nil {
		t.Fatalf("the slow client was not dropped after %d messages of %d bytes", sent, messageSize)
	}
	t.Logf("slow client dropped after %d messages of %d bytes: %q", sent, messageSize, leave.Text)
	if !strings.Contains(leave.Text, "too slow") {
		t.Errorf("leave notice %+v does not say the client was too slow", *leave)
	}

	// The room still works.
	if err := fast.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "fast", fast, chatapp.Event{Kind: chatapp.KindMessage, Name: "fast", Text: "still here"})

	// The silent client finds its connection closed by the server: a close
	// frame with 1008 if it could still be sent, else the end of the stream.
	slow.SetReadDeadline(time.Now().Add(waitLimit))
	var err error
	for err == nil {
		_, _, err = slow.ReadMessage()
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("the slow client's connection is still open: %v", err)
	}
	var closeErr *websocket.CloseError
	if errors.As(err, &closeErr) && closeErr.Code != websocket.ClosePolicyViolation && closeErr.Code != websocket.CloseAbnormalClosure {
		t.Fatalf("slow client closed with %v, want 1008", err)
	}
	t.Logf("the slow client's read ended with: %v", err)
}

// TestKeepalive checks that the server pings, that pongs keep a client
// connected past PongWait, and that a client that stops answering is
// disconnected.
func TestKeepalive(t *testing.T) {
	opts := chatapp.Options{PingInterval: 50 * time.Millisecond, PongWait: time.Second}
	base, _ := startChat(t, opts)

	alive := join(t, compressingDialer, base, "lobby", "alive")
	var pings atomic.Int64
	alive.SetPingHandler(func(appData string) error {
		pings.Add(1)
		return alive.WriteControl(websocket.PongMessage, []byte(appData), time.Now().Add(waitLimit))
	})
	expectEvent(t, "alive", alive, chatapp.Event{Kind: chatapp.KindJoin, Name: "alive"})

	// mute reads (so it would see pings) but never answers them.
	mute := join(t, compressingDialer, base, "lobby", "mute")
	mute.SetPingHandler(func(string) error { return nil })
	muteDone := make(chan error, 1)
	go func() {
		mute.SetReadDeadline(time.Now().Add(waitLimit))
		for {
			if _, _, err := mute.ReadMessage(); err != nil {
				muteDone <- err
				return
			}
		}
	}()
	expectEvent(t, "alive", alive, chatapp.Event{Kind: chatapp.KindJoin, Name: "mute"})

	// mute joined after alive, so alive would have timed out first had its
	// pongs not moved its deadline.
	expectEvent(t, "alive", alive, chatapp.Event{Kind: chatapp.KindLeave, Name: "mute"})
	if n := pings.Load(); n < 2 {
		t.Errorf("alive answered %d pings before mute was disconnected, want several", n)
	}
	select {
	case err := <-muteDone:
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			t.Fatalf("mute's own read timed out instead of the server closing it: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("mute's connection is still open")
	}

	if err := alive.WriteMessage(websocket.TextMessage, []byte("ping me")); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "alive", alive, chatapp.Event{Kind: chatapp.KindMessage, Name: "alive", Text: "ping me"})
}

// TestEventJSON pins the wire format the page reads.
func TestEventJSON(t *testing.T) {
	tests := []struct {
		event chatapp.Event
		want  string
	}{
		{chatapp.Event{Kind: chatapp.KindJoin, Name: "ann"}, `{"kind":"join","name":"ann"}`},
		{chatapp.Event{Kind: chatapp.KindMessage, Name: "ann", Text: "hi"}, `{"kind":"message","name":"ann","text":"hi"}`},
		{chatapp.Event{Kind: chatapp.KindLeave, Name: "bob", Text: "too slow"}, `{"kind":"leave","name":"bob","text":"too slow"}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.event)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.event, got, err, tt.want)
		}
	}
}
