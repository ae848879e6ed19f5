package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// smokeConfig runs every section in a few seconds: enough to show that each
// adapter and server works in the runner, nothing to read numbers from.
var smokeConfig = config{
	rounds: 1, writeTime: 2 * time.Millisecond,
	echoTime: 20 * time.Millisecond, echoWarmup: 5 * time.Millisecond,
	idleConns: 50, idleRounds: 1,
	deflateTime: 20 * time.Millisecond, deflateFlush: 4,
	tinyFrames: 1000, tinyBaseline: 20 * time.Millisecond,
}

func TestRunEverySection(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the echo server and runs every section: skipped with -short")
	}
	rep := &report{out: io.Discard}
	want := map[string]bool{"write": true, "echo": true, "idle": true, "deflate": true, "tiny": true}
	if err := run(smokeConfig, want, rep); err != nil {
		t.Fatal(err)
	}
	out := rep.buf.String()
	for _, heading := range []string{
		"## Client write", "### 1 MiB messages",
		"## Echo over 127.0.0.1", "### 64 KiB messages, 100 connections",
		"## Memory per idle connection",
		"## permessage-deflate echo", "### " + deflateCells(4)[3].String(),
		"## Tiny frames",
		"## Targets in this run",
	} {
		if !strings.Contains(out, heading) {
			t.Errorf("the report has no %q", heading)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "error:") || strings.Contains(line, "not measured") {
			t.Errorf("report line: %s", line)
		}
	}
	for _, r := range rows() {
		// The client write tables and the idle one.
		if n := strings.Count(out, "| "+r.name+" "); n < len(writeSizes)+1 {
			t.Errorf("%s appears in %d table rows", r.name, n)
		}
	}
	for _, r := range serverRows() {
		// The echo tables, the deflate ones without context takeover and
		// the tiny frames.
		if n := strings.Count(out, "| "+r.name+" "); n < len(echoSizes)*len(echoConns)+3+1 {
			t.Errorf("%s appears in %d table rows", r.name, n)
		}
	}
	_, targets, _ := strings.Cut(out, "## Targets in this run")
	for _, line := range strings.Split(targets, "\n")[4:] {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		if cells := strings.Split(line, "|"); len(cells) < 5 || strings.TrimSpace(cells[2]) == "" {
			t.Errorf("a target names no row: %s", line)
		}
	}
}
