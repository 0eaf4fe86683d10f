// Command podbench measures pod start latency on an idle node: three
// `barque server` processes and one `barque agent`, pods created through the
// API until their status says Running, beside plain fork/exec and `docker run`
// of the same command in the same run. Every pod it started is stopped
// before it exits, also on Ctrl-C or SIGTERM (see reaper).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/bench/controlplane"
	"github.com/barque-io/barque/bench/podstart"
)

func main() {
	bin := flag.String("barque", "", "barque binary (default: go build ./cmd/barque)")
	rounds := flag.Int("rounds", 30, "single-pod starts per driver")
	batch := flag.Int("batch", 100, "pods started at once in the batch test")
	docker := flag.Bool("docker", true, "measure the docker driver (needs make test-images)")
	execDrv := flag.Bool("exec", true, "measure the exec driver")
	flag.Parse()
	if err := run(*bin, *rounds, *batch, *execDrv, *docker); err != nil {
		fmt.Fprintln(os.Stderr, "podbench:", err)
		os.Exit(1)
	}
}

// measureIf runs measure when on is set.
func measureIf(on bool, ctx context.Context, cl *client.Client, p podstart.Pod, rounds, batch int, floor func() (time.Duration, error), floorName string) error {
	if !on {
		return nil
	}
	return measure(ctx, cl, p, rounds, batch, floor, floorName)
}

func run(bin string, rounds, batch int, execDrv, docker bool) error {
	dir, err := os.MkdirTemp("", "podbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	benchDir = dir
	if bin == "" {
		bin = filepath.Join(dir, "barque")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/barque").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v: %s", err, out)
		}
	}
	// Ctrl-C or SIGTERM ends the measurements; the deferred teardown below
	// still stops every pod.
	sigCtx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithTimeout(sigCtx, 20*time.Minute)
	defer cancel()
	b := &controlplane.Barque{Bin: bin}
	if err := b.Start(ctx, filepath.Join(dir, "servers")); err != nil {
		return err
	}
	defer b.Stop()
	agent, err := startAgent(bin, dir, b.GossipAddr(0))
	if err != nil {
		return err
	}
	cl, err := client.New(client.Config{Addresses: []string{b.API(0), b.API(1), b.API(2)}})
	if err != nil {
		_ = agent.Stop(5 * time.Second)
		return err
	}
	r := newReaper(cl, "bench-node", filepath.Join(dir, "agent"))
	defer teardown(r, agent)
	if err := waitNode(ctx, cl, "bench-node"); err != nil {
		return err
	}
	agentPID = agent.PID()
	time.Sleep(3 * time.Second)
	fmt.Printf("idle agent RSS: %.1f MiB\n", agentRSS())
	fmt.Printf("Pod start latency: API create to Running (status committed), 3 servers + 1 agent on 127.0.0.1\n")
	fmt.Printf("machine: nproc %d; %s\n\n", nproc(), time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("%-8s %-10s %6s %9s %9s %12s %9s\n", "driver", "case", "pods", "p50 ms", "p99 ms", "floor p50 ms", "floor")
	execPod := podstart.Pod{Node: "bench-node", Driver: "exec", Command: []string{"sleep", "3600"}, Created: r.track}
	if err := measureIf(execDrv, ctx, cl, execPod, rounds, batch, func() (time.Duration, error) {
		return podstart.ForkExecFloor(execPod.Command)
	}, "fork/exec"); err != nil {
		return err
	}
	if docker {
		dockerPod := podstart.Pod{Node: "bench-node", Driver: "docker", Image: "barque-testapp:latest", Command: []string{"/testapp", "sleep"},
			Created: r.track}
		return measure(ctx, cl, dockerPod, max(rounds/3, 5), max(batch/5, 10), func() (time.Duration, error) {
			return podstart.DockerRunFloor(dockerPod.Image, []string{"sleep"})
		}, "docker run")
	}
	return nil
}

// teardown stops every pod podbench started: deleted through the API and
// stopped by the agent, then the agent stopped, then anything left killed.
func teardown(r *reaper, agent *controlplane.Proc) {
	r.deletePods()
	_ = agent.Stop(5 * time.Second)
	if ex, ct := r.killLeftovers(); ex > 0 || ct > 0 {
		fmt.Fprintf(os.Stderr, "podbench: killed %d task processes and %d containers the agent had not stopped\n", ex, ct)
	}
	if ex, ct := len(r.executors()), len(r.containers()); ex > 0 || ct > 0 {
		fmt.Fprintf(os.Stderr, "podbench: %d task processes and %d containers still running after the cleanup\n", ex, ct)
	}
}
