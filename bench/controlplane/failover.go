package controlplane

import (
	"context"
	"fmt"
	"log"
	"time"
)

// FailoverResult is workload 2 for one system.
type FailoverResult struct {
	System  string    `json:"system"`
	Kills   int       `json:"kills"`
	Windows []float64 `json:"windows_ms"` // one per kill whose window was measured
	Window  Summary   `json:"window"`
	// Unmeasured counts kills after which no write issued later succeeded in time.
	Unmeasured int `json:"unmeasured"`
	Acked      int `json:"acked"`
	Failed     int `json:"failed_writes"`
	// Lost counts acknowledged writes missing from at least one member.
	Lost          int     `json:"lost"`
	MissingPerMem []int   `json:"missing_per_member"`
	StealPct      float64 `json:"steal_pct"`
}

// FailoverConfig tunes workload 2.
type FailoverConfig struct {
	Kills        int
	Tick         time.Duration // one write per tick (10 ms)
	WriteTimeout time.Duration // a write not answered by then counts as failed
	ValueSize    int
}

// Failover kills the leader cfg.Kills times under a steady writer and measures
// how long writes are unavailable, then checks that no acknowledged write is
// missing from any member.
func Failover(ctx context.Context, sys System, cfg FailoverConfig) (FailoverResult, error) {
	res := FailoverResult{System: sys.Name()}
	steal := StartSteal()
	w := newFailWriter(sys, "fail", Value(cfg.ValueSize), cfg.Tick, cfg.WriteTimeout)
	wctx, stopWriter := context.WithCancel(ctx)
	writerDone := make(chan struct{})
	go func() { w.run(wctx); close(writerDone) }()
	defer func() { stopWriter(); <-writerDone }()

	var windows []time.Duration
	for k := 0; k < cfg.Kills && ctx.Err() == nil; k++ {
		d, info, ok, err := killOnce(ctx, sys, w)
		if err != nil {
			return res, fmt.Errorf("kill %d: %w", k+1, err)
		}
		res.Kills++
		if !ok {
			res.Unmeasured++
			log.Printf("%s kill %d: no successful write after the kill", sys.Name(), k+1)
			continue
		}
		log.Printf("%s kill %d: window %.0f ms (%s)", sys.Name(), k+1, ms(d), info)
		windows = append(windows, d)
		res.Windows = append(res.Windows, ms(d))
	}
	stopWriter()
	<-writerDone
	res.StealPct = steal.Percent()
	res.Window = Summarize(windows)
	acked, failed := w.results()
	res.Acked, res.Failed = len(acked), failed
	lost, perMem, err := checkLost(ctx, sys, "fail", acked)
	res.Lost, res.MissingPerMem = lost, perMem
	return res, err
}

// killOnce waits for a healthy cluster, SIGKILLs the leader, waits for the
// window to be known, and restarts the killed member.
func killOnce(ctx context.Context, sys System, w *failWriter) (time.Duration, string, bool, error) {
	rctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := sys.WaitReady(rctx); err != nil {
		return 0, "", false, err
	}
	// Let the writer settle on a live member before the next crash.
	time.Sleep(500 * time.Millisecond)
	leader, err := sys.Leader(rctx)
	if err != nil {
		return 0, "", false, err
	}
	kill := time.Now()
	if err := sys.Kill(leader); err != nil {
		return 0, "", false, err
	}
	d, info, ok := waitWindow(rctx, w, kill)
	info = fmt.Sprintf("killed member %d; %s", leader, info)
	if err := sys.Restart(leader); err != nil {
		return 0, "", false, err
	}
	return d, info, ok, nil
}

func waitWindow(ctx context.Context, w *failWriter, kill time.Time) (time.Duration, string, bool) {
	for ctx.Err() == nil {
		if d, info, ok := w.windowInfo(kill); ok {
			return d, info, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, "", false
}

// checkLost reads every acknowledged key back from every member's local
// store, after all members have caught up. A member may still be applying
// the last entries, so a key counts as lost only if it stays missing.
func checkLost(ctx context.Context, sys System, group string, acked []string) (int, []int, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := sys.WaitReady(cctx); err != nil {
		return 0, nil, fmt.Errorf("before loss check: %w", err)
	}
	lost := map[string]bool{}
	perMem := make([]int, Members)
	for i := 0; i < Members; i++ {
		missing, err := missingAfterRetries(cctx, sys, i, group, acked)
		if err != nil {
			return 0, nil, fmt.Errorf("member %d: %w", i, err)
		}
		perMem[i] = len(missing)
		for _, k := range missing {
			lost[k] = true
		}
	}
	return len(lost), perMem, nil
}

func missingAfterRetries(ctx context.Context, sys System, i int, group string, keys []string) ([]string, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing, err := sys.Missing(ctx, i, group, keys)
		if err == nil && (len(missing) == 0 || time.Now().After(deadline)) {
			return missing, nil
		}
		if err != nil && time.Now().After(deadline) {
			return nil, err
		}
		if err == nil {
			keys = missing // only re-check what was missing
		}
		time.Sleep(500 * time.Millisecond)
	}
}
