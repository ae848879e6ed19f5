package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iris-contrib/websocket"
)

// testTimeout bounds every wait of the fake fuzzing server.
const testTimeout = 10 * time.Second

// fakeFuzzingServer speaks the fuzzing server's protocol (/getCaseCount,
// /runCase, /updateReports) with a few cases of its own, and records what
// the client did.
type fakeFuzzingServer struct {
	cases []func(c *websocket.Conn) error

	mu      sync.Mutex
	ran     []string // "case/agent" of each /runCase, in order
	offers  []string // the Sec-WebSocket-Extensions of each /runCase
	reports []string // the agent of each /updateReports
	errs    []error  // what went wrong in a case
}

func (s *fakeFuzzingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u := websocket.Upgrader{EnableCompression: true, Compression: &websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true}}
	c, err := u.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(testTimeout))
	query := r.URL.Query()
	switch r.URL.Path {
	case "/getCaseCount":
		c.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(len(s.cases))))
		s.closeNormally(c)
	case "/runCase":
		n, _ := strconv.Atoi(query.Get("case"))
		s.mu.Lock()
		s.ran = append(s.ran, query.Get("case")+"/"+query.Get("agent"))
		s.offers = append(s.offers, r.Header.Get("Sec-WebSocket-Extensions"))
		s.mu.Unlock()
		if n < 1 || n > len(s.cases) {
			s.fail(fmt.Errorf("case %q out of range", query.Get("case")))
			return
		}
		switch err := s.cases[n-1](c); {
		case err == errClosedByClient:
		case err != nil:
			s.fail(fmt.Errorf("case %d: %w", n, err))
		default:
			s.closeNormally(c)
		}
	case "/updateReports":
		s.mu.Lock()
		s.reports = append(s.reports, query.Get("agent"))
		s.mu.Unlock()
		s.closeNormally(c)
	}
}

func (s *fakeFuzzingServer) fail(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

// closeNormally starts the close handshake and waits for the client's answer.
func (s *fakeFuzzingServer) closeNormally(c *websocket.Conn) {
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(testTimeout))
	for {
		if _, _, err := c.NextReader(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				s.fail(fmt.Errorf("close handshake: %w", err))
			}
			return
		}
	}
}

// errClosedByClient ends a case whose connection the client closed.
var errClosedByClient = errors.New("closed by the client")

// expectFailed sends text that is not UTF-8 and fails unless the client
// fails the connection with 1007 (RFC 6455 section 8.1).
func expectFailed(c *websocket.Conn) error {
	if err := c.WriteMessage(websocket.TextMessage, []byte{'o', 'k', 0xff}); err != nil {
		return err
	}
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseInvalidFramePayloadData) {
		return fmt.Errorf("after invalid UTF-8, the client answered %v, want close 1007", err)
	}
	return errClosedByClient
}

// expectEcho sends a message and fails unless it comes back as it was.
func expectEcho(messageType int, payload []byte) func(c *websocket.Conn) error {
	return func(c *websocket.Conn) error {
		if err := c.WriteMessage(messageType, payload); err != nil {
			return err
		}
		gotType, got, err := c.ReadMessage()
		switch {
		case err != nil:
			return err
		case gotType != messageType || !bytes.Equal(got, payload):
			return fmt.Errorf("echo of %d bytes of type %d: %d bytes of type %d", len(payload), messageType, len(got), gotType)
		}
		return nil
	}
}

// TestClientRunsEveryCaseThenUpdatesReports drives the client against a fake
// fuzzing server, once per echo mode: every case runs in order under the
// agent's name with compression offered, a failed case (invalid UTF-8 from
// the server) is logged and the next one still runs, and the reports are
// updated once at the end.
func TestClientRunsEveryCaseThenUpdatesReports(t *testing.T) {
	for mode, echoFunc := range echoModes {
		t.Run(mode, func(t *testing.T) {
			big := bytes.Repeat([]byte("compressible "), 20000) // 260 KB: several frames
			fake := &fakeFuzzingServer{cases: []func(*websocket.Conn) error{
				expectEcho(websocket.TextMessage, []byte("Hello, world!")),
				expectEcho(websocket.BinaryMessage, big),
				expectFailed,
				expectEcho(websocket.TextMessage, []byte("")),
			}}
			srv := httptest.NewServer(fake) // listens on 127.0.0.1
			defer srv.Close()
			var log strings.Builder
			logf := func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }

			err := run("ws"+strings.TrimPrefix(srv.URL, "http"), "agent-"+mode, echoFunc, logf)
			if err != nil {
				t.Fatalf("run: %v\nlog:\n%s", err, log.String())
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			for _, err := range fake.errs {
				t.Error(err)
			}
			want := []string{"1/agent-" + mode, "2/agent-" + mode, "3/agent-" + mode, "4/agent-" + mode}
			if strings.Join(fake.ran, " ") != strings.Join(want, " ") {
				t.Errorf("cases run: %v, want %v", fake.ran, want)
			}
			for i, offer := range fake.offers {
				if !strings.Contains(offer, "permessage-deflate") || !strings.Contains(offer, "client_no_context_takeover") {
					t.Errorf("case %d offered %q, want permessage-deflate with client_no_context_takeover", i+1, offer)
				}
			}
			if !strings.Contains(log.String(), "case 3: ") {
				t.Errorf("the failed case 3 was not logged:\n%s", log.String())
			}
			if len(fake.reports) != 1 || fake.reports[0] != "agent-"+mode {
				t.Errorf("reports updated for %v, want once for agent-%s", fake.reports, mode)
			}
		})
	}
}

// TestDefaultURLIsTheConfiguredFuzzingServer keeps the -url default and
// config/fuzzingserver.json in step.
func TestDefaultURLIsTheConfiguredFuzzingServer(t *testing.T) {
	raw, err := os.ReadFile("../config/fuzzingserver.json")
	if err != nil {
		t.Fatal(err)
	}
	var config struct{ URL string }
	if err := json.Unmarshal(raw, &config); err != nil {
		t.Fatal(err)
	}
	if config.URL != defaultServerURL {
		t.Errorf("the config has the fuzzing server at %q, the client's default is %q", config.URL, defaultServerURL)
	}
}
