package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/counting"
	"github.com/iris-contrib/websocket/bench/internal/payload"
	"github.com/iris-contrib/websocket/bench/internal/stats"
	"github.com/iris-contrib/websocket/bench/lib"
)

const (
	// documentPayload and eventsPayload name the two workloads.
	documentPayload = "16 KiB JSON documents"
	eventsPayload   = "stream of 200-byte JSON events"
	// eventCount is how many distinct events the stream cycles through:
	// more than a 32 KiB window holds, so no event is ever repeated whole
	// within reach of the compressor.
	eventCount = 1024
	// documentCount is how many distinct documents the echo cycles through.
	documentCount = 8
	// Warm-up messages per connection, not measured: the context takeover
	// modes fill their window.
	documentWarmup = 10
	eventsWarmup   = 300
)

type deflateKey struct {
	row, mode, payload string
}

// deflateResult is the median of a cell's samples, or the error that
// stopped it.
type deflateResult struct {
	mbps       float64 // payload MB echoed per second
	wirePerMsg float64 // TCP payload bytes per message, each direction
	err        error
}

// deflateRow is a library in one of its compression modes.
type deflateRow struct {
	server *server
	mode   lib.DeflateMode
}

func deflateRows(servers []*server) []deflateRow {
	var rs []deflateRow
	for _, s := range servers {
		for _, m := range s.row.lib.DeflateModes() {
			rs = append(rs, deflateRow{s, m})
		}
	}
	return rs
}

// workload sends and receives messages on a connection for d, or for n
// messages when d is 0, and returns how many made the round trip.
type workload func(c lib.MessageConn, d time.Duration, n int) (int, error)

// pingPong echoes docs in turn, one message in flight.
func pingPong(docs [][]byte) workload {
	next := 0 // the document the next call starts with
	return func(c lib.MessageConn, d time.Duration, n int) (int, error) {
		end := time.Now().Add(d)
		for i := 0; ; i++ {
			if (d > 0 && !time.Now().Before(end)) || (d == 0 && i == n) {
				return i, nil
			}
			doc := docs[next%len(docs)]
			next++
			if err := c.Send(doc); err != nil {
				return i, err
			}
			p, err := c.Receive()
			if err != nil {
				return i, err
			}
			if !bytes.Equal(p, doc) {
				return i, fmt.Errorf("the echo of %d bytes differs from the %d bytes sent", len(p), len(doc))
			}
		}
	}
}

// stream sends events in order while it receives their echoes, at most
// inflight messages ahead.
func stream(events [][]byte, inflight int) workload {
	next := 0 // the event the next call starts with
	return func(c lib.MessageConn, d time.Duration, n int) (int, error) {
		end := time.Now().Add(d)
		sent := make(chan []byte, inflight)
		stop := make(chan struct{})
		var sendErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(sent)
			for i := 0; ; i++ {
				if (d > 0 && !time.Now().Before(end)) || (d == 0 && i == n) {
					return
				}
				e := events[(next+i)%len(events)]
				if sendErr = c.Send(e); sendErr != nil {
					return
				}
				select {
				case sent <- e:
				case <-stop:
					return
				}
			}
		}()
		received := 0
		var recvErr error
		for e := range sent {
			p, err := c.Receive()
			if err == nil && !bytes.Equal(p, e) {
				err = fmt.Errorf("echo %d differs from the event sent", received)
			}
			if err != nil {
				recvErr = err
				close(stop)
				break
			}
			received++
		}
		wg.Wait()
		next += received
		if recvErr != nil {
			return received, recvErr
		}
		return received, sendErr
	}
}

