package websocket

import (
	"slices"
	"sync"
	"time"
)

// frameLock is the lock each frame is written under: a mutex, and a way to
// wait for it no longer than a deadline, which control frames have.
//
// The waits with a deadline are done by one helper goroutine per lock: it
// takes the mutex for each waiter in turn, in the order they came, and hands
// it over; a waiter whose deadline passes leaves the queue. So when a data
// frame holds the lock for long (a peer that stops reading) and pings keep
// timing out behind it, one goroutine waits on the mutex, not one per ping.
// The helper queues on the mutex like any other locker, so frames written
// back to back cannot starve a control frame.
type frameLock struct {
	mu      sync.Mutex
	waitMu  sync.Mutex
	waiters []chan struct{} // in arrival order; each is sent the lock
	helping bool            // the helper goroutine runs
}

// lock takes the lock, waiting at most until deadline (no limit when it is
// zero), and returns timeoutError when the deadline passes first.
func (l *frameLock) lock(deadline time.Time) error {
	if deadline.IsZero() {
		l.mu.Lock()
		return nil
	}
	if l.mu.TryLock() {
		return nil
	}
	handoff := make(chan struct{}, 1)
	l.waitMu.Lock()
	l.waiters = append(l.waiters, handoff)
	if !l.helping {
		l.helping = true
		go l.handOver()
	}
	l.waitMu.Unlock()

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-handoff:
		return nil
	case <-timer.C:
	}
	l.waitMu.Lock()
	i := slices.Index(l.waiters, handoff)
	if i >= 0 {
		l.waiters = slices.Delete(l.waiters, i, i+1)
	}
	l.waitMu.Unlock()
	if i >= 0 {
		return timeoutError{}
	}
	<-handoff // handed over as the deadline passed
	return nil
}

func (l *frameLock) unlock() { l.mu.Unlock() }

// handOver takes the mutex for each waiter in turn, and ends once it holds
// it with nobody waiting.
func (l *frameLock) handOver() {
	for {
		l.mu.Lock()
		l.waitMu.Lock()
		if len(l.waiters) == 0 {
			l.helping = false
			l.waitMu.Unlock()
			l.mu.Unlock()
			return
		}
		next := l.waiters[0]
		l.waiters = slices.Delete(l.waiters, 0, 1)
		l.waitMu.Unlock()
		next <- struct{}{}
	}
}
