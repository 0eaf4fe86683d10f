package controlplane

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// ThroughputResult is one (system, client count) cell of workload 1.
type ThroughputResult struct {
	System    string  `json:"system"`
	Routing   Routing `json:"routing"`
	Clients   int     `json:"clients"`
	Ops       int     `json:"ops"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Latency   Summary `json:"latency"`
	// ServerCPUPerOpUs is the members' CPU time (all three) per successful
	// create: steadier than ops/s when the shared CPU is being stolen.
	ServerCPUPerOpUs float64 `json:"server_cpu_per_op_us"`
	StealPct         float64 `json:"steal_pct"`
}

// Routing says which member each throughput client writes to.
type Routing string

const (
	// RoutePinned: client c writes to member (leader+c) mod 3. Clients are
	// spread over all members (followers forward to the leader), and the
	// single client of c=1 always takes the direct path, so that figure
	// does not depend on which member won the election. Both systems get
	// exactly the same placement: the headline comparison.
	RoutePinned Routing = "pinned"
	// RouteLeader: every client writes to the leader, in both systems.
	RouteLeader Routing = "leader"
	// RouteOwn: every client writes through the system's own client given
	// all members, as its users would configure it (System.OwnWriter).
	RouteOwn Routing = "own"
)

// ParseRouting checks a -routing value.
func ParseRouting(s string) (Routing, error) {
	switch r := Routing(s); r {
	case RoutePinned, RouteLeader, RouteOwn:
		return r, nil
	}
	return "", fmt.Errorf("routing %q: want pinned, leader or own", s)
}

// writers returns each client's writer under routing r; nil when the system
// cannot be measured that way.
func writers(ctx context.Context, sys System, clients int, r Routing) []Writer {
	ws := make([]Writer, clients)
	if r == RouteOwn {
		own := sys.OwnWriter()
		if own == nil {
			return nil
		}
		for c := range ws {
			ws[c] = own
		}
		return ws
	}
	first, err := sys.Leader(ctx)
	if err != nil {
		first = 0
	}
	for c := range ws {
		if r == RouteLeader {
			ws[c] = sys.Writer(first)
		} else {
			ws[c] = sys.Writer((first + c) % Members)
		}
	}
	return ws
}

// Throughput runs `clients` closed-loop writers for dur, each creating new
// objects with a value of valueSize bytes, placed by routing r. ok is false
// when the system has no writer for r (Barque's plain-HTTP writer has no
// client of its own).
func Throughput(ctx context.Context, sys System, clients int, r Routing, dur time.Duration, valueSize int) (res ThroughputResult, ok bool) {
	value := Value(valueSize)
	ws := writers(ctx, sys, clients, r)
	if ws == nil {
		return res, false
	}
	group := fmt.Sprintf("tput-%s-c%d", r, clients)
	cpu0 := membersCPU(sys)
	steal := StartSteal()
	start := time.Now()
	deadline := start.Add(dur)
	lats := make([][]time.Duration, clients)
	errs := make([]int, clients)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lats[c], errs[c] = writeLoop(ctx, ws[c], group, c, deadline, value)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res = ThroughputResult{System: sys.Name(), Routing: r, Clients: clients, Seconds: elapsed.Seconds(),
		StealPct: steal.Percent()}
	var all []time.Duration
	for c := range lats {
		all = append(all, lats[c]...)
		res.Errors += errs[c]
	}
	res.Ops = len(all)
	res.OpsPerSec = float64(res.Ops) / elapsed.Seconds()
	res.Latency = Summarize(all)
	if res.Ops > 0 {
		res.ServerCPUPerOpUs = float64(membersCPU(sys)-cpu0) / float64(time.Microsecond) / float64(res.Ops)
	}
	return res, true
}

// writeLoop creates objects one after another until deadline and returns the
// latency of each success and the number of failures.
func writeLoop(ctx context.Context, w Writer, group string, client int, deadline time.Time, value []byte) ([]time.Duration, int) {
	var lats []time.Duration
	errs := 0
	for seq := 0; time.Now().Before(deadline) && ctx.Err() == nil; seq++ {
		key := fmt.Sprintf("%s-%d-%d", group, client, seq)
		t0 := time.Now()
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := w.Create(octx, group, key, value)
		cancel()
		if err != nil {
			errs++
			// Back off a little so a member that refuses everything does not
			// turn the client into a busy loop stealing the members' CPU.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		lats = append(lats, time.Since(t0))
	}
	return lats, errs
}

// membersCPU sums the CPU time of the running members.
func membersCPU(sys System) time.Duration {
	var total time.Duration
	for i := 0; i < Members; i++ {
		if pid := sys.PID(i); pid != 0 {
			if d, err := CPUTime(pid); err == nil {
				total += d
			}
		}
	}
	return total
}
