package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/barque-io/barque/node"
	"github.com/barque-io/barque/node/driver"
	dockerdriver "github.com/barque-io/barque/node/driver/docker"
	execdriver "github.com/barque-io/barque/node/driver/exec"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newAgentCmd) }

func newAgentCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "agent -data-dir DIR [-bind ADDR] -join ADDR[:PORT] [-config FILE]",
		Short: "Run the node agent: join the cluster over gossip and run the pods bound to this node",
		Long: `Run the node agent. It joins the gossip pool through any member (-join a server
or another agent), finds the servers there, registers this node, heartbeats,
and runs the pods bound to it with the exec and docker drivers. Default
gossip port 7083. Tasks keep running when the agent stops; a restarted agent
reattaches to them.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := parseAgentFlags(args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			return runAgent(cfg)
		},
	}
}

// agentStrings are flags parsed as text, then turned into lists and maps.
type agentStrings struct {
	config, servers, meta, labels, taints, level string
	join                                         listFlag
}

func agentFlagSet(c *node.Config, x *agentStrings) *flag.FlagSet {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.StringVar(&x.config, "config", "", "HCL config file (the server's format; agent fields: name, data_dir, bind_addr, join, servers, datacenter, node_class, meta, node_labels, taints)")
	fs.StringVar(&c.Name, "name", c.Name, "node name (default: hostname)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for local state, pod directories and logs (required)")
	fs.StringVar(&c.BindAddr, "bind", c.BindAddr, "address the agent binds to and reports as the node's IP")
	fs.StringVar(&c.AdvertiseAddr, "advertise", c.AdvertiseAddr, "address advertised to the cluster (default: -bind)")
	fs.IntVar(&c.GossipPort, "gossip-port", c.GossipPort, "gossip port")
	fs.IntVar(&c.APIPort, "api-port", c.APIPort, "HTTP API port for logs and exec (default 7084; -1: any free port)")
	fs.Var(&x.join, "join", "gossip address ADDR[:PORT] of any member (server or agent); repeat it or separate addresses with commas")
	fs.StringVar(&x.servers, "servers", "", "comma-separated server API URLs (optional; gossip finds them)")
	fs.StringVar(&c.Datacenter, "dc", c.Datacenter, "datacenter")
	fs.StringVar(&c.NodeClass, "node-class", c.NodeClass, "node class")
	fs.StringVar(&x.meta, "meta", "", "comma-separated key=value node metadata")
	fs.StringVar(&x.labels, "labels", "", "comma-separated key=value node labels")
	fs.StringVar(&x.taints, "taints", "", "comma-separated key=value:Effect taints")
	fs.StringVar(&x.level, "log-level", "info", "trace, debug, info, warn or error")
	return fs
}

// parseAgentFlags merges defaults, then the -config file, then the flags.
func parseAgentFlags(args []string) (node.Config, error) {
	c := node.Config{BindAddr: "127.0.0.1", GossipPort: node.DefaultGossipPort, Datacenter: "dc1"}
	var first agentStrings
	scratch := c
	fs := agentFlagSet(&scratch, &first)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return c, agentFlagSet(&scratch, &first).Parse(args) // report with usage
	}
	if first.config != "" {
		if err := applyAgentFile(&c, first.config); err != nil {
			return c, err
		}
	}
	var x agentStrings
	if err := agentFlagSet(&c, &x).Parse(args); err != nil {
		return c, err
	}
	c.Servers, c.Taints = orList(x.servers, c.Servers), orList(x.taints, c.Taints)
	if len(x.join) > 0 { // the flags' addresses replace the file's, as with the server
		c.Join = x.join
	}
	var err error
	if c.Meta, err = kvList("-meta", x.meta, c.Meta); err != nil {
		return c, err
	}
	if c.Labels, err = kvList("-labels", x.labels, c.Labels); err != nil {
		return c, err
	}
	if c.DataDir == "" {
		return c, fmt.Errorf("-data-dir: Required value: a directory for the agent's state and pods")
	}
	c.Logger = hclog.New(&hclog.LoggerOptions{Name: "barque", Level: hclog.LevelFromString(x.level), Output: os.Stderr})
	return c, nil
}

func orList(s string, def []string) []string {
	if s == "" {
		return def
	}
	return splitList(s)
}

func kvList(flagName, s string, def map[string]string) (map[string]string, error) {
	if s == "" {
		return def, nil
	}
	out := map[string]string{}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s: Invalid value %q: want key=value", flagName, kv)
		}
		out[k] = v
	}
	return out, nil
}

// agentDrivers builds every driver; the agent advertises those whose
// fingerprint says they work here.
func agentDrivers(c node.Config) ([]driver.Driver, error) {
	ex, err := execdriver.New(execdriver.Config{StateDir: filepath.Join(c.DataDir, "exec"), Logger: c.Logger})
	if err != nil {
		return nil, err
	}
	out := []driver.Driver{ex}
	if dk, err := dockerdriver.New(dockerdriver.Config{Logger: c.Logger, BindAddress: c.BindAddr}); err == nil {
		out = append(out, dk)
	} else {
		c.Logger.Info("docker driver unavailable", "error", err)
	}
	return out, nil
}

func runAgent(c node.Config) error {
	drivers, err := agentDrivers(c)
	if err != nil {
		return err
	}
	c.Drivers = drivers
	a, err := node.New(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "barque agent %s: joining %v\n", a.Name(), c.Join)
	return a.Run(ctx)
}
