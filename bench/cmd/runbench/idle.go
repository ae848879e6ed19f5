package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/iris-contrib/websocket/bench/internal/stats"
	"github.com/iris-contrib/websocket/bench/internal/wsraw"
)

const (
	// idleDialers is how many handshakes run at once: few enough for the
	// listen backlog.
	idleDialers = 32
	// idleSettleTimeout bounds the wait for the server to have a goroutine
	// per connection blocked in read.
	idleSettleTimeout = 30 * time.Second
	// idleSettle is how long the count of goroutines must stay put.
	idleSettle = 200 * time.Millisecond
)

// idleResult is the server's memory per idle connection.
type idleResult struct {
	heap, stack, goroutines float64 // per connection
	err                     error
}

func (r idleResult) total() float64 { return r.heap + r.stack }

// dialIdle opens n connections to s's echo handler, in parallel; they stay
// idle.
func dialIdle(s *server, n int) ([]*wsraw.Conn, error) {
	conns := make([]*wsraw.Conn, n)
	errs := make(chan error, idleDialers)
	var wg sync.WaitGroup
	next := make(chan int)
	for range idleDialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := wsraw.Dial(s.addr, s.row.echoPath(), dialTimeout)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				conns[i] = c
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		closeAll(compact(conns))
		return nil, err
	default:
	}
	return conns, nil
}

func compact(conns []*wsraw.Conn) []*wsraw.Conn {
	var out []*wsraw.Conn
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// idleSample starts a fresh server for r, opens n idle connections and
// returns the growth of its heap and stacks per connection.
func idleSample(bin string, r row, n int) (idleResult, error) {
	s, err := startServer(bin, r)
	if err != nil {
		return idleResult{}, err
	}
	defer s.stop()
	before, err := s.stats(true)
	if err != nil {
		return idleResult{}, err
	}
	conns, err := dialIdle(s, n)
	if err != nil {
		return idleResult{}, fmt.Errorf("%s: %w", r.name, err)
	}
	defer closeAll(conns)
	// Every library here blocks a goroutine per connection in read; wait
	// until they all are, and their count holds.
	deadline := time.Now().Add(idleSettleTimeout)
	last := -1
	for {
		st, err := s.stats(false)
		if err != nil {
			return idleResult{}, err
		}
		if st.Goroutines >= before.Goroutines+n && st.Goroutines == last {
			break
		}
		if time.Now().After(deadline) {
			return idleResult{}, fmt.Errorf("%s: %d goroutines after %v, want %d more than %d",
				r.name, st.Goroutines, idleSettleTimeout, n, before.Goroutines)
		}
		last = st.Goroutines
		time.Sleep(idleSettle)
	}
	after, err := s.stats(true)
	if err != nil {
		return idleResult{}, err
	}
	if after.Hijacked < int64(n) {
		return idleResult{}, fmt.Errorf("%s: %d connections hijacked, want %d", r.name, after.Hijacked, n)
	}
	return idleResult{
		heap:       (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n),
		stack:      (float64(after.StackInuse) - float64(before.StackInuse)) / float64(n),
		goroutines: float64(after.Goroutines-before.Goroutines) / float64(n),
	}, nil
}

// runIdle measures the memory of idle connections, a fresh server process
// per library and round.
func runIdle(cfg config, bin string, rep *report) map[string]idleResult {
	rep.printf("\n## Memory per idle connection\n\n")
	rep.printf("A fresh server process per library and round; %d connections, handshake done, no message sent, each handler blocked in read. "+
		"The growth of the server's live heap (HeapAlloc after two GCs) and goroutine stacks (StackInuse), divided by the connections. "+
		"Each handler reads on the goroutine of its HTTP handler, except on the rows marked \"%s\": there the HTTP handler starts the read loop on a goroutine of its own and returns, "+
		"as gws's always does, so net/http frees what it keeps for a running handler; and on the row marked \"%s\", an iris app serves the connections with Server.Serve, which does the same and gives each Handler a copy of its iris.Context.\n\n",
		cfg.idleConns, strings.TrimPrefix(detachedSuffix, ", "), strings.TrimPrefix(irisServedSuffix, ", "))
	rs := append(append(rows(), detachedRows()...), irisServedRows()...)
	samples := make([][]idleResult, len(rs))
	failed := make([]error, len(rs))
	for round := range cfg.idleRounds {
		for _, j := range order(round, len(rs)) {
			if failed[j] != nil {
				continue
			}
			r, err := idleSample(bin, rs[j], cfg.idleConns)
			if err != nil {
				failed[j] = err
				continue
			}
			samples[j] = append(samples[j], r)
		}
	}
	results := map[string]idleResult{}
	for i, r := range rs {
		if failed[i] != nil {
			results[r.name] = idleResult{err: failed[i]}
			continue
		}
		var heap, stack, gs []float64
		for _, s := range samples[i] {
			heap = append(heap, s.heap)
			stack = append(stack, s.stack)
			gs = append(gs, s.goroutines)
		}
		results[r.name] = idleResult{heap: stats.Median(heap), stack: stats.Median(stack), goroutines: stats.Median(gs)}
	}
	t := &table{head: []string{"server", "KiB/conn (heap+stacks)", "vs gorilla", "heap KiB/conn", "stacks KiB/conn", "goroutines/conn"}}
	base := results[gorillaRow]
	for _, r := range rs {
		m := results[r.name]
		if m.err != nil {
			t.add(r.name, "error: "+m.err.Error(), "", "", "", "")
			continue
		}
		t.add(r.name, num(m.total()/1024), ratio(m.total(), base.total()), num(m.heap/1024), num(m.stack/1024), num(m.goroutines))
	}
	rep.table(t)
	return results
}
