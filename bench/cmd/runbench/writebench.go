package main

import (
	"crypto/subtle"
	"log"
	"runtime"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/discard"
	"github.com/iris-contrib/websocket/bench/internal/stats"
	"github.com/iris-contrib/websocket/bench/lib"
)

// writeSizes are the message sizes of the client write benchmark.
var writeSizes = []int{16, 125, 1 << 10, 16 << 10, 1 << 20}

// Reference rows of the client write tables.
const (
	copyRow = "copy() (reference)"
	xorRow  = "subtle.XORBytes (reference)"
)

// writeWarmup is how many messages go out before a cell is measured, at
// most writeWarmupBytes worth.
const (
	writeWarmup      = 100
	writeWarmupBytes = 8 << 20
)

// writer is a row of the write tables: a library's client over a
// discarding connection, or a reference that only moves the bytes.
type writer struct {
	name  string
	write lib.WriteFunc
	conn  *discard.Conn // nil for the references
}

// writeSample is one measurement of one writer at one size.
type writeSample struct {
	mbps, allocs, bytes, calls float64
}

// writeResult is the median of a cell's samples.
type writeResult = writeSample

type writeKey struct {
	row  string
	size int
}

// referenceWriters return the copy() and XORBytes rows for messages of
// size bytes: what moving and masking the payload costs at best.
func referenceWriters(size int) []writer {
	dst := make([]byte, size)
	keystream := make([]byte, size)
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for i := range keystream {
		keystream[i] = key[i&3]
	}
	return []writer{
		{name: copyRow, write: func(p []byte) error { copy(dst, p); return nil }},
		{name: xorRow, write: func(p []byte) error { subtle.XORBytes(dst, p, keystream); return nil }},
	}
}

// measureWrite sends msg through w for at least d and returns the rates.
// Allocations are counted process-wide, so nothing else runs meanwhile.
func measureWrite(w writer, msg []byte, d time.Duration) (writeSample, error) {
	runtime.GC()
	var before, after runtime.MemStats
	var calls0 int64
	if w.conn != nil {
		calls0, _ = w.conn.Counts()
	}
	runtime.ReadMemStats(&before)
	start := time.Now()
	n, batch := 0, 1
	var elapsed time.Duration
	for elapsed < d {
		for range batch {
			if err := w.write(msg); err != nil {
				return writeSample{}, err
			}
		}
		n += batch
		elapsed = time.Since(start)
		if elapsed < d/10 {
			batch *= 2
		}
	}
	runtime.ReadMemStats(&after)
	s := writeSample{
		mbps:   float64(n) * float64(len(msg)) / elapsed.Seconds() / 1e6,
		allocs: float64(after.Mallocs-before.Mallocs) / float64(n),
		bytes:  float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
	}
	if w.conn != nil {
		calls, _ := w.conn.Counts()
		s.calls = float64(calls-calls0) / float64(n)
	}
	return s, nil
}

// runWrite measures the client write path of every library at every size.
func runWrite(cfg config, rep *report) map[writeKey]writeResult {
	rep.printf("\n## Client write: masking and framing into a discarding net.Conn\n\n")
	rep.printf("One client connection per library writes binary messages into a net.Conn that discards them. " +
		"MB/s of payload; allocations and bytes allocated per message; Write calls on the net.Conn per message.\n\n")
	var libs []writer
	for _, r := range rows() {
		conn := discard.New()
		write, err := r.lib.DialWriter(conn)
		if err != nil {
			log.Fatalf("%s: client handshake: %v", r.name, err)
		}
		libs = append(libs, writer{name: r.name, write: write, conn: conn})
	}
	results := map[writeKey]writeResult{}
	for _, size := range writeSizes {
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(i*7 + 1)
		}
		writers := append(append([]writer(nil), libs...), referenceWriters(size)...)
		for _, w := range writers {
			for range min(writeWarmup, max(1, writeWarmupBytes/size)) {
				if err := w.write(msg); err != nil {
					log.Fatalf("%s: write: %v", w.name, err)
				}
			}
		}
		samples := make([][]writeSample, len(writers))
		for round := range cfg.rounds {
			for _, j := range order(round, len(writers)) {
				s, err := measureWrite(writers[j], msg, cfg.writeTime)
				if err != nil {
					log.Fatalf("%s: write: %v", writers[j].name, err)
				}
				samples[j] = append(samples[j], s)
			}
		}
		for i, w := range writers {
			results[writeKey{w.name, size}] = medianWrite(samples[i])
		}
		t := &table{head: []string{"library", "MB/s", "vs gorilla", "allocs/msg", "B/msg", "Write calls/msg"}}
		base := results[writeKey{gorillaRow, size}].mbps
		for _, w := range writers {
			m := results[writeKey{w.name, size}]
			calls := "—"
			if w.conn != nil {
				calls = num(m.calls)
			}
			t.add(w.name, num(m.mbps), ratio(m.mbps, base), num(m.allocs), num(m.bytes), calls)
		}
		rep.printf("### %s messages\n\n", sizeName(size))
		rep.table(t)
	}
	return results
}

// medianWrite takes the median of each measure separately.
func medianWrite(ss []writeSample) writeSample {
	return writeSample{
		mbps:   stats.MedianBy(ss, func(s writeSample) float64 { return s.mbps }),
		allocs: stats.MedianBy(ss, func(s writeSample) float64 { return s.allocs }),
		bytes:  stats.MedianBy(ss, func(s writeSample) float64 { return s.bytes }),
		calls:  stats.MedianBy(ss, func(s writeSample) float64 { return s.calls }),
	}
}
