package main

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iris-contrib/websocket"
	"github.com/iris-contrib/websocket/examples/echo/echoapp"
)

func TestEchoApp(t *testing.T) {
	app := echoapp.NewApp()
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `new WebSocket(`) {
		t.Fatal("the page at / does not open a WebSocket")
	}

	tests := []struct {
		name   string
		dialer *websocket.Dialer
	}{
		{"plain", &websocket.Dialer{HandshakeTimeout: 10 * time.Second}},
		{"permessage-deflate", &websocket.Dialer{HandshakeTimeout: 10 * time.Second, EnableCompression: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, resp, err := tt.dialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/echo", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ext := resp.Header.Get("Sec-WebSocket-Extensions")
			if tt.dialer.EnableCompression != strings.HasPrefix(ext, "permessage-deflate") {
				t.Errorf("extensions %q with compression offered: %v", ext, tt.dialer.EnableCompression)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			for _, msg := range []string{"hello", "héllo ✓", strings.Repeat("x", 70000)} {
				if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				messageType, p, err := c.ReadMessage()
				if err != nil || messageType != websocket.TextMessage || string(p) != msg {
					t.Fatalf("echo of %d bytes: type %d, %d bytes, %v", len(msg), messageType, len(p), err)
				}
			}
		})
	}
}
