// Package stats holds the arithmetic of the benchmark reports: medians of
// repeated measurements and percentiles of latency samples.
package stats

import (
	"slices"
	"time"
)

// Median returns the median of xs (the mean of the two middle values for
// an even count), 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// MedianBy returns the median of f over xs: the median of one measure of
// repeated samples.
func MedianBy[T any](xs []T, f func(T) float64) float64 {
	vs := make([]float64, len(xs))
	for i, x := range xs {
		vs[i] = f(x)
	}
	return Median(vs)
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method, 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}
