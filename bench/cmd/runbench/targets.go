package main

import (
	"fmt"

	"github.com/iris-contrib/websocket/bench/internal/payload"
)

// results are the medians the targets are checked against.
type results struct {
	write   map[writeKey]writeResult
	echo    map[echoKey]echoResult
	idle    map[string]idleResult
	deflate map[deflateKey]deflateResult
	tiny    map[string]tinyResult
}

// target is one of the issues' targets, checked on this run's figures.
type target struct {
	name   string
	row    string // the row the figure comes from
	figure string
	met    bool
	ok     bool // the figures were measured
}

const (
	// idleTargetBytes is the memory target per idle connection read on a
	// goroutine of its own, irisIdleTargetBytes through an iris app's
	// Server.Serve (issue 14).
	idleTargetBytes     = 8 << 10
	irisIdleTargetBytes = 6 << 10
	// ratioTolerance lets two compression ratios count as equal: each
	// sample cycles through documents whose compressed sizes differ by a
	// few percent, and does not end on the same one for every server.
	ratioTolerance = 1.01
	// The drop-in read target: bytes allocated per message at most
	// allocFactor times the message, plus allocSlack.
	allocFactor = 1.05
	allocSlack  = 64
)

// targets prints whether this run meets each target, with its figures:
// issue 16's first, then those of issue 8 that still stand.
func (r *report) targets(res *results) {
	var ts []target
	if res.write != nil {
		ts = append(ts, writeTargets(res.write)...)
	}
	if res.echo != nil {
		ts = append(ts, echoTargets(res.echo)...)
	}
	if res.deflate != nil {
		ts = append(ts, deflateTargets(res.deflate)...)
	}
	if res.tiny != nil {
		ts = append(ts, tinyTargets(res.tiny)...)
	}
	if res.idle != nil {
		ts = append(ts, idleTarget(res.idle), irisIdleTarget(res.idle))
	}
	if len(ts) == 0 {
		return
	}
	r.printf("\n## Targets in this run\n\n")
	r.printf("Issue 16's targets and those of issue 8 that still stand, each checked on one row of the tables above (the row column), " +
		"with the figures of the rows it is compared with.\n\n")
	t := &table{head: []string{"target", "row", "figure", "result"}}
	for _, x := range ts {
		verdict := "missed"
		switch {
		case !x.ok:
			verdict = "not measured"
		case x.met:
			verdict = "met"
		}
		t.add(x.name, x.row, x.figure, verdict)
	}
	r.table(t)
}

func writeTargets(w map[writeKey]writeResult) []target {
	at := func(row string, size int) writeResult { return w[writeKey{row, size}] }
	ours16k, copy16k, gob16k := at(ourRow, 16<<10), at(copyRow, 16<<10), at(gobwasRow, 16<<10)
	ours1m, gor1m := at(ourRow, 1<<20), at(gorillaRow, 1<<20)
	ours16, gor16 := at(ourRow, 16), at(gorillaRow, 16)
	return withRow(ourRow, []target{
		{
			name:   "client write 16 KiB ≥ 0.85x the copy() reference (issue 16)",
			figure: fmt.Sprintf("%s (%s vs %s MB/s)", ratio(ours16k.mbps, copy16k.mbps), num(ours16k.mbps), num(copy16k.mbps)),
			met:    ours16k.mbps >= 0.85*copy16k.mbps, ok: copy16k.mbps > 0,
		},
		{
			name:   "client write 16 KiB ≥ 1.2x gobwas/ws",
			figure: fmt.Sprintf("%s (%s vs %s MB/s)", ratio(ours16k.mbps, gob16k.mbps), num(ours16k.mbps), num(gob16k.mbps)),
			met:    ours16k.mbps >= 1.2*gob16k.mbps, ok: gob16k.mbps > 0,
		},
		{
			name:   "client write 1 MiB ≥ 3x gorilla",
			figure: fmt.Sprintf("%s (%s vs %s MB/s)", ratio(ours1m.mbps, gor1m.mbps), num(ours1m.mbps), num(gor1m.mbps)),
			met:    ours1m.mbps >= 3*gor1m.mbps, ok: gor1m.mbps > 0,
		},
		{
			name:   "client write 1 MiB in ≤ 16 Write calls",
			figure: fmt.Sprintf("%s Write calls/msg", num(ours1m.calls)),
			met:    ours1m.calls <= 16, ok: ours1m.calls > 0,
		},
		{
			name:   "client write 16 B ≥ 1.3x gorilla",
			figure: fmt.Sprintf("%s (%s vs %s MB/s)", ratio(ours16.mbps, gor16.mbps), num(ours16.mbps), num(gor16.mbps)),
			met:    ours16.mbps >= 1.3*gor16.mbps, ok: gor16.mbps > 0,
		},
		{
			name:   "client write 16 B with 0 allocations",
			figure: fmt.Sprintf("%s allocs/msg", num(ours16.allocs)),
			met:    ours16.allocs < 0.01, ok: ours16.mbps > 0,
		},
	}...)
}

