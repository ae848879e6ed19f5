package main

import (
	"bytes"
	"compress/flate"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/payload"
	"github.com/iris-contrib/websocket/bench/internal/stats"
	"github.com/iris-contrib/websocket/bench/internal/wsraw"
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
	// Warm-up messages per connection, not timed, each echo inflated and
	// checked: under server context takeover they also fill the window.
	documentWarmup = 10
	eventsWarmup   = 300
	// clientLevel is the compress/flate level of the client's frames,
	// compressed once before anything is measured.
	clientLevel = flate.DefaultCompression
	// manyDeflateConns is the connection count of the concurrent cell.
	manyDeflateConns = 16
)

// deflateCell is one table of the deflate section.
type deflateCell struct {
	payload  string
	mode     lib.DeflateMode
	conns    int
	inflight int // messages in flight on each connection; 1: ping-pong
}

func (c deflateCell) String() string {
	return fmt.Sprintf("%s, %s, %d connection%s", c.payload, c.mode, c.conns, map[bool]string{true: "s"}[c.conns > 1])
}

// deflateCells are the tables: documents one at a time on 1 and on 16
// connections, then the stream, without and with server context takeover.
func deflateCells(flush int) []deflateCell {
	return []deflateCell{
		{documentPayload, lib.NoTakeover15, 1, 1},
		{documentPayload, lib.NoTakeover15, manyDeflateConns, 1},
		{eventsPayload, lib.NoTakeover15, 1, flush},
		{eventsPayload, lib.Takeover15, 1, flush},
	}
}

// deflateKey names a server's result in a cell.
type deflateKey struct {
	row, payload, mode string
	conns              int
}

func (c deflateCell) key(row string) deflateKey {
	return deflateKey{row, c.payload, c.mode.Key, c.conns}
}

// deflateResult is the median of a cell's samples, or the error that
// stopped it.
type deflateResult struct {
	mbps       float64       // payload MB echoed per second, all connections
	p50, p99   time.Duration // round trips, in ping-pong cells only
	wirePerMsg float64       // the server's bytes on the wire per message, frame headers included
	server     usage
	err        error
}

// deflateMessages are the messages of a workload and their frames, masked
// and compressed once, the same bytes for every server.
type deflateMessages struct {
	msgs, frames [][]byte
}

func prepareMessages(msgs [][]byte) (deflateMessages, error) {
	m := deflateMessages{msgs: msgs}
	for _, p := range msgs {
		f, err := wsraw.CompressedFrame(p, clientLevel)
		if err != nil {
			return m, err
		}
		m.frames = append(m.frames, f)
	}
	return m, nil
}

// deflateConn is a connection of the deflate echo and where it is in the
// messages.
type deflateConn struct {
	c        *wsraw.Conn
	inflater *wsraw.Inflater
	next     int
}

// dialDeflate opens n connections to s's handler of mode and checks that
// each negotiated it.
func dialDeflate(s *server, mode lib.DeflateMode, n int) ([]*deflateConn, error) {
	var conns []*deflateConn
	for range n {
		c, err := wsraw.DialExtensions(s.addr, "/deflate/"+mode.Key, mode.Offer(), dialTimeout)
		if err != nil {
			closeDeflate(conns)
			return nil, err
		}
		conns = append(conns, &deflateConn{c: c})
		takeover, err := c.CheckDeflate()
		if err == nil && takeover != mode.ContextTakeover {
			err = fmt.Errorf("server context takeover %v, mode %s (Sec-WebSocket-Extensions: %q)", takeover, mode, c.Extensions())
		}
		if err != nil {
			closeDeflate(conns)
			return nil, err
		}
		conns[len(conns)-1].inflater = wsraw.NewInflater(takeover)
	}
	return conns, nil
}

func closeDeflate(conns []*deflateConn) {
	for _, c := range conns {
		c.c.Close()
	}
}

// deflateRun is what one connection did in a window.
type deflateRun struct {
	messages, wire int
	latencies      []time.Duration
	err            error
}

// receive reads the echo of message i. When check is set it inflates it
// and compares it with what was sent; otherwise (what is timed) it only
// checks that it is a text message and counts its bytes.
func (c *deflateConn) receive(m deflateMessages, i int, check bool, run *deflateRun) error {
	echo, err := c.c.ReadCompressed()
	if err != nil {
		return err
	}
	run.wire += echo.Wire
	if echo.Opcode != 0x1 {
		return fmt.Errorf("echo of a text message with opcode %#x", echo.Opcode)
	}
	if !check {
		return nil
	}
	sent := m.msgs[i]
	got, err := c.inflater.Inflate(echo, len(sent))
	if err != nil {
		return err
	}
	if !bytes.Equal(got, sent) {
		return fmt.Errorf("the echo of %d bytes differs from the %d bytes sent", len(got), len(sent))
	}
	return nil
}