// deflateSample connects to r's server in r's mode, warms up, then runs w
// for d and counts the bytes on the wire.
func deflateSample(r deflateRow, w workload, warmup int, size int, d time.Duration) (deflateResult, error) {
	var cc *counting.Conn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc = counting.New(c)
		return cc, nil
	}
	c, err := r.server.row.lib.DialDeflate("ws://"+r.server.addr+"/deflate/"+r.mode.Key, r.mode, dial)
	if err != nil {
		return deflateResult{}, err
	}
	defer c.Close()
	// Every wait below ends: the connection closes if a sample overruns.
	watchdog := time.AfterFunc(d+2*ioGrace, func() { c.Close() })
	defer watchdog.Stop()
	if _, err := w(c, 0, warmup); err != nil {
		return deflateResult{}, err
	}
	read0, written0 := cc.Bytes()
	start := time.Now()
	n, err := w(c, d, 0)
	elapsed := time.Since(start)
	if err != nil {
		return deflateResult{}, err
	}
	read1, written1 := cc.Bytes()
	if n == 0 {
		return deflateResult{}, fmt.Errorf("no round trip in %v", d)
	}
	return deflateResult{
		mbps:       float64(n) * float64(size) / elapsed.Seconds() / 1e6,
		wirePerMsg: float64(read1-read0+written1-written0) / float64(2*n),
	}, nil
}

// runDeflate measures the permessage-deflate echo of every library in every
// mode it supports, client and server of the same library.
func runDeflate(cfg config, rep *report, servers []*server) map[deflateKey]deflateResult {
	rep.printf("\n## permessage-deflate echo\n\n")
	rep.printf("Client and server of the same library, negotiating the mode shown; the server in its own process. "+
		"The documents (%d different pages, in turn) go back and forth one at a time; the events stream with up to %d in flight. "+
		"MB/s: payload echoed per second; wire B/msg: TCP payload bytes per message in each direction (frame headers included); "+
		"wire/payload: the compression ratio (lower is better).\n\n", documentCount, cfg.deflateFlush)
	docs := payload.Documents(documentCount)
	events := payload.Events(eventCount)
	results := map[deflateKey]deflateResult{}
	rs := deflateRows(servers)
	for _, kind := range []string{documentPayload, eventsPayload} {
		samples := make([][]deflateResult, len(rs))
		failed := make([]error, len(rs))
		workloads := make([]workload, len(rs))
		warmup, size := documentWarmup, payload.DocumentSize
		for i := range rs {
			workloads[i] = pingPong(docs)
		}
		if kind == eventsPayload {
			warmup, size = eventsWarmup, payload.EventSize
			for i := range rs {
				workloads[i] = stream(events, cfg.deflateFlush)
			}
		}
		for round := range cfg.rounds {
			for _, j := range order(round, len(rs)) {
				if failed[j] != nil {
					continue
				}
				r, err := deflateSample(rs[j], workloads[j], warmup, size, cfg.deflateTime)
				if err != nil {
					failed[j] = fmt.Errorf("%s, %s: %w", rs[j].server.row.name, rs[j].mode, err)
					continue
				}
				samples[j] = append(samples[j], r)
			}
		}
		for i, r := range rs {
			key := deflateKey{r.server.row.name, r.mode.Key, kind}
			if failed[i] != nil {
				results[key] = deflateResult{err: failed[i]}
				continue
			}
			var mbps, wire []float64
			for _, s := range samples[i] {
				mbps = append(mbps, s.mbps)
				wire = append(wire, s.wirePerMsg)
			}
			results[key] = deflateResult{mbps: stats.Median(mbps), wirePerMsg: stats.Median(wire)}
		}
		rep.printf("### %s\n\n", kind)
		rep.table(deflateTable(rs, results, kind, size))
	}
	return results
}

func deflateTable(rs []deflateRow, results map[deflateKey]deflateResult, kind string, size int) *table {
	t := &table{head: []string{"library", "mode", "MB/s", "vs gorilla", "wire B/msg", "wire/payload", "wire vs gorilla"}}
	base := results[deflateKey{gorillaRow, lib.NoTakeover15.Key, kind}]
	for _, r := range rs {
		m := results[deflateKey{r.server.row.name, r.mode.Key, kind}]
		if m.err != nil {
			t.add(r.server.row.name, r.mode.String(), "error: "+m.err.Error(), "", "", "", "")
			continue
		}
		t.add(r.server.row.name, r.mode.String(), num(m.mbps), ratio(m.mbps, base.mbps), num(m.wirePerMsg),
			fmt.Sprintf("%.1f%%", 100*m.wirePerMsg/float64(size)), ratio(m.wirePerMsg, base.wirePerMsg))
	}
	return t
}
