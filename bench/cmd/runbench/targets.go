package main

import (
	"fmt"

	"github.com/iris-contrib/websocket/bench/lib"
)

// results are the medians the targets are checked against.
type results struct {
	write   map[writeKey]writeResult
	echo    map[echoKey]echoResult
	idle    map[string]idleResult
	deflate map[deflateKey]deflateResult
}

// target is one of issue 8's targets, checked on this run's figures.
type target struct {
	name   string
	figure string
	met    bool
	ok     bool // the figures were measured
}

const (
	// idleTargetBytes is the memory target per idle connection.
	idleTargetBytes = 8 << 10
	// ratioTolerance lets two compression ratios count as equal: each
	// sample cycles through documents whose compressed sizes differ by a
	// few percent, and does not end on the same one for every library.
	ratioTolerance = 1.01
)

// targets prints whether this run meets each target, with its figures.
func (r *report) targets(res *results) {
	var ts []target
	if res.write != nil {
		ts = append(ts, writeTargets(res.write)...)
	}
	if res.echo != nil {
		ts = append(ts, echoTargets(res.echo)...)
	}
	if res.idle != nil {
		ts = append(ts, idleTarget(res.idle))
	}
	if res.deflate != nil {
		ts = append(ts, deflateTargets(res.deflate)...)
	}
	if len(ts) == 0 {
		return
	}
	r.printf("\n## Targets of issue 8 in this run\n\n")
	t := &table{head: []string{"target", "figure", "result"}}
	for _, x := range ts {
		verdict := "missed"
		switch {
		case !x.ok:
			verdict = "not measured"
		case x.met:
			verdict = "met"
		}
		t.add(x.name, x.figure, verdict)
	}
	r.table(t)
}

func writeTargets(w map[writeKey]writeResult) []target {
	at := func(row string, size int) writeResult { return w[writeKey{row, size}] }
	ours16k, gor16k, gob16k := at(ourRow, 16<<10), at(gorillaRow, 16<<10), at("gobwas", 16<<10)
	ours1m, gor1m := at(ourRow, 1<<20), at(gorillaRow, 1<<20)
	ours16, gor16 := at(ourRow, 16), at(gorillaRow, 16)
	return []target{
		{
			name:   "client write 16 KiB ≥ 5x gorilla",
			figure: fmt.Sprintf("%s (%s vs %s MB/s)", ratio(ours16k.mbps, gor16k.mbps), num(ours16k.mbps), num(gor16k.mbps)),
			met:    ours16k.mbps >= 5*gor16k.mbps, ok: gor16k.mbps > 0,
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
	}
}

func echoTargets(e map[echoKey]echoResult) []target {
	at := func(row string, size, conns int) echoResult { return e[echoKey{row, size, conns}] }
	ours64, gor64, gws64 := at(ourRow, 64<<10, 1), at(gorillaRow, 64<<10, 1), at("gws", 64<<10, 1)
	ours32, gor32 := at(ourRow, 32, 100), at(gorillaRow, 32, 100)
	floor64, floor32 := at(floorRow, 64<<10, 1), at(floorRow, 32, 100)
	measured := func(rs ...echoResult) bool {
		for _, r := range rs {
			if r.err != nil || r.msgsPerSec == 0 {
				return false
			}
		}
		return true
	}
	return []target{
		{
			name: "echo 64 KiB, 1 connection: server CPU/msg ≤ 0.15x gorilla",
			figure: fmt.Sprintf("%s (%s vs %s µs); floor %s", ratio(float64(ours64.cpuPerMsg), float64(gor64.cpuPerMsg)),
				micros(ours64.cpuPerMsg), micros(gor64.cpuPerMsg), floorRatio(floor64, float64(floor64.cpuPerMsg), float64(gor64.cpuPerMsg))),
			met: float64(ours64.cpuPerMsg) <= 0.15*float64(gor64.cpuPerMsg), ok: measured(ours64, gor64),
		},
		{
			name:   "echo 64 KiB, 1 connection: p99 ≤ gws's",
			figure: fmt.Sprintf("%s vs %s µs", micros(ours64.p99), micros(gws64.p99)),
			met:    ours64.p99 <= gws64.p99, ok: measured(ours64, gws64),
		},
		{
			name: "echo 32 B, 100 connections: msg/s ≥ 1.2x gorilla",
			figure: fmt.Sprintf("%s (%s vs %s msg/s); floor %s", ratio(ours32.msgsPerSec, gor32.msgsPerSec),
				num(ours32.msgsPerSec), num(gor32.msgsPerSec), floorRatio(floor32, floor32.msgsPerSec, gor32.msgsPerSec)),
			met: ours32.msgsPerSec >= 1.2*gor32.msgsPerSec, ok: measured(ours32, gor32),
		},
	}
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
	at := func(row string, mode lib.DeflateMode, kind string) deflateResult {
		return d[deflateKey{row, mode.Key, kind}]
	}
	oursDoc, gorDoc := at(ourRow, lib.NoTakeover15, documentPayload), at(gorillaRow, lib.NoTakeover15, documentPayload)
	oursEv, gorEv := at(ourRow, lib.Takeover15, eventsPayload), at(gorillaRow, lib.NoTakeover15, eventsPayload)
	return []target{
		{
			name: "deflate 16 KiB JSON echo ≥ 2x gorilla (same mode: no context takeover, window 15)",
			figure: fmt.Sprintf("%s (%s vs %s MB/s)", ratio(oursDoc.mbps, gorDoc.mbps),
				num(oursDoc.mbps), num(gorDoc.mbps)),
			met: oursDoc.mbps >= 2*gorDoc.mbps, ok: oursDoc.err == nil && gorDoc.err == nil && gorDoc.mbps > 0,
		},
		{
			name: "… at a compression ratio at least as good (within 1%: samples end on different documents)",
			figure: fmt.Sprintf("%.1f%% vs %.1f%% of the payload on the wire",
				100*oursDoc.wirePerMsg/float64(16<<10), 100*gorDoc.wirePerMsg/float64(16<<10)),
			met: oursDoc.wirePerMsg <= ratioTolerance*gorDoc.wirePerMsg, ok: oursDoc.err == nil && gorDoc.err == nil && gorDoc.mbps > 0,
		},
		{
			name: "200-byte JSON stream with context takeover ≤ 0.5x gorilla's wire bytes",
			figure: fmt.Sprintf("%s (%s vs %s B/msg)", ratio(oursEv.wirePerMsg, gorEv.wirePerMsg),
				num(oursEv.wirePerMsg), num(gorEv.wirePerMsg)),
			met: oursEv.wirePerMsg <= 0.5*gorEv.wirePerMsg, ok: oursEv.err == nil && gorEv.err == nil && gorEv.mbps > 0,
		},
	}
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
		figure: fmt.Sprintf("%.2f KiB (gorilla %.2f KiB, gws %.2f KiB); reading in the HTTP handler: %.2f KiB (gorilla %.2f KiB)",
			ours.total()/1024, gorilla.total()/1024, idle["gws"].total()/1024, inHandler.total()/1024, gorillaInHandler.total()/1024),
		met: ours.total() <= idleTargetBytes,
		ok:  ours.err == nil,
	}
}
