// Command nodefailbench measures node failure to replacement (issue #3):
// three `barque server` processes and two `barque agent` processes (n1, n2),
// a Deployment of exec pods; each round SIGKILLs the agent holding the most
// pods together with its tasks and times how long until the Deployment again
// runs every replica on the survivor. It prints each round's breakdown
// (kill to node marked lost, and why; lost to replacements Running) and the
// p50 and max.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/bench/controlplane"
	"github.com/barque-io/barque/bench/podstart"
)

func main() {
	bin := flag.String("barque", "", "barque binary (default: go build ./cmd/barque)")
	rounds := flag.Int("rounds", 5, "node failures to measure")
	replicas := flag.Int("replicas", 4, "replicas of the Deployment")
	grace := flag.Duration("node-grace", 0, "the servers' -node-grace (0: their default, 10s)")
	flag.Parse()
	if err := run(*bin, *rounds, int32(*replicas), *grace); err != nil {
		fmt.Fprintln(os.Stderr, "nodefailbench:", err)
		os.Exit(1)
	}
}

// cluster is the servers, the two agents and a client.
type cluster struct {
	servers *controlplane.Barque
	agents  map[string]*controlplane.Proc
	cl      *client.Client
}

func run(bin string, rounds int, replicas int32, grace time.Duration) error {
	dir, err := os.MkdirTemp("", "nodefailbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "barque")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/barque").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v: %s", err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds+2)*2*time.Minute)
	defer cancel()
	c, err := startCluster(ctx, bin, dir, grace)
	if err != nil {
		return err
	}
	defer c.stop()
	graceText := "10s (default)"
	if grace > 0 {
		graceText = grace.String()
	}
	fmt.Printf("Node failure to replacement: 3 servers + 2 agents on %s, %d exec pods, node grace %s\n", controlplane.Loopback, replicas, graceText)
	fmt.Printf("machine: nproc %d, %s/%s; %s\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("%-6s %-5s %5s %12s %14s %12s  %s\n", "round", "node", "pods", "detected ms", "replaced ms", "after ms", "detected by")
	var total, detect []time.Duration
	for i := 0; i < rounds; i++ {
		r, dead, n, err := c.round(ctx, fmt.Sprintf("nf-%d", i), replicas)
		if err != nil {
			return fmt.Errorf("round %d: %w", i, err)
		}
		fmt.Printf("%-6d %-5s %5d %12d %14d %12d  %s\n", i, dead, n, r.Detected.Milliseconds(), r.Replaced.Milliseconds(),
			(r.Replaced - r.Detected).Milliseconds(), r.Reason)
		total, detect = append(total, r.Replaced), append(detect, r.Detected)
		if err := c.revive(ctx, dead); err != nil {
			return fmt.Errorf("round %d: %w", i, err)
		}
	}
	fmt.Printf("\nkill -9 to %d pods Running elsewhere: p50 %d ms, max %d ms (detection p50 %d ms, max %d ms)\n", replicas,
		podstart.Percentile(total, 0.5).Milliseconds(), podstart.Percentile(total, 1).Milliseconds(),
		podstart.Percentile(detect, 0.5).Milliseconds(), podstart.Percentile(detect, 1).Milliseconds())
	return nil
}

func startCluster(ctx context.Context, bin, dir string, grace time.Duration) (*cluster, error) {
	b := &controlplane.Barque{Bin: bin}
	if grace > 0 {
		b.ExtraArgs = []string{"--node-grace", grace.String()}
	}
	if err := b.Start(ctx, filepath.Join(dir, "servers")); err != nil {
		return nil, err
	}
	c := &cluster{servers: b, agents: map[string]*controlplane.Proc{}}
	cl, err := client.New(client.Config{Addresses: []string{b.API(0), b.API(1), b.API(2)}, Timeout: 5 * time.Second})
	if err != nil {
		c.stop()
		return nil, err
	}
	c.cl = cl
	for _, name := range []string{"n1", "n2"} {
		p, err := startAgent(bin, dir, name, b.GossipAddr(0))
		if err != nil {
			c.stop()
			return nil, err
		}
		c.agents[name] = p
	}
	for name := range c.agents {
		if err := waitReady(ctx, cl, name); err != nil {
			c.stop()
			return nil, err
		}
	}
	return c, nil
}

func startAgent(bin, dir, name, join string) (*controlplane.Proc, error) {
	ports, err := controlplane.FreePorts(2)
	if err != nil {
		return nil, err
	}
	p := &controlplane.Proc{Name: name, Path: bin, LogPath: filepath.Join(dir, name+".log"),
		Args: []string{"agent", "-name", name, "-data-dir", filepath.Join(dir, name), "-bind", controlplane.Loopback,
			"-gossip-port", fmt.Sprint(ports[0]), "-api-port", fmt.Sprint(ports[1]), "-join", join, "-log-level", "warn"}}
	return p, p.Start()
}

func (c *cluster) stop() {
	for _, a := range c.agents {
		a.Stop(5 * time.Second)
	}
	c.servers.Stop()
}
