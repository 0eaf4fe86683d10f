// Command cpbench measures Barque's Raft control plane beside etcd 3.4 in one
// run on this machine (issue "control plane", item 8): create throughput at
// 1/16/64 clients, write unavailability when the leader is SIGKILLed (plus a
// check that no acknowledged write was lost), and member memory holding many
// objects. It prints both systems' figures and the ratio Barque/etcd.
//
// Every member runs on 127.0.0.1 on ports the OS hands out, with data in a
// temp dir; every process it starts is stopped when it ends, also on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	cp "github.com/barque-io/barque/bench/controlplane"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

type options struct {
	only         string
	barqueBin    string
	etcdBin      string
	duration     time.Duration
	clients      []int
	routings     []cp.Routing
	kills        int
	objects      int
	workloads    map[string]bool
	jsonPath     string
	keep         bool
	short        bool
	writeTick    time.Duration
	writeLimit   time.Duration
	tmpParent    string
	barqueArgs   []string
	token        string
	barqueClient string
	cpuProfile   string
}

func parseFlags() (options, error) {
	var o options
	var clients, workloads, barqueArgs, routing string
	flag.StringVar(&o.only, "only", "", `run one system only: "etcd" or "barque" (default both)`)
	flag.StringVar(&o.barqueBin, "barque", "", "barque binary (default: go build ./cmd/barque into the temp dir)")
	flag.StringVar(&o.etcdBin, "etcd", "etcd", "etcd binary (3.4; see scripts/install-etcd.sh)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "throughput: time per client count")
	flag.StringVar(&clients, "clients", "1,16,64", "throughput: client counts")
	flag.StringVar(&routing, "routing", "pinned,leader,own", `throughput: where clients write. "pinned": client c to member (leader+c) mod 3, at every client count; "leader": every client to the leader; "own": each system's own client given all members (etcd's clientv3 balances over them, Barque's Go client follows the leader); the last two at the largest client count only`)
	flag.IntVar(&o.kills, "kills", 10, "failover: leader kills per system")
	flag.IntVar(&o.objects, "objects", 100000, "memory: objects of 1 KiB to load")
	flag.StringVar(&workloads, "workloads", "throughput,failover,memory", "workloads to run")
	flag.StringVar(&o.jsonPath, "json", "", "also write the figures as JSON to this file")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp dir (member data and logs)")
	flag.BoolVar(&o.short, "short", false, "quick run: 3 s per client count, 3 kills, 10,000 objects")
	flag.DurationVar(&o.writeTick, "fail-tick", 10*time.Millisecond, "failover: one write per tick")
	flag.DurationVar(&o.writeLimit, "fail-write-timeout", 3*time.Second, "failover: per-write timeout")
	flag.StringVar(&o.tmpParent, "dir", "", "parent of the temp dir holding member data (default $TMPDIR); put it on the disk to measure")
	flag.StringVar(&barqueArgs, "barque-args", "", "extra flags appended to every `barque server` command line (space-separated)")
	flag.StringVar(&o.token, "barque-token", os.Getenv("BARQUE_TOKEN"), "bearer token for Barque's API (default $BARQUE_TOKEN)")
	flag.StringVar(&o.barqueClient, "barque-client", "both", `how Barque's writers write: "go" (Barque's Go client, which coalesces concurrent creates into batch requests, as etcd's Go client shares one gRPC connection), "http" (one HTTP request per create, as curl or kubectl), or "both" (throughput runs each; "barque" is the Go client, "barque-http" the plain requests; failover and memory use the Go client)`)
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write cpbench's own CPU profile (its clients) to this file")
	flag.Parse()
	o.barqueArgs = strings.Fields(barqueArgs)
	if o.short {
		o.duration, o.kills, o.objects = 3*time.Second, 3, 10000
	}
	switch o.barqueClient {
	case "go", "http", "both":
	default:
		return o, fmt.Errorf("-barque-client must be go, http or both, not %q", o.barqueClient)
	}
	if o.only != "" && o.only != "etcd" && o.only != "barque" {
		return o, fmt.Errorf("-only must be etcd or barque, not %q", o.only)
	}
	var err error
	for _, f := range strings.Split(routing, ",") {
		r, err := cp.ParseRouting(strings.TrimSpace(f))
		if err != nil {
			return o, fmt.Errorf("-routing: %w", err)
		}
		o.routings = append(o.routings, r)
	}
	if o.clients, err = parseInts(clients); err != nil {
		return o, err
	}
	o.workloads = map[string]bool{}
	for _, w := range strings.Split(workloads, ",") {
		switch w = strings.TrimSpace(w); w {
		case "throughput", "failover", "memory":
			o.workloads[w] = true
		default:
			return o, fmt.Errorf("unknown workload %q", w)
		}
	}
	return o, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n < 1 {
			return nil, fmt.Errorf("bad client count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpbench:", err)
		os.Exit(2)
	}
	// Ctrl-C / SIGTERM cancel the run; the deferred cleanup in run then stops
	// every member before the process exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cpbench:", err)
			os.Exit(1)
		}
		defer stopProfile()
	}
	if err := run(ctx, o); err != nil {
		if errors.Is(err, context.Canceled) {
			err = fmt.Errorf("interrupted: %w", err)
		}
		fmt.Fprintln(os.Stderr, "cpbench:", err)
		os.Exit(1)
	}
}

// startCPUProfile profiles cpbench itself: the clients' side of every run.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
