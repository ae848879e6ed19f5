// Command client runs this package's Dialer as the client under test of the
// Autobahn|Testsuite fuzzing server (wstest -m fuzzingserver):
//
//	go run ./autobahn/client -url ws://127.0.0.1:9002 -agent iris-contrib-client-message
//
// It asks the fuzzing server how many cases there are, runs each one,
// echoing every message with permessage-deflate enabled, and finally asks
// the server to write its report. autobahn/README.md has the Docker commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"strconv"

	"github.com/iris-contrib/websocket"
	"github.com/iris-contrib/websocket/autobahn/internal/echo"
)

// defaultServerURL is where config/fuzzingserver.json has the fuzzing server
// listen; 9002 leaves 9001 to the echo server.
const defaultServerURL = "ws://127.0.0.1:9002"

// echoModes are the ways the client can echo, by the name of the -echo flag.
var echoModes = map[string]echo.Func{
	"message": echo.Message, // ReadMessage, then WriteMessage
	"stream":  echo.Stream,  // NextReader copied into NextWriter
}

// dialer is the client under test (see echo.NewDialer).
var dialer = echo.NewDialer()

func main() {
	serverURL := flag.String("url", defaultServerURL, "the fuzzing server's address")
	agent := flag.String("agent", "iris-contrib-client-message", "the client's name in the reports")
	mode := flag.String("echo", "message", "how to echo: message (ReadMessage, WriteMessage) or stream (NextReader into NextWriter)")
	flag.Parse()

	echoFunc, ok := echoModes[*mode]
	if !ok {
		log.Fatalf("unknown -echo %q: message or stream", *mode)
	}
	if err := run(*serverURL, *agent, echoFunc, log.Printf); err != nil {
		log.Fatal(err)
	}
}

// run plays every case of the fuzzing server at base as agent, then has the
// server update its reports. logf receives the progress.
func run(base, agent string, echoFunc echo.Func, logf func(format string, args ...any)) error {
	count, err := caseCount(base)
	if err != nil {
		return fmt.Errorf("getting the case count: %w", err)
	}
	logf("%d cases to run as %s", count, agent)
	for n := 1; n <= count; n++ {
		if err := runCase(base, agent, n, echoFunc); err != nil {
			// A failed case is for the report to judge; go on with the next.
			logf("case %d: %v", n, err)
		}
	}
	if err := updateReports(base, agent); err != nil {
		return fmt.Errorf("updating the reports: %w", err)
	}
	logf("reports updated for %s", agent)
	return nil
}

// endpoint returns the address of one of the fuzzing server's endpoints.
func endpoint(base, path string, query url.Values) string {
	if len(query) == 0 {
		return base + path
	}
	return base + path + "?" + query.Encode()
}

// caseCount asks /getCaseCount, which sends the count as a text message.
func caseCount(base string) (int, error) {
	c, _, err := dialer.Dial(endpoint(base, "/getCaseCount", nil), nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_, p, err := c.ReadMessage()
	if err != nil {
		return 0, err
	}
	count, err := strconv.Atoi(string(p))
	if err != nil {
		return 0, fmt.Errorf("case count %q: %w", p, err)
	}
	return count, waitForClose(c)
}

// runCase plays case n: it echoes until the connection ends. The error is
// nil when the server closed normally.
func runCase(base, agent string, n int, echoFunc echo.Func) error {
	query := url.Values{"case": {strconv.Itoa(n)}, "agent": {agent}}
	c, _, err := dialer.Dial(endpoint(base, "/runCase", query), nil)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadLimit(echo.MaxMessageSize)
	return normalClose(echoFunc(c))
}

// updateReports asks /updateReports, which writes the reports and closes.
func updateReports(base, agent string) error {
	c, _, err := dialer.Dial(endpoint(base, "/updateReports", url.Values{"agent": {agent}}), nil)
	if err != nil {
		return err
	}
	defer c.Close()
	return waitForClose(c)
}

// waitForClose reads until the server closes the connection.
func waitForClose(c *websocket.Conn) error {
	for {
		if _, _, err := c.NextReader(); err != nil {
			return normalClose(err)
		}
	}
}

// normalClose maps the close handshake the server started with 1000, or
// without a code, to nil.
func normalClose(err error) error {
	var closeErr *websocket.CloseError
	if errors.As(err, &closeErr) && (closeErr.Code == websocket.CloseNormalClosure || closeErr.Code == websocket.CloseNoStatusReceived) {
		return nil
	}
	return err
}
