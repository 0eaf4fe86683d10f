package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/bench/controlplane"
	"github.com/barque-io/barque/bench/podstart"
)

func startAgent(bin, dir, join string) (*controlplane.Proc, error) {
	ports, err := controlplane.FreePorts(2)
	if err != nil {
		return nil, err
	}
	p := &controlplane.Proc{Name: "agent", Path: bin, LogPath: filepath.Join(dir, "agent.log"),
		Args: []string{"agent", "-name", "bench-node", "-data-dir", filepath.Join(dir, "agent"), "-bind", controlplane.Loopback,
			"-gossip-port", fmt.Sprint(ports[0]), "-api-port", fmt.Sprint(ports[1]), "-join", join, "-log-level", "warn"}}
	return p, p.Start()
}

func waitNode(ctx context.Context, cl *client.Client, name string) error {
	for ctx.Err() == nil {
		if obj, err := cl.Get(ctx, "Node", "", name, client.GetOptions{}); err == nil {
			if c := api.FindCondition(obj.(*api.Node).Status.Conditions, api.NodeReady); c != nil && c.Status == api.ConditionTrue {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("node %s never became ready", name)
}

// measure runs single pods one at a time, then a batch at once, and the
// floor the same number of times.
func measure(ctx context.Context, cl *client.Client, p podstart.Pod, rounds, batch int, floor func() (time.Duration, error), floorName string) error {
	var single, floors []time.Duration
	for i := 0; i < rounds; i++ {
		lat, err := podstart.Run(ctx, cl, p, fmt.Sprintf("%s-one-%d", p.Driver, i), 1, 1, nil)
		if err != nil {
			return fmt.Errorf("%s single pod: %w", p.Driver, err)
		}
		single = append(single, lat...)
		f, err := floor()
		if err != nil {
			return err
		}
		floors = append(floors, f)
	}
	fp50 := podstart.Percentile(floors, 0.5)
	report(p.Driver, "1 pod", rounds, single, fp50, floorName)
	if os.Getenv("PODBENCH_VERBOSE") != "" {
		fmt.Fprintln(os.Stderr, p.Driver, "single-pod latencies:", single)
	}
	lat, err := podstart.Run(ctx, cl, p, p.Driver+"-batch", batch, 16, func() {
		time.Sleep(3 * time.Second) // let the agent settle with every pod running
		fmt.Printf("agent RSS with %d %s pods running: %.1f MiB\n", batch, p.Driver, agentRSS())
		if p.Driver == "exec" {
			fmt.Printf("exec task supervisors with %d pods: %s\n", batch, executorCost(benchDir))
		}
	})
	if err != nil {
		return fmt.Errorf("%s batch: %w", p.Driver, err)
	}
	report(p.Driver, fmt.Sprintf("%d at once", batch), len(lat), lat, fp50, floorName)
	return nil
}

func report(driver, what string, n int, lat []time.Duration, floor time.Duration, floorName string) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("%-8s %-10s %6d %9.1f %9.1f %12.2f %9s\n", driver, what, n,
		ms(podstart.Percentile(lat, 0.5)), ms(podstart.Percentile(lat, 0.99)), ms(floor), floorName)
}

func nproc() int { return runtime.NumCPU() }

// agentPID is set once the agent runs, for RSS readings; benchDir holds
// its data dir, to find its executors.
var (
	agentPID int
	benchDir string
)

func agentRSS() float64 {
	b, err := controlplane.RSSBytes(agentPID)
	if err != nil {
		return -1
	}
	return float64(b) / (1 << 20)
}
