package main

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/iris-contrib/websocket/autobahn/internal/echo"
)

// The suite's fuzzing server plays the same cases against a client that the
// fuzzing client plays against a server. These tests do the same against
// this package's Dialer, configured as autobahn/client runs it: the test
// side accepts the connection, strips the masks of the cases' frames and
// checks that the client masks its own (RFC 6455 section 5.1); the client
// echoes with each of autobahn/client's echo modes.

// clientEchoModes are autobahn/client's -echo modes.
var clientEchoModes = []struct {
	name string
	echo echo.Func
}{{"message", echo.Message}, {"stream", echo.Stream}}

// runClientCases plays every case against the client in each echo mode.
// Cases limited to some endpoints (the costliest) run in the message mode
// only.
func runClientCases(t *testing.T, cases []autobahnCase) {
	for _, mode := range clientEchoModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				if c.only != nil && mode.name != clientEchoModes[0].name {
					continue
				}
				t.Run(c.id, func(t *testing.T) { playAgainstClient(t, c, mode.echo) })
			}
		})
	}
}

// playAgainstClient starts the client on a connection to a listener of the
// test's, then plays c as the server.
func playAgainstClient(t *testing.T, c autobahnCase, echoFunc echo.Func) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	clientDone := make(chan error, 1)
	go func() {
		conn, _, err := echo.NewDialer().Dial("ws://"+ln.Addr().String()+"/runCase", nil)
		if err != nil {
			clientDone <- err
			return
		}
		conn.SetReadLimit(echo.MaxMessageSize)
		err = echoFunc(conn)
		conn.Close()
		clientDone <- err
	}()
	rc := acceptRaw(t, ln, func(offer string) string {
		switch {
		case c.offer == "":
			return ""
		case !strings.Contains(offer, "permessage-deflate"):
			t.Errorf("the client offered %q, not permessage-deflate", offer)
			return ""
		case c.response == "":
			return "permessage-deflate"
		}
		return c.response
	})
	c.run(rc)
	rc.conn.Close()
	select {
	case <-clientDone:
	case <-time.After(testTimeout):
		t.Fatalf("the client did not end within %v", testTimeout)
	}
}

// TestClientCategories1To10 plays the cases of categories 1 to 7, 9 and
// 10.1.1 against the client, with the same assertions as against the
// server: the echoes, the pongs, the close code, or the failed connection.
func TestClientCategories1To10(t *testing.T) {
	var cases []autobahnCase
	for _, category := range [][]autobahnCase{category1Cases(), category2Cases(), category3Cases(), category4Cases(),
		category5Cases(), category6Cases(), category7Cases(), category9Cases()} {
		cases = append(cases, category...)
	}
	payload := bytes.Repeat([]byte("*"), 64*kib)
	cases = append(cases, autobahnCase{id: "10.1.1", play: sendFrames(fragments(opText, payload, 1300)...), want: []event{message(opText, payload)}})
	runClientCases(t, cases)
}

// TestClientCategory12And13Compression plays the compression cases against
// the client. The client's offer is fixed (autobahn/client's), so where the
// suite's server cases vary the offer, these vary the response: the suite's
// fuzzing server answers cases 13.1 to 13.7 with what the case names
// (client_no_context_takeover, client_max_window_bits 8 or 15), and then every
// combination of the four parameters a server may answer with follows.
func TestClientCategory12And13Compression(t *testing.T) {
	cases := category12Cases()
	json := compressionDatasets()[0]
	offer := "permessage-deflate" // any offer: the client's own goes out
	for i, response := range []deflateParams{
		{},
		{clientNoContextTakeover: true},
		{clientMaxWindowBits: 8},
		{clientMaxWindowBits: 15},
		{clientNoContextTakeover: true, clientMaxWindowBits: 8},
		{clientNoContextTakeover: true, clientMaxWindowBits: 15},
		{clientNoContextTakeover: true, clientMaxWindowBits: 8},
	} {
		for _, row := range []int{1, 4, 6, 11, 13} {
			c := compressedEchoCase(fmt.Sprintf("13.%d.%d", i+1, row), nil, json, compressionRows[row-1])
			c.offer, c.response = offer, response.String()
			cases = append(cases, c)
		}
	}
	messages := windowProbeMessages()
	for _, serverNCT := range []bool{false, true} {
		for _, clientNCT := range []bool{false, true} {
			for serverBits := 7; serverBits <= 15; serverBits++ {
				for clientBits := 7; clientBits <= 15; clientBits++ {
					response := deflateParams{serverNCT, clientNCT, serverBits, clientBits}
					if serverBits < minimumWindowBits {
						response.serverMaxWindowBits = 0 // absent
					}
					if clientBits < minimumWindowBits {
						response.clientMaxWindowBits = 0
					}
					c := parameterCase(deflateOffer{}, messages)
					c.id = "13.params/" + strings.NewReplacer("permessage-deflate; ", "", "permessage-deflate", "defaults", "; ", "+").Replace(response.String())
					c.offer, c.response = offer, response.String()
					c.only = onlyMessageEndpoint
					cases = append(cases, c)
				}
			}
		}
	}
	runClientCases(t, cases)
}
