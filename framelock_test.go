package websocket

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

// helperRunning reports whether the lock's helper goroutine runs, and how
// many waiters it has.
func (l *frameLock) helperRunning() (bool, int) {
	l.waitMu.Lock()
	defer l.waitMu.Unlock()
	return l.helping, len(l.waiters)
}

// awaitHelper waits until the helper's state is the one wanted.
func awaitHelper(t *testing.T, l *frameLock, running bool, waiters int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		r, w := l.helperRunning()
		if r == running && w == waiters {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("helper running %v with %d waiters, want %v with %d", r, w, running, waiters)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFrameLockTimeouts holds the lock, as a data frame to a peer that stopped
// reading does, while many waits with a deadline time out behind it: they
// leave one helper goroutine, which ends once the lock is free.
func TestFrameLockTimeouts(t *testing.T) {
	var l frameLock
	l.lock(time.Time{})
	before := runtime.NumGoroutine()
	for i := range 20 {
		err := l.lock(time.Now().Add(2 * time.Millisecond))
		var timeout timeoutError
		if !errors.As(err, &timeout) {
			t.Fatalf("wait %d: %v, want a timeout", i, err)
		}
		awaitHelper(t, &l, true, 0)
	}
	// Other tests' goroutines may still come and go: a margin, far below
	// the one goroutine per wait this guards against.
	if n := runtime.NumGoroutine() - before; n > 3 {
		t.Errorf("%d more goroutines after 20 timed-out waits", n)
	}
	l.unlock()
	awaitHelper(t, &l, false, 0)
	if err := l.lock(time.Now().Add(time.Second)); err != nil {
		t.Fatalf("the free lock: %v", err)
	}
	l.unlock()
}

// TestFrameLockHandOverOrder queues three waiters with a deadline behind
// the holder: each gets the lock in turn, in the order it came.
func TestFrameLockHandOverOrder(t *testing.T) {
	var l frameLock
	l.lock(time.Time{})
	got := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := l.lock(time.Now().Add(testTimeout)); err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			got <- i
			l.unlock()
		}()
		awaitHelper(t, &l, true, i+1) // the next waiter comes after this one
	}
	l.unlock()
	for want := range 3 {
		if i := awaitValue(t, (<-chan int)(got)); i != want {
			t.Fatalf("waiter %d got the lock in turn %d", i, want)
		}
	}
	awaitHelper(t, &l, false, 0)
}

// TestFrameLockPastDeadline checks that a deadline already past fails, free
// lock or not, and leaves the lock as it was.
func TestFrameLockPastDeadline(t *testing.T) {
	var l frameLock
	past := time.Now().Add(-time.Millisecond)
	var timeout timeoutError
	if err := l.lock(past); !errors.As(err, &timeout) {
		t.Fatalf("free lock, deadline past: %v, want a timeout", err)
	}
	if !l.mu.TryLock() {
		t.Fatal("the failed lock kept the mutex")
	}
	if err := l.lock(past); !errors.As(err, &timeout) {
		t.Fatalf("held lock, deadline past: %v, want a timeout", err)
	}
	if r, w := l.helperRunning(); r || w != 0 {
		t.Fatalf("a wait already too late queued: helper %v, %d waiters", r, w)
	}
	l.unlock()
}