// pingPong echoes the messages in turn, one in flight, for d (at least one
// message), or n messages when d is 0.
func (c *deflateConn) pingPong(m deflateMessages, d time.Duration, n int, check bool) deflateRun {
	var run deflateRun
	end := time.Now().Add(d)
	for t := time.Now(); (d > 0 && (run.messages == 0 || t.Before(end))) || (d == 0 && run.messages < n); {
		i := c.next % len(m.msgs)
		c.next++
		if run.err = c.c.Write(m.frames[i]); run.err != nil {
			return run
		}
		if run.err = c.receive(m, i, check, &run); run.err != nil {
			return run
		}
		now := time.Now()
		run.latencies = append(run.latencies, now.Sub(t))
		t = now
		run.messages++
	}
	return run
}

// stream sends the messages in order while it receives their echoes, at
// most inflight ahead, for d (at least one message), or n messages when d
// is 0.
func (c *deflateConn) stream(m deflateMessages, inflight int, d time.Duration, n int, check bool) deflateRun {
	var run deflateRun
	end := time.Now().Add(d)
	// The receiver holds one index while it reads: inflight in all.
	sent := make(chan int, inflight-1)
	stop := make(chan struct{})
	var sendErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(sent)
		for i := c.next; ; i++ {
			if (d > 0 && i > c.next && !time.Now().Before(end)) || (d == 0 && i-c.next == n) {
				return
			}
			select {
			case sent <- i % len(m.msgs):
			case <-stop:
				return
			}
			if sendErr = c.c.Write(m.frames[i%len(m.msgs)]); sendErr != nil {
				return
			}
		}
	}()
	for i := range sent {
		if run.err = c.receive(m, i, check, &run); run.err != nil {
			close(stop)
			break
		}
		run.messages++
	}
	wg.Wait()
	c.next += run.messages
	if run.err == nil {
		run.err = sendErr
	}
	return run
}