// withRow sets the row of each target.
func withRow(row string, ts ...target) []target {
	for i := range ts {
		ts[i].row = row
	}
	return ts
}

// allocTarget checks the drop-in read's allocations on a cell of size-byte
// messages.
func allocTarget(cell string, size int, dropIn, appendRead, gorilla usage, measured bool) target {
	limit := allocFactor*float64(size) + allocSlack
	return target{
		name: fmt.Sprintf("%s: bytes allocated per message ≤ %.2fx the message + %d B (issue 16)", cell, allocFactor, allocSlack),
		figure: fmt.Sprintf("%s B, %s allocs per %d-byte message (limit %s B); %s %s B; gorilla %s B, %s allocs",
			num(dropIn.bytes), num(dropIn.allocs), size, num(limit), appendRow, num(appendRead.bytes), num(gorilla.bytes), num(gorilla.allocs)),
		met: dropIn.bytes <= limit, ok: measured,
	}
}

func echoTargets(e map[echoKey]echoResult) []target {
	at := func(row string, size, conns int) echoResult { return e[echoKey{row, size, conns}] }
	drop64, app64, gor64, gws64, floor64 := at(dropInRow, 64<<10, 1), at(appendRow, 64<<10, 1), at(gorillaRow, 64<<10, 1), at(gwsRow, 64<<10, 1), at(floorRow, 64<<10, 1)
	app32, drop32, gor32, floor32 := at(appendRow, 32, 100), at(dropInRow, 32, 100), at(gorillaRow, 32, 100), at(floorRow, 32, 100)
	measured := func(rs ...echoResult) bool {
		for _, r := range rs {
			if r.err != nil || r.msgsPerSec == 0 {
				return false
			}
		}
		return true
	}
	floorCPU := "not measured"
	if measured(floor64) {
		floorCPU = micros(floor64.server.cpu) + " µs"
	}
	ts := withRow(dropInRow, allocTarget("echo 64 KiB, 1 connection", 64<<10, drop64.server, app64.server, gor64.server, measured(drop64, app64, gor64)))
	return append(ts, withRow(appendRow,
		target{
			name: "echo 64 KiB, 1 connection: server CPU/msg ≤ gws's (issue 16)",
			figure: fmt.Sprintf("%s vs %s µs (%s); %s %s µs; floor %s", micros(app64.server.cpu), micros(gws64.server.cpu),
				ratio(float64(app64.server.cpu), float64(gws64.server.cpu)), dropInRow, micros(drop64.server.cpu), floorCPU),
			met: app64.server.cpu <= gws64.server.cpu, ok: measured(app64, gws64),
		},
		target{
			name: "echo 64 KiB, 1 connection: ≤ 1.5 read system calls per message (issue 16)",
			figure: fmt.Sprintf("%s reads/msg; gws %s, floor %s, %s %s", num(app64.server.reads), num(gws64.server.reads),
				num(floor64.server.reads), dropInRow, num(drop64.server.reads)),
			met: app64.server.reads <= 1.5, ok: measured(app64),
		},
		target{
			name:   "echo 64 KiB, 1 connection: p99 ≤ gws's",
			figure: fmt.Sprintf("%s vs %s µs", micros(app64.p99), micros(gws64.p99)),
			met:    app64.p99 <= gws64.p99, ok: measured(app64, gws64),
		},
		target{
			name: "echo 32 B, 100 connections: msg/s ≥ 1.2x gorilla",
			figure: fmt.Sprintf("%s (%s vs %s msg/s); %s %s; floor %s", ratio(app32.msgsPerSec, gor32.msgsPerSec),
				num(app32.msgsPerSec), num(gor32.msgsPerSec), dropInRow, ratio(drop32.msgsPerSec, gor32.msgsPerSec),
				floorRatio(floor32, floor32.msgsPerSec, gor32.msgsPerSec)),
			met: app32.msgsPerSec >= 1.2*gor32.msgsPerSec, ok: measured(app32, gor32),
		},
	)...)
}

