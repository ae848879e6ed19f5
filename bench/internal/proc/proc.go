// Package proc holds what the echo server process and the runner share: the
// statistics the server reports about itself, and the file descriptor limit
// that thousands of connections need.
package proc

import (
	"runtime"
	"syscall"
)

// Stats is what an echo server reports at /stats.
type Stats struct {
	// CPUNanos is the user and system CPU time of the process so far, from
	// getrusage(RUSAGE_SELF).
	CPUNanos int64 `json:"cpu_ns"`
	// HeapAlloc and StackInuse are runtime.MemStats fields, read after two
	// garbage collections (so that sync.Pool contents are gone too) when
	// /stats?gc=1 was asked; 0 otherwise.
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	// Goroutines is runtime.NumGoroutine.
	Goroutines int `json:"goroutines"`
	// Hijacked counts the connections the HTTP server handed to the library.
	Hijacked int64 `json:"hijacked"`
}

// ReadSelf fills the fields of Stats that describe the calling process.
func ReadSelf(gc bool) (Stats, error) {
	var s Stats
	if gc {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s.HeapAlloc, s.StackInuse = m.HeapAlloc, m.StackInuse
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return s, err
	}
	s.CPUNanos = ru.Utime.Nano() + ru.Stime.Nano()
	s.Goroutines = runtime.NumGoroutine()
	return s, nil
}

// RaiseFileLimit raises the soft limit of open files to the hard limit and
// returns the new soft limit.
func RaiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return l.Cur, nil
}
