package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/api/server"
	"github.com/barque-io/barque/node"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newDevCmd) }

type devOpts struct {
	dataDir  string
	once     bool
	logLevel string
}

func newDevCmd() *cobra.Command {
	var o devOpts
	cmd := &cobra.Command{
		Use:   "dev [FILE]",
		Short: "Run an all-in-one local cluster (three server replicas, two node agents), and apply FILE to it",
		Long: `Run an all-in-one local cluster: three control-plane replicas in this process,
on 127.0.0.11, 127.0.0.12 and 127.0.0.13 (default ports), and two node agents
(nodes dev-node-1 and dev-node-2 on 127.0.0.21 and .22), with their data in a
temporary directory. With FILE, apply it once the cluster is ready. Ctrl-C
stops everything cleanly.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runDev(cmd, o, args) },
	}
	cmd.Flags().StringVar(&o.dataDir, "data-dir", "", "keep the cluster's data here (default: a temporary directory, removed on exit)")
	cmd.Flags().BoolVar(&o.once, "once", false, "stop once FILE is applied (for scripts and CI)")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "warn", "server log level")
	return cmd
}

func runDev(cmd *cobra.Command, o devOpts, args []string) error {
	dir := o.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "barque-dev-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	servers, err := startDevServers(dir, o.logLevel)
	defer stopDevServers(servers)
	if err != nil {
		return err
	}
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.APIURL())
	}
	globalOpts.address = strings.Join(urls, ",")
	if err := waitDevReady(cmd.Context(), urls, 30*time.Second); err != nil {
		return err
	}
	stopAgents, err := startDevAgents(cmd.Context(), dir, o.logLevel)
	if err != nil {
		return err
	}
	defer stopAgents()
	printDevBanner(cmd, urls, dir)
	if len(args) == 1 {
		if err := devRun(cmd, args[0]); err != nil {
			return err
		}
	}
	if o.once {
		return nil
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	fmt.Fprintln(cmd.ErrOrStderr(), "\nstopping the dev cluster…")
	return nil
}

// startDevServers starts three replicas on 127.0.0.11-13 with the default
// ports, or on 127.0.0.1 with shifted ports where those addresses are taken.
func startDevServers(dir, level string) ([]*server.Server, error) {
	var out []*server.Server
	for i := 1; i <= 3; i++ {
		cfg := server.DefaultConfig()
		cfg.Name = fmt.Sprintf("dev-%d", i)
		cfg.DataDir = filepath.Join(dir, cfg.Name)
		cfg.BindAddr = fmt.Sprintf("127.0.0.1%d", i)
		cfg.BootstrapExpect = 3
		cfg.FastGossip = true
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: cfg.Name, Level: hclog.LevelFromString(level), Output: os.Stderr})
		cfg.ShutdownTransfer = false // the whole cluster stops together
		if i > 1 {
			cfg.Join = []string{"127.0.0.11"}
		}
		s, err := server.New(cfg)
		if err != nil {
			return out, fmt.Errorf("starting %s: %w", cfg.Name, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func stopDevServers(servers []*server.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Peers of a replica that is stopping complain loudly; the whole
	// cluster is going, so silence them first.
	for _, s := range servers {
		s.Logger().SetLevel(hclog.Off)
	}
	for _, s := range servers {
		_ = s.Shutdown(ctx)
	}
}

func waitDevReady(ctx context.Context, urls []string, timeout time.Duration) error {
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := c.Leader(ctx); err == nil {
			if _, err := c.Get(ctx, "Namespace", "", "default", client.GetOptions{}); err == nil {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the dev cluster did not elect a leader within %v", timeout)
}

func printDevBanner(cmd *cobra.Command, urls []string, dir string) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Barque dev cluster is up: 3 server replicas and 2 node agents, data in %s\n", dir)
	for i, u := range urls {
		fmt.Fprintf(w, "  server dev-%d  %s\n", i+1, u)
	}
	fmt.Fprintf(w, "\nTry, in another terminal:\n  export BARQUE_ADDR=%s\n", strings.Join(urls, ","))
	fmt.Fprintln(w, "  barque get nodes\n  barque get pods -o wide -w\n  barque operator raft list-peers")
	fmt.Fprintln(w, "Ctrl-C stops the cluster.")
}

// startDevAgents runs two node agents in this process; the returned func
// stops them (their tasks are stopped with the pods, or left for a later
// agent on the same data dir).
func startDevAgents(ctx context.Context, dir, level string) (func(), error) {
	actx, cancel := context.WithCancel(context.Background())
	var done []chan struct{}
	for i := 1; i <= 2; i++ {
		cfg := node.Config{Name: fmt.Sprintf("dev-node-%d", i), DataDir: filepath.Join(dir, fmt.Sprintf("node-%d", i)),
			BindAddr: fmt.Sprintf("127.0.0.2%d", i), Join: []string{"127.0.0.11"}, Datacenter: "dc1", FastGossip: true, StopTasksOnExit: true,
			Logger: hclog.New(&hclog.LoggerOptions{Name: fmt.Sprintf("dev-node-%d", i), Level: hclog.LevelFromString(level), Output: os.Stderr})}
		drivers, err := agentDrivers(cfg)
		if err != nil {
			cancel()
			return nil, err
		}
		cfg.Drivers = drivers
		a, err := node.New(cfg)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("starting agent %s: %w", cfg.Name, err)
		}
		ch := make(chan struct{})
		done = append(done, ch)
		go func() { defer close(ch); _ = a.Run(actx) }()
	}
	return func() {
		cancel()
		for _, ch := range done {
			<-ch
		}
	}, nil
}

// devRun applies a manifest, or submits a Nomad-style job file (.hcl,
// .nomad) and follows its rollout.
func devRun(cmd *cobra.Command, path string) error {
	if !strings.HasSuffix(path, ".hcl") && !strings.HasSuffix(path, ".nomad") {
		return runApply(cmd, []string{path})
	}
	_, sub, err := loadJob(path, jobFileOpts{})
	if err != nil {
		return err
	}
	return runSubmission(cmd, sub, false, 2*time.Minute)
}