// floorRatio is the floor's figure against gorilla's, for a target the
// floor bounds: what the machine allows any server, library or none.
func floorRatio(floor echoResult, figure, gorilla float64) string {
	if floor.err != nil || floor.msgsPerSec == 0 {
		return "not measured"
	}
	return ratio(figure, gorilla)
}

func deflateTargets(d map[deflateKey]deflateResult) []target {
	cells := deflateCells(0)
	docs1, docs16, events, eventsTakeover := cells[0], cells[1], cells[2], cells[3]
	at := func(row string, cell deflateCell) deflateResult {
		r, ok := d[cell.key(row)]
		if !ok {
			return deflateResult{err: fmt.Errorf("not measured")}
		}
		return r
	}
	measured := func(rs ...deflateResult) bool {
		for _, r := range rs {
			if r.err != nil || r.mbps == 0 {
				return false
			}
		}
		return true
	}
	drop, app, gor := at(dropInRow, docs1), at(appendRow, docs1), at(gorillaRow, docs1)
	app16, drop16, gws16 := at(appendRow, docs16), at(dropInRow, docs16), at(gwsRow, docs16)
	dropEv, gorEv := at(dropInRow, eventsTakeover), at(gorillaRow, events)
	ts := withRow(dropInRow,
		allocTarget("deflate 16 KiB JSON echo, 1 connection", payload.DocumentSize, drop.server, app.server, gor.server, measured(drop, app, gor)),
		target{
			name: "deflate 16 KiB JSON echo, 1 connection: server CPU/msg ≤ 0.7x gorilla's (issue 16)",
			figure: fmt.Sprintf("%s (%s vs %s µs); %s %s", ratio(float64(drop.server.cpu), float64(gor.server.cpu)),
				micros(drop.server.cpu), micros(gor.server.cpu), appendRow, ratio(float64(app.server.cpu), float64(gor.server.cpu))),
			met: float64(drop.server.cpu) <= 0.7*float64(gor.server.cpu), ok: measured(drop, gor),
		},
	)
	ts = append(ts, withRow(appendRow, target{
		name: "deflate 16 KiB JSON echo, 16 connections: MB/s ≥ gws's (issue 16)",
		figure: fmt.Sprintf("%s (%s vs %s MB/s); %s %s", ratio(app16.mbps, gws16.mbps), num(app16.mbps), num(gws16.mbps),
			dropInRow, ratio(drop16.mbps, gws16.mbps)),
		met: app16.mbps >= gws16.mbps, ok: measured(app16, gws16),
	})...)
	return append(ts, withRow(dropInRow,
		target{
			name: "deflate 16 KiB JSON echo: the server's wire bytes ≤ gorilla's (within 1%: samples end on different documents)",
			figure: fmt.Sprintf("%.1f%% vs %.1f%% of the payload", 100*drop.wirePerMsg/float64(payload.DocumentSize),
				100*gor.wirePerMsg/float64(payload.DocumentSize)),
			met: drop.wirePerMsg <= ratioTolerance*gor.wirePerMsg, ok: measured(drop, gor),
		},
		target{
			name: "200-byte JSON stream with server context takeover ≤ 0.5x gorilla's wire bytes (gorilla: no takeover)",
			figure: fmt.Sprintf("%s (%s vs %s B/msg)", ratio(dropEv.wirePerMsg, gorEv.wirePerMsg),
				num(dropEv.wirePerMsg), num(gorEv.wirePerMsg)),
			met: dropEv.wirePerMsg <= 0.5*gorEv.wirePerMsg, ok: measured(dropEv, gorEv),
		},
	)...)
}

