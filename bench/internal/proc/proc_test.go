package proc

import (
	"os"
	"testing"
)

func TestReadSelfCountsReadsAndAllocations(t *testing.T) {
	before, err := ReadSelf(false)
	if err != nil {
		t.Fatal(err)
	}
	const files = 3
	var kept [][]byte
	for range files {
		b, err := os.ReadFile("/proc/self/stat")
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, b)
	}
	after, err := ReadSelf(false)
	if err != nil {
		t.Fatal(err)
	}
	d := after.Sub(before)
	if d.ReadCalls < files {
		t.Errorf("%d read calls counted for %d files read", d.ReadCalls, files)
	}
	if d.Mallocs < files || d.TotalAlloc == 0 {
		t.Errorf("%d allocations, %d bytes counted for %d files kept", d.Mallocs, d.TotalAlloc, len(kept))
	}
	if d.CPUNanos < 0 || after.Goroutines == 0 {
		t.Errorf("CPU %d ns, %d goroutines", d.CPUNanos, after.Goroutines)
	}
}