// deflateWindow runs cell's workload on every connection at once for d,
// or warm messages each when d is 0 (then every echo is checked).
func deflateWindow(cell deflateCell, m deflateMessages, conns []*deflateConn, d time.Duration, warm int) (deflateRun, time.Duration) {
	start := time.Now()
	runs := make([]deflateRun, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.c.SetDeadline(time.Now().Add(d + ioGrace))
			if cell.inflight > 1 {
				runs[i] = c.stream(m, cell.inflight, d, warm, d == 0)
			} else {
				runs[i] = c.pingPong(m, d, warm, d == 0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all deflateRun
	for _, r := range runs {
		all.messages += r.messages
		all.wire += r.wire
		all.latencies = append(all.latencies, r.latencies...)
		if r.err != nil && all.err == nil {
			all.err = r.err
		}
	}
	slices.Sort(all.latencies)
	return all, elapsed
}

// deflateSample measures one window of cell on s's connections.
func deflateSample(s *server, cell deflateCell, m deflateMessages, conns []*deflateConn, d time.Duration) (deflateResult, error) {
	before, err := s.stats(false)
	if err != nil {
		return deflateResult{}, err
	}
	run, elapsed := deflateWindow(cell, m, conns, d, 0)
	if run.err != nil {
		return deflateResult{}, run.err
	}
	after, err := s.stats(false)
	if err != nil {
		return deflateResult{}, err
	}
	if run.messages == 0 {
		return deflateResult{}, fmt.Errorf("no round trip in %v", d)
	}
	r := deflateResult{
		mbps:       float64(run.messages) * float64(len(m.msgs[0])) / elapsed.Seconds() / 1e6,
		wirePerMsg: float64(run.wire) / float64(run.messages),
		server:     s.spent(before, after, run.messages),
	}
	if cell.inflight == 1 {
		r.p50, r.p99 = stats.Percentile(run.latencies, 50), stats.Percentile(run.latencies, 99)
	}
	return r, nil
}

// runDeflate measures the permessage-deflate echo of every server in each
// cell whose mode it supports, with the same client for all.
func runDeflate(cfg config, rep *report, servers []*server) (map[deflateKey]deflateResult, error) {
	rep.printf("\n## permessage-deflate echo\n\n")
	rep.printf("Every server is measured with the same client, written on raw frames: its messages are compressed once before the run "+
		"(compress/flate, level %d, each message on its own), the same bytes for every server, sent as text frames with RSV1; "+
		"what the server sends back is read and counted but not inflated while it is timed "+
		"(the warm-up echoes, %d documents or %d events per connection, are inflated and compared with what was sent). "+
		"The client offers `%s`, which every server accepts, or, for the server context takeover table, `%s`. "+
		"The documents (%d different pages, in turn) go back and forth one at a time on each connection; the events stream with up to %d in flight. "+
		"MB/s: payload echoed per second; wire B/msg: the server's bytes on the wire per message (frame headers included), wire/payload its compression ratio; "+
		"the other columns as in the echo tables. gorilla and gobwas support no context takeover only: in the takeover table the ratios are to gorilla's figures without it.\n\n",
		clientLevel, documentWarmup, eventsWarmup, wsraw.OfferNoContextTakeover, wsraw.OfferServerTakeover, documentCount, cfg.deflateFlush)
	docs, err := prepareMessages(payload.Documents(documentCount))
	if err != nil {
		return nil, err
	}
	events, err := prepareMessages(payload.Events(eventCount))
	if err != nil {
		return nil, err
	}
	results := map[deflateKey]deflateResult{}
	for _, cell := range deflateCells(cfg.deflateFlush) {
		m, warm := docs, documentWarmup
		if cell.payload == eventsPayload {
			m, warm = events, eventsWarmup
		}
		var rs []*server
		for _, s := range withoutFloor(servers) {
			if slices.Contains(s.row.lib.DeflateModes(), cell.mode) {
				rs = append(rs, s)
			}
		}
		samples := make([][]deflateResult, len(rs))
		failed := make([]error, len(rs))
		conns := make([][]*deflateConn, len(rs))
		for i, s := range rs {
			conns[i], failed[i] = dialDeflate(s, cell.mode, cell.conns)
			if failed[i] == nil {
				run, _ := deflateWindow(cell, m, conns[i], 0, warm)
				failed[i] = run.err
			}
		}
		for round := range cfg.rounds {
			for _, j := range order(round, len(rs)) {
				if failed[j] != nil {
					continue
				}
				r, err := deflateSample(rs[j], cell, m, conns[j], cfg.deflateTime)
				if err != nil {
					failed[j] = err
					continue
				}
				samples[j] = append(samples[j], r)
			}
		}
		for i, s := range rs {
			closeDeflate(conns[i])
			key := cell.key(s.row.name)
			if failed[i] != nil {
				results[key] = deflateResult{err: fmt.Errorf("%s, %s: %w", s.row.name, cell, failed[i])}
				continue
			}
			results[key] = medianDeflate(samples[i])
		}
		rep.printf("### %s\n\n", cell)
		rep.table(deflateTable(rs, results, cell, len(m.msgs[0])))
	}
	return results, nil
}

func medianDeflate(rs []deflateResult) deflateResult {
	var mbps, p50, p99, wire []float64
	var us []usage
	for _, r := range rs {
		mbps = append(mbps, r.mbps)
		p50 = append(p50, float64(r.p50))
		p99 = append(p99, float64(r.p99))
		wire = append(wire, r.wirePerMsg)
		us = append(us, r.server)
	}
	return deflateResult{
		mbps: stats.Median(mbps), wirePerMsg: stats.Median(wire), server: medianUsage(us),
		p50: time.Duration(stats.Median(p50)), p99: time.Duration(stats.Median(p99)),
	}
}

// gorillaCell is the cell gorilla's figures of cell come from: the same
// without context takeover, which it does not support.
func gorillaCell(cell deflateCell) deflateCell {
	cell.mode = lib.NoTakeover15
	return cell
}

func deflateTable(rs []*server, results map[deflateKey]deflateResult, cell deflateCell, size int) *table {
	t := &table{head: append([]string{"server", "MB/s", "vs gorilla", "p50 µs", "p99 µs"}, append(usageHead, "wire B/msg", "wire/payload")...)}
	base := results[gorillaCell(cell).key(gorillaRow)]
	for _, s := range rs {
		r := results[cell.key(s.row.name)]
		if r.err != nil {
			t.addError(s.row.name, r.err)
			continue
		}
		p50, p99 := "—", "—"
		if cell.inflight == 1 {
			p50, p99 = micros(r.p50), micros(r.p99)
		}
		cells := append([]string{s.row.name, num(r.mbps), ratio(r.mbps, base.mbps), p50, p99}, usageCells(r.server, base.server)...)
		t.add(append(cells, num(r.wirePerMsg), fmt.Sprintf("%.1f%%", 100*r.wirePerMsg/float64(size)))...)
	}
	return t
}