func tinyTargets(tr map[string]tinyResult) []target {
	drop, app, gor := tr[dropInRow], tr[appendRow], tr[gorillaRow]
	measured := drop.err == nil && gor.err == nil && gor.elapsed > 0
	return withRow(dropInRow,
		target{
			name: fmt.Sprintf("tiny frames: %s empty continuation frames read in ≤ gorilla's time (issue 16)", countName(tinyFrameCount)),
			figure: fmt.Sprintf("%s (%s vs %s ms); %s %s ms", ratio(float64(drop.elapsed), float64(gor.elapsed)),
				millis(drop.elapsed), millis(gor.elapsed), appendRow, millis(app.elapsed)),
			met: drop.elapsed <= gor.elapsed, ok: measured,
		},
		target{
			name: "tiny frames: another connection's round-trip p99 meanwhile ≤ gorilla's (issue 16)",
			figure: fmt.Sprintf("%s vs %s µs (before: %s vs %s); worst %s vs %s µs", micros(drop.p99), micros(gor.p99),
				micros(drop.baseP99), micros(gor.baseP99), micros(drop.worst), micros(gor.worst)),
			met: drop.p99 <= gor.p99, ok: measured && drop.trips > 0 && gor.trips > 0,
		},
	)
}

// countName writes n with thousands separators.
func countName(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// idleTarget checks the memory of an idle connection read on a goroutine of
// its own, the way gws's reads (net/http holds more than 8 KiB of its own
// while an HTTP handler runs), and shows the figures of a handler that reads
// on the HTTP handler's goroutine beside it.
func idleTarget(idle map[string]idleResult) target {
	ours, gorilla := idle[ourRow+detachedSuffix], idle[gorillaRow+detachedSuffix]
	inHandler, gorillaInHandler := idle[ourRow], idle[gorillaRow]
	return target{
		name: "memory per idle connection ≤ 8 KiB (read loop on its own goroutine)",
		row:  ourRow + detachedSuffix,
		figure: fmt.Sprintf("%.2f KiB (gorilla %.2f KiB, gws %.2f KiB); reading in the HTTP handler: %.2f KiB (gorilla %.2f KiB)",
			ours.total()/1024, gorilla.total()/1024, idle["gws"].total()/1024, inHandler.total()/1024, gorillaInHandler.total()/1024),
		met: ours.total() <= idleTargetBytes,
		ok:  ours.err == nil,
	}
}

// irisIdleTarget checks the memory of an idle connection that an iris app
// serves through Server.Serve.
func irisIdleTarget(idle map[string]idleResult) target {
	served := idle[ourRow+irisServedSuffix]
	return target{
		name:   "memory per idle connection through iris's Server.Serve ≤ 6 KiB",
		row:    ourRow + irisServedSuffix,
		figure: fmt.Sprintf("%.2f KiB (own goroutine, net/http: %.2f KiB)", served.total()/1024, idle[ourRow+detachedSuffix].total()/1024),
		met:    served.total() <= irisIdleTargetBytes,
		ok:     served.err == nil,
	}
}
