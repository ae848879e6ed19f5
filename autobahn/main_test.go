package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// The suite's cases as Go tests: each TestCategoryN plays the cases of the
// suite's category N against every endpoint of the server, through the
// frame-level client of rawclient_test.go, and asserts what the suite
// expects: the echoed messages and pongs, the close code, or that the
// connection is failed. Sizes and message counts are smaller than the
// suite's where its full size would make the tests slow; the README lists
// the differences.

// serverURL is the ws:// address of the server under test, on 127.0.0.1.
var serverURL string

func TestMain(m *testing.M) {
	handler, err := newHandler(func(string, ...any) {})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := httptest.NewServer(handler) // listens on 127.0.0.1
	serverURL = "ws" + strings.TrimPrefix(srv.URL, "http")
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

// forEachEndpoint runs test against each endpoint, in parallel subtests
// named after the endpoint's path.
func forEachEndpoint(t *testing.T, test func(t *testing.T, e endpoint, url string)) {
	for _, e := range endpoints {
		t.Run(strings.TrimPrefix(e.path, "/"), func(t *testing.T) {
			t.Parallel()
			test(t, e, serverURL+e.path)
		})
	}
}

// autobahnCase is one case of the suite as its client plays it.
type autobahnCase struct {
	id       string
	offer    string              // the Sec-WebSocket-Extensions offer; empty for none, as in categories 1 to 10
	response string              // the answer to the offer when the test plays the server; "permessage-deflate" when empty
	play     func(*rawConn)      // sends the case's frames; may wait for events on the way
	want     []event             // the events expected after play, in order
	fail     []int               // when set, the peer must then fail the connection with one of these codes
	end      func(r *rawConn)    // when set, ends the case instead of the default clean close
	only     func(endpoint) bool // when set, the endpoints the case runs against; all by default
}

// run plays the case on rc, expects its events and checks how it ends. A
// case that neither fails the connection nor has an end of its own ends as
// the suite's cases do: the test closes with 1000, the peer must echo it,
// and the server closes the TCP connection.
func (c autobahnCase) run(rc *rawConn) {
	rc.t.Helper()
	c.play(rc)
	rc.expect(c.want...)
	switch {
	case c.fail != nil:
		rc.expectFailed(c.fail...)
	case c.end != nil:
		c.end(rc)
	default:
		rc.closeNormally()
	}
}

// runCases plays every case against every endpoint.
func runCases(t *testing.T, cases []autobahnCase) {
	forEachEndpoint(t, func(t *testing.T, e endpoint, url string) {
		for _, c := range cases {
			if c.only != nil && !c.only(e) {
				continue
			}
			t.Run(c.id, func(t *testing.T) {
				c.run(dialRaw(t, url, c.offer))
			})
		}
	})
}

// sendFrames returns a play that sends each frame with a write of its own.
func sendFrames(frames ...[]byte) func(*rawConn) {
	return func(rc *rawConn) { rc.send(frames...) }
}

// sendChops returns a play that sends the frames in writes of size bytes.
func sendChops(size int, frames ...[]byte) func(*rawConn) {
	return func(rc *rawConn) { rc.sendChopped(size, frames...) }
}

// onlyMessageEndpoint limits the costliest cases to the first endpoint.
func onlyMessageEndpoint(e endpoint) bool { return e.path == endpoints[0].path }
