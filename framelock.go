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
// zero), and returns timeoutError when the deadline passes first. It never
// returns the lock at or after the deadline: a control frame whose deadline
// has passed before a byte of it went out fails alone, where writing it
// with a deadline already past would fail the connection's writes.
func (l *frameLock) lock(deadline time.Time) error {
	if deadline.IsZero() {
		l.mu.Lock()
		return nil
	}
	if l.mu.TryLock() {
		return l.keepBefore(deadline)
	}
	if !time.Now().Before(deadline) {
		return timeoutError{}
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
		return l.keepBefore(deadline)
	case <-timer.C:
	}
	l.waitMu.Lock()
	i := slices.Index(l.waiters, handoff)
	if i >= 0 {
		l.waiters = slices.Delete(l.waiters, i, i+1)
	}
	l.waitMu.Unlock()
	if i < 0 {
		<-handoff // handed over as the deadline passed
		l.mu.Unlock()
	}
	return timeoutError{}
}

// keepBefore keeps the lock just taken if the deadline has not passed, and
// otherwise gives it back.
func (l *frameLock) keepBefore(deadline time.Time) error {
	if time.Now().Before(deadline) {
		return nil
	}
	l.mu.Unlock()
	return timeoutError{}
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
