package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cp "github.com/barque-io/barque/bench/controlplane"
)

// Value sizes fixed by the issue: 256 B for throughput and failover, 1 KiB
// objects for memory; 64 loaders for memory.
const (
	smallValue    = 256
	memValue      = 1024
	memoryClients = 64
)

// run executes the selected workloads. Each workload gets a fresh cluster
// per system, so one workload's data does not weigh on the next's figures
// (memory above all), and the systems take turns on the same machine.
func run(ctx context.Context, o options) (err error) {
	dir, err := os.MkdirTemp(o.tmpParent, "cpbench-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep || err != nil {
			log.Printf("member data and logs kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	systems, err := systemMakers(ctx, o, dir)
	if err != nil {
		return err
	}
	rep := newReport(o)
	steal := cp.StartSteal()
	for _, run := range workloadRuns(o) {
		w := run.workload
		for _, sm := range systems {
			if sm.only != "" && sm.only != w {
				continue
			}
			sys := sm.make()
			werr := withCluster(ctx, sys, filepath.Join(dir, run.name+"-"+sys.Name()), func() error {
				return runWorkload(ctx, o, run, sys, rep)
			})
			if werr != nil {
				// Keep going: the other system's figures are still worth printing.
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s %s: %v", sys.Name(), w, werr))
				log.Printf("%s %s: %v", sys.Name(), w, werr)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	rep.StealPct = steal.Percent()
	rep.computeRatios()
	rep.print(os.Stdout)
	if o.jsonPath != "" {
		if err := rep.writeJSON(o.jsonPath); err != nil {
			return err
		}
	}
	if len(rep.Errors) > 0 {
		return errors.New(strings.Join(rep.Errors, "; "))
	}
	return rep.lostError()
}

// systemMaker builds one system to measure; only, when set, is the one
// workload it runs.
type systemMaker struct {
	make func() cp.System
	only string
}

// systemMakers returns a constructor per selected system, building barque
// first when no binary was given.
func systemMakers(ctx context.Context, o options, dir string) ([]systemMaker, error) {
	var out []systemMaker
	if o.only != "barque" {
		bin := o.etcdBin
		out = append(out, systemMaker{make: func() cp.System { return &cp.Etcd{Bin: bin} }})
	}
	if o.only != "etcd" {
		bin, args, token := o.barqueBin, o.barqueArgs, o.token
		if bin == "" {
			var err error
			if bin, err = buildBarque(ctx, dir); err != nil {
				return nil, err
			}
		}
		goClient := o.barqueClient != "http"
		out = append(out, systemMaker{make: func() cp.System {
			return &cp.Barque{Bin: bin, ExtraArgs: args, Token: token, GoClient: goClient}
		}})
		if o.barqueClient == "both" {
			out = append(out, systemMaker{only: "throughput", make: func() cp.System {
				return &cp.Barque{Bin: bin, ExtraArgs: args, Token: token, Label: "barque-http"}
			}})
		}
	}
	return out, nil
}

// buildBarque builds ./cmd/barque of the module cpbench is run in.
func buildBarque(ctx context.Context, dir string) (string, error) {
	mod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(mod)) == "" || strings.TrimSpace(string(mod)) == os.DevNull {
		return "", fmt.Errorf("run cpbench inside the barque module or pass -barque BIN (go env GOMOD: %v)", err)
	}
	bin := filepath.Join(dir, "barque")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/barque")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(mod)))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	log.Printf("building barque: go build -o %s ./cmd/barque", bin)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build barque: %w", err)
	}
	return bin, nil
}

// withCluster starts sys on a fresh dir, runs f, and always stops sys.
func withCluster(ctx context.Context, sys cp.System, dir string, f func() error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer sys.Stop()
	t0 := time.Now()
	if err := sys.Start(ctx, dir); err != nil {
		return err
	}
	log.Printf("%s: 3 members ready in %.1f s", sys.Name(), time.Since(t0).Seconds())
	return f()
}

func runWorkload(ctx context.Context, o options, run workloadRun, sys cp.System, rep *report) error {
	switch run.workload {
	case "throughput":
		for _, c := range run.clients {
			r, ok := cp.Throughput(ctx, sys, c, run.routing, o.duration, smallValue)
			if !ok {
				continue
			}
			log.Printf("%s throughput c=%d, %s: %.0f ops/s p50 %.2f ms p99 %.2f ms (%d errors)",
				sys.Name(), c, run.routing, r.OpsPerSec, r.Latency.P50, r.Latency.P99, r.Errors)
			rep.Throughput = append(rep.Throughput, r)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	case "failover":
		r, err := cp.Failover(ctx, sys, cp.FailoverConfig{Kills: o.kills, Tick: o.writeTick,
			WriteTimeout: o.writeLimit, ValueSize: smallValue})
		rep.Failover = append(rep.Failover, r)
		return err
	case "memory":
		r, err := cp.Memory(ctx, sys, cp.MemoryConfig{Objects: o.objects, Clients: memoryClients,
			ValueSize: memValue})
		rep.Memory = append(rep.Memory, r)
		return err
	}
	return fmt.Errorf("unknown workload %q", run.workload)
}

// workloadRun is one workload on fresh clusters (one per system).
type workloadRun struct {
	name     string // names the member data dir
	workload string
	routing  cp.Routing // throughput only
	clients  []int      // throughput only
}

// workloadRuns lists the runs in order. Throughput gets one run per
// routing, each on a fresh cluster so that no routing inherits the store
// the previous one filled (a larger store costs more GC): pinned at every
// client count, the other routings at the largest count only (they answer
// "how does the 64-client figure change with placement").
func workloadRuns(o options) []workloadRun {
	var runs []workloadRun
	for _, w := range []string{"throughput", "failover", "memory"} {
		if !o.workloads[w] {
			continue
		}
		if w != "throughput" {
			runs = append(runs, workloadRun{name: w, workload: w})
			continue
		}
		for _, r := range o.routings {
			clients := o.clients
			if r != cp.RoutePinned {
				clients = []int{slices.Max(o.clients)}
			}
			name := w
			if r != cp.RoutePinned {
				name += "-" + string(r)
			}
			runs = append(runs, workloadRun{name: name, workload: w, routing: r, clients: clients})
		}
	}
	return runs
}
