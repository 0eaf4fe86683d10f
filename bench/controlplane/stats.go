package controlplane

import (
	"math"
	"sort"
	"time"
)

// Summary is a latency distribution in milliseconds.
type Summary struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Min float64 `json:"min_ms"`
	Max float64 `json:"max_ms"`
}

// Summarize sorts ds in place and returns its percentiles (nearest rank).
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{} // N == 0 marks "no data"; NaN would break JSON
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return Summary{
		N:   len(ds),
		P50: ms(rank(ds, 0.50)),
		P99: ms(rank(ds, 0.99)),
		Min: ms(ds[0]),
		Max: ms(ds[len(ds)-1]),
	}
}

func rank(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
