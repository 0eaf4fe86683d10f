package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/hollow"
)

func init() { subcommands = append(subcommands, newHollowCmd) }

// newHollowCmd runs hollow nodes for scheduler scale tests: developers and
// benchmarks use it, operators do not, hence hidden.
func newHollowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "hollow -count N [-prefix P] [-servers URLS]",
		Short: "Simulate N node agents that run nothing (scheduler scale tests)",
		Long: `Register N hollow nodes (PREFIX-00000, ...) with one API client, heartbeat
them, and report every pod bound to them Running without running anything.
See "Hollow nodes" in docs/AGENT.md.`,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, level, err := parseHollowFlags(args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			return runHollow(cfg, level)
		},
	}
}

func parseHollowFlags(args []string) (hollow.Config, string, error) {
	cfg := hollow.Config{}
	fs := flag.NewFlagSet("hollow", flag.ContinueOnError)
	servers := fs.String("servers", "", "comma-separated server API URLs (default $BARQUE_ADDR, the CLI config, http://127.0.0.1:7080)")
	fs.IntVar(&cfg.Count, "count", 100, "number of hollow nodes")
	fs.StringVar(&cfg.Prefix, "prefix", hollow.DefaultPrefix, "node name prefix")
	fs.StringVar(&cfg.CPU, "cpu", hollow.DefaultCPU, "each node's CPU capacity")
	fs.StringVar(&cfg.Memory, "memory", hollow.DefaultMemory, "each node's memory capacity")
	fs.IntVar(&cfg.Pods, "pods", hollow.DefaultPods, "each node's pod capacity")
	zones := fs.Int("zones", 0, "spread the nodes over this many zones (label topology.kubernetes.io/zone=zone-K)")
	fs.DurationVar(&cfg.HeartbeatInterval, "heartbeat", hollow.DefaultHeartbeatInterval, "each node's heartbeat interval")
	fs.DurationVar(&cfg.StartDelay, "start-delay", 0, "simulated task start time")
	fs.IntVar(&cfg.StatusConcurrency, "status-concurrency", hollow.DefaultStatusConcurrency, "pod status writes in flight")
	level := fs.String("log-level", "info", "log level")
	if err := fs.Parse(args); err != nil {
		return cfg, "", err
	}
	if *servers != "" {
		globalOpts.address = *servers
	}
	c, err := client.New(client.Config{Addresses: serverAddresses()})
	if err != nil {
		return cfg, "", err
	}
	cfg.Client = c
	if n := *zones; n > 0 {
		cfg.Labels = func(i int) map[string]string {
			return map[string]string{"topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%n)}
		}
	}
	return cfg, *level, nil
}

func runHollow(cfg hollow.Config, level string) error {
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "barque", Level: hclog.LevelFromString(level), Output: os.Stderr})
	h, err := hollow.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go reportHollow(ctx, h)
	fmt.Fprintf(os.Stderr, "barque hollow: %d nodes %s-00000... against %s\n", cfg.Count, cfg.Prefix,
		strings.Join(cfg.Client.Addresses(), ","))
	return h.Run(ctx)
}

// reportHollow prints the counters every 10 s.
func reportHollow(ctx context.Context, h *hollow.Hollow) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		s := h.Stats()
		fmt.Fprintf(os.Stderr, "nodes %d, pods tracked %d, started %d, heartbeats %d, errors %d\n",
			s.NodesRegistered, s.PodsTracked, s.PodsStarted, s.Heartbeats, s.Errors)
	}
}
