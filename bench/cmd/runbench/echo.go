package main

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/stats"
	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

var (
	// echoSizes and echoConns are the cells of the echo benchmark.
	echoSizes = []int{32, 1 << 10, 64 << 10}
	echoConns = []int{1, 100}
)

const (
	// dialTimeout bounds each benchmark client's handshake.
	dialTimeout = 10 * time.Second
	// ioGrace bounds how long past the end of a sample a round trip may take
	// before the connection is failed.
	ioGrace = 10 * time.Second
)

type echoKey struct {
	row         string
	size, conns int
}

// echoResult is the median of a cell's samples, or the error that stopped it.
type echoResult struct {
	msgsPerSec float64
	p50, p99   time.Duration
	server     usage // the server's spending per message
	err        error
}

// echoWindow runs round trips on every connection at once, each connection
// one message in flight, until d has passed. It returns the round trips, the
// time they took and their latencies, sorted.
func echoWindow(conns []*wsraw.Conn, d time.Duration) (int, time.Duration, []time.Duration, error) {
	start := time.Now()
	end := start.Add(d)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies []time.Duration
		firstErr  error
	)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetDeadline(end.Add(ioGrace))
			lat := make([]time.Duration, 0, 1024)
			var err error
			// At least one round trip, however late this goroutine starts.
			for t := time.Now(); ; {
				if err = c.Echo(); err != nil {
					break
				}
				now := time.Now()
				lat = append(lat, now.Sub(t))
				t = now
				if !t.Before(end) {
					break
				}
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	return len(latencies), elapsed, latencies, firstErr
}

// dialEcho opens n connections to s's echo handler, each sending msg.
func dialEcho(s *server, n int, msg []byte) ([]*wsraw.Conn, error) {
	conns := make([]*wsraw.Conn, 0, n)
	for range n {
		c, err := wsraw.Dial(s.addr, "/echo", dialTimeout)
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("%s: %w", s.row.name, err)
		}
		c.SetMessage(msg)
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*wsraw.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// echoSample measures one window on s's connections.
func echoSample(s *server, conns []*wsraw.Conn, d time.Duration) (echoResult, error) {
	before, err := s.stats(false)
	if err != nil {
		return echoResult{}, err
	}
	n, elapsed, lat, err := echoWindow(conns, d)
	if err != nil {
		return echoResult{}, fmt.Errorf("%s: %w", s.row.name, err)
	}
	after, err := s.stats(false)
	if err != nil {
		return echoResult{}, err
	}
	if n == 0 {
		return echoResult{}, fmt.Errorf("%s: no round trip in %v", s.row.name, d)
	}
	return echoResult{
		msgsPerSec: float64(n) / elapsed.Seconds(),
		p50:        stats.Percentile(lat, 50),
		p99:        stats.Percentile(lat, 99),
		server:     s.spent(before, after, n),
	}, nil
}

// runEcho measures every echo server with the same raw client.
func runEcho(cfg config, rep *report, servers []*server) map[echoKey]echoResult {
	rep.printf("\n## Echo over 127.0.0.1\n\n")
	rep.printf("Each server runs in a process of its own; one client, written on raw frames, is the same for all. " +
		"Each connection keeps one binary message in flight. msg/s: round trips per second over all connections; " +
		"p50/p99: round-trip latency. Per message echoed, measured in the server process (the cost of reading its statistics taken out): " +
		"CPU: user+system CPU time (getrusage); B and allocs: bytes and heap objects allocated (runtime.MemStats); " +
		"reads and writes: read and write system calls (/proc/self/io). " +
		dropInRow + ": this library's drop-in echo, gorilla's API (ReadMessage, WriteMessage); " + appendRow + ": AppendMessage into one reused buffer, then WriteMessage. " +
		"floor: no library, a server that does the least the client needs (it reads whole frames into one 64 KiB buffer, unmasks and writes them back, " +
		"with no checks, control frames or fragments): the system calls and scheduling no library can take away.\n\n")
	results := map[echoKey]echoResult{}
	for _, size := range echoSizes {
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(i*13 + 5)
		}
		for _, n := range echoConns {
			samples := make([][]echoResult, len(servers))
			failed := make([]error, len(servers))
			conns := make([][]*wsraw.Conn, len(servers))
			for i, s := range servers {
				conns[i], failed[i] = dialEcho(s, n, msg)
				if failed[i] == nil {
					_, _, _, failed[i] = echoWindow(conns[i], cfg.echoWarmup)
				}
			}
			for round := range cfg.rounds {
				for _, j := range order(round, len(servers)) {
					if failed[j] != nil {
						continue
					}
					r, err := echoSample(servers[j], conns[j], cfg.echoTime)
					if err != nil {
						failed[j] = err
						continue
					}
					samples[j] = append(samples[j], r)
				}
			}
			for i, s := range servers {
				closeAll(conns[i])
				results[echoKey{s.row.name, size, n}] = medianEcho(samples[i], failed[i])
			}
			rep.printf("### %s messages, %d connection%s\n\n", sizeName(size), n, map[bool]string{true: "s"}[n > 1])
			rep.table(echoTable(servers, results, size, n))
		}
	}
	return results
}

// usageHead are the columns of a server's spending per message.
var usageHead = []string{"CPU/msg µs", "CPU vs gorilla", "B/msg", "allocs/msg", "reads/msg", "writes/msg"}

// usageCells formats u, with its CPU time against gorilla's.
func usageCells(u, gorilla usage) []string {
	return []string{micros(u.cpu), ratio(float64(u.cpu), float64(gorilla.cpu)), num(u.bytes), num(u.allocs), num(u.reads), num(u.writes)}
}

func echoTable(servers []*server, results map[echoKey]echoResult, size, n int) *table {
	t := &table{head: append([]string{"server", "msg/s", "vs gorilla", "p50 µs", "p99 µs"}, usageHead...)}
	base := results[echoKey{gorillaRow, size, n}]
	for _, s := range servers {
		r := results[echoKey{s.row.name, size, n}]
		if r.err != nil {
			t.addError(s.row.name, r.err)
			continue
		}
		t.add(append([]string{s.row.name, num(r.msgsPerSec), ratio(r.msgsPerSec, base.msgsPerSec), micros(r.p50), micros(r.p99)},
			usageCells(r.server, base.server)...)...)
	}
	return t
}

// medianEcho takes the median of each measure; an error stands for the cell.
func medianEcho(rs []echoResult, err error) echoResult {
	if err != nil {
		return echoResult{err: err}
	}
	var rate, p50, p99 []float64
	var us []usage
	for _, r := range rs {
		rate = append(rate, r.msgsPerSec)
		p50 = append(p50, float64(r.p50))
		p99 = append(p99, float64(r.p99))
		us = append(us, r.server)
	}
	return echoResult{
		msgsPerSec: stats.Median(rate),
		p50:        time.Duration(stats.Median(p50)),
		p99:        time.Duration(stats.Median(p99)),
		server:     medianUsage(us),
	}
}
