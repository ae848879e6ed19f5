package main

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/stats"
	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

const (
	// tinyFrameCount is the empty continuation frames of the message, in
	// the full and the quick run alike.
	tinyFrameCount = 1_000_000
	// tinyTimeout bounds a server's reading of the message.
	tinyTimeout = 2 * time.Minute
	// tinyProbeSize is the message of the other connection's round trips.
	tinyProbeSize = 32
)

// tinyLast is the payload of the message's final frame, all the echo holds.
var tinyLast = []byte("tiny frames, end")

// tinyResult is the median of a server's samples, or the error that
// stopped it.
type tinyResult struct {
	elapsed time.Duration // from the first byte sent to the echo read
	cpu     time.Duration // the server's CPU time meanwhile
	reads   float64       // the server's read system calls meanwhile
	// The other connection's round trips: the 99th percentile just before
	// the message, then the 99th percentile, the worst and the count while
	// it is read.
	baseP99, p99, worst time.Duration
	trips               float64
	err                 error
}

// probe runs round trips on c until done is closed, or for d when done is
// nil, and returns their latencies, sorted. It makes at least one: started
// before done is closed, that one overlaps what done marks the end of.
func probe(c *wsraw.Conn, d time.Duration, done <-chan struct{}) ([]time.Duration, error) {
	end := time.Now().Add(d)
	var lat []time.Duration
	for t := time.Now(); ; {
		if err := c.Echo(); err != nil {
			return lat, err
		}
		now := time.Now()
		lat = append(lat, now.Sub(t))
		t = now
		if finished(done, t, end) {
			slices.Sort(lat)
			return lat, nil
		}
	}
}

// finished reports whether done is closed, or, when done is nil, whether t
// has reached end.
func finished(done <-chan struct{}, t, end time.Time) bool {
	if done == nil {
		return !t.Before(end)
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// tinySample sends frames, one fragmented message, on big and measures how
// long s takes to echo it while probe runs round trips beside it.
func tinySample(s *server, big, other *wsraw.Conn, frames []byte, baseline time.Duration) (tinyResult, error) {
	big.SetDeadline(time.Now().Add(tinyTimeout))
	other.SetDeadline(time.Now().Add(tinyTimeout + baseline))
	base, err := probe(other, baseline, nil)
	if err != nil {
		return tinyResult{}, err
	}
	before, err := s.stats(false)
	if err != nil {
		return tinyResult{}, err
	}
	done := make(chan struct{})
	var (
		wg       sync.WaitGroup
		lat      []time.Duration
		probeErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		lat, probeErr = probe(other, 0, done)
	}()
	start := time.Now()
	err = big.Write(frames)
	var echo []byte
	if err == nil {
		echo, err = big.ReadMessage()
	}
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	if err == nil && string(echo) != string(tinyLast) {
		err = fmt.Errorf("echo %q, want %q", echo, tinyLast)
	}
	if err == nil {
		err = probeErr
	}
	if err != nil {
		return tinyResult{}, err
	}
	after, err := s.stats(false)
	if err != nil {
		return tinyResult{}, err
	}
	u := s.spent(before, after, 1)
	r := tinyResult{elapsed: elapsed, cpu: u.cpu, reads: u.reads, baseP99: stats.Percentile(base, 99), trips: float64(len(lat))}
	if len(lat) > 0 {
		r.p99, r.worst = stats.Percentile(lat, 99), lat[len(lat)-1]
	}
	return r, nil
}

// runTiny measures how each server reads one message of cfg.tinyFrames
// empty continuation frames, and what another connection sees meanwhile.
func runTiny(cfg config, rep *report, servers []*server) map[string]tinyResult {
	frames := wsraw.FragmentedMessage(cfg.tinyFrames, tinyLast)
	rep.printf("\n## Tiny frames\n\n")
	rep.printf("One connection sends one binary message in %d frames: an empty first frame, %d empty continuation frames "+
		"and a final frame of %d bytes (%.1f MB on the wire, written at once); time: from its first byte sent to its echo read. "+
		"Server CPU and reads: the server process's CPU time and read system calls meanwhile. "+
		"Meanwhile another connection to the same server echoes %d-byte messages one at a time: the 99th percentile of its round trips "+
		"during the %v before the message, then the 99th percentile, the worst and the count while the message is read.\n\n",
		cfg.tinyFrames+2, cfg.tinyFrames, len(tinyLast), float64(len(frames))/1e6, tinyProbeSize, cfg.tinyBaseline)
	probeMsg := make([]byte, tinyProbeSize)
	results := map[string]tinyResult{}
	samples := make([][]tinyResult, len(servers))
	failed := make([]error, len(servers))
	type pair struct{ big, other *wsraw.Conn }
	conns := make([]pair, len(servers))
	for i, s := range servers {
		var err error
		if conns[i].big, err = wsraw.Dial(s.addr, "/echo", dialTimeout); err != nil {
			failed[i] = err
			continue
		}
		if conns[i].other, err = wsraw.Dial(s.addr, "/echo", dialTimeout); err != nil {
			failed[i] = err
			continue
		}
		conns[i].other.SetMessage(probeMsg)
	}
	for round := range cfg.rounds {
		for _, j := range order(round, len(servers)) {
			if failed[j] != nil {
				continue
			}
			r, err := tinySample(servers[j], conns[j].big, conns[j].other, frames, cfg.tinyBaseline)
			if err != nil {
				failed[j] = err
				continue
			}
			samples[j] = append(samples[j], r)
		}
	}
	for i, s := range servers {
		for _, c := range []*wsraw.Conn{conns[i].big, conns[i].other} {
			if c != nil {
				c.Close()
			}
		}
		if failed[i] != nil {
			results[s.row.name] = tinyResult{err: fmt.Errorf("%s: %w", s.row.name, failed[i])}
			continue
		}
		results[s.row.name] = medianTiny(samples[i])
	}
	t := &table{head: []string{"server", "time ms", "vs gorilla", "server CPU ms", "CPU vs gorilla", "server reads",
		"other conn p99 before µs", "p99 meanwhile µs", "worst meanwhile µs", "round trips meanwhile"}}
	base := results[gorillaRow]
	for _, s := range servers {
		r := results[s.row.name]
		if r.err != nil {
			t.addError(s.row.name, r.err)
			continue
		}
		t.add(s.row.name, millis(r.elapsed), ratio(float64(r.elapsed), float64(base.elapsed)), millis(r.cpu),
			ratio(float64(r.cpu), float64(base.cpu)), num(r.reads), micros(r.baseP99), micros(r.p99), micros(r.worst), num(r.trips))
	}
	rep.table(t)
	return results
}

func medianTiny(rs []tinyResult) tinyResult {
	d := func(f func(tinyResult) time.Duration) time.Duration {
		return time.Duration(stats.MedianBy(rs, func(r tinyResult) float64 { return float64(f(r)) }))
	}
	return tinyResult{
		elapsed: d(func(r tinyResult) time.Duration { return r.elapsed }),
		cpu:     d(func(r tinyResult) time.Duration { return r.cpu }),
		reads:   stats.MedianBy(rs, func(r tinyResult) float64 { return r.reads }),
		baseP99: d(func(r tinyResult) time.Duration { return r.baseP99 }),
		p99:     d(func(r tinyResult) time.Duration { return r.p99 }),
		worst:   d(func(r tinyResult) time.Duration { return r.worst }),
		trips:   stats.MedianBy(rs, func(r tinyResult) float64 { return r.trips }),
	}
}
