package controlplane

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryResult is workload 3 for one system.
type MemoryResult struct {
	System      string    `json:"system"`
	Objects     int       `json:"objects"`
	Errors      int       `json:"errors"`
	LoadSeconds float64   `json:"load_seconds"`
	IdleRSSMiB  []float64 `json:"idle_rss_mib"`
	// LoadEndRSSMiB is sampled as soon as the load ends, RSSMiB after
	// MemorySettle more: a member holding the objects at rest.
	LoadEndRSSMiB []float64 `json:"load_end_rss_mib"`
	RSSMiB        []float64 `json:"rss_mib"`
	MaxRSSMiB     float64   `json:"max_rss_mib"`
	StealPct      float64   `json:"steal_pct"`
}

// MemorySettle is how long after the load the members' resident sets are
// read, the same for every system: the figure is what a member holding the
// objects uses at rest, not a snapshot of its garbage collector mid-cycle.
const MemorySettle = 5 * time.Second

// MemoryConfig tunes workload 3.
type MemoryConfig struct {
	Objects   int
	Clients   int
	ValueSize int
}

// Memory loads cfg.Objects objects with cfg.Clients concurrent clients and
// reads each member's resident set size before and after.
func Memory(ctx context.Context, sys System, cfg MemoryConfig) (MemoryResult, error) {
	res := MemoryResult{System: sys.Name(), Objects: cfg.Objects}
	var err error
	if res.IdleRSSMiB, err = membersRSS(sys); err != nil {
		return res, err
	}
	steal := StartSteal()
	start := time.Now()
	res.Errors = load(ctx, sys, cfg)
	res.LoadSeconds = time.Since(start).Seconds()
	res.StealPct = steal.Percent()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	// Let followers apply the tail of the log before sampling them.
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := sys.WaitReady(wctx); err != nil {
		return res, err
	}
	if res.LoadEndRSSMiB, err = membersRSS(sys); err != nil {
		return res, err
	}
	select {
	case <-time.After(MemorySettle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if res.RSSMiB, err = membersRSS(sys); err != nil {
		return res, err
	}
	for _, r := range res.RSSMiB {
		res.MaxRSSMiB = max(res.MaxRSSMiB, r)
	}
	return res, nil
}

// load hands out object numbers from one counter so exactly cfg.Objects
// creates are attempted; it returns the number that failed.
func load(ctx context.Context, sys System, cfg MemoryConfig) int {
	value := Value(cfg.ValueSize)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := sys.Writer(c % Members)
			for ctx.Err() == nil {
				n := next.Add(1) - 1
				if n >= int64(cfg.Objects) {
					return
				}
				octx, cancel := context.WithTimeout(ctx, 10*time.Second)
				if err := w.Create(octx, "mem", fmt.Sprintf("mem-%d", n), value); err != nil {
					errs.Add(1)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	return int(errs.Load())
}

func membersRSS(sys System) ([]float64, error) {
	out := make([]float64, Members)
	for i := range out {
		b, err := RSSBytes(sys.PID(i))
		if err != nil {
			return nil, fmt.Errorf("member %d rss: %w", i, err)
		}
		out[i] = float64(b) / (1 << 20)
	}
	return out, nil
}
