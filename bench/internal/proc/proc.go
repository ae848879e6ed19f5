// Package proc holds what the echo server process and the runner share: the
// statistics the server reports about itself (CPU time, allocations, system
// calls, memory), and the file descriptor limit that thousands of
// connections need.
package proc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
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
	// Mallocs and TotalAlloc are the runtime.MemStats counters of heap
	// objects and bytes allocated so far (freed or not).
	Mallocs    uint64 `json:"mallocs"`
	TotalAlloc uint64 `json:"total_alloc"`
	// ReadCalls and WriteCalls count the process's read and write system
	// calls so far (syscr and syscw of /proc/self/io: read, readv and pread,
	// write, writev and pwrite, each counted whether it moved bytes or
	// found the socket empty).
	ReadCalls  uint64 `json:"read_calls"`
	WriteCalls uint64 `json:"write_calls"`
}

// Sub returns the counters of s minus those of t: what happened between two
// readings. The gauges (heap, stacks, goroutines) are s's.
func (s Stats) Sub(t Stats) Stats {
	s.CPUNanos -= t.CPUNanos
	s.Hijacked -= t.Hijacked
	s.Mallocs -= t.Mallocs
	s.TotalAlloc -= t.TotalAlloc
	s.ReadCalls -= t.ReadCalls
	s.WriteCalls -= t.WriteCalls
	return s
}

// ReadSelf fills the fields of Stats that describe the calling process.
func ReadSelf(gc bool) (Stats, error) {
	var s Stats
	if gc {
		runtime.GC()
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.Mallocs, s.TotalAlloc = m.Mallocs, m.TotalAlloc
	if gc {
		s.HeapAlloc, s.StackInuse = m.HeapAlloc, m.StackInuse
	}
	var err error
	if s.ReadCalls, s.WriteCalls, err = ioCalls(); err != nil {
		return s, err
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

// ioCalls reads the process's read and write system call counts from
// /proc/self/io (the whole thread group's).
func ioCalls() (reads, writes uint64, err error) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, err
	}
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(": "))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(k) {
		case "syscr":
			dst = &reads
		case "syscw":
			dst = &writes
		default:
			continue
		}
		if *dst, err = strconv.ParseUint(string(v), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/self/io: %s: %w", k, err)
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("/proc/self/io has no syscr and syscw")
	}
	return reads, writes, nil
}
