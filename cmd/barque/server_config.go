package main

import (
	"flag"
	"fmt"
	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/node"
	"os"
	"strings"
	"time"

	"github.com/barque-io/barque/api/server"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2/hclsimple"
)

// fileConfig is the HCL config file of `barque server` (and later `agent`).
// Every field is optional; set fields override the defaults, and flags
// override the file.
type fileConfig struct {
	Name            *string      `hcl:"name,optional"`
	DataDir         *string      `hcl:"data_dir,optional"`
	BindAddr        *string      `hcl:"bind_addr,optional"`
	AdvertiseAddr   *string      `hcl:"advertise_addr,optional"`
	BootstrapExpect *int         `hcl:"bootstrap_expect,optional"`
	Join            []string     `hcl:"join,optional"`
	Datacenter      *string      `hcl:"datacenter,optional"`
	RaftMultiplier  *int         `hcl:"raft_multiplier,optional"`
	LogLevel        *string      `hcl:"log_level,optional"`
	MemoryLimit     *string      `hcl:"memory_limit,optional"`
	NodeGrace       *string      `hcl:"node_grace,optional"` // a Go duration, "10s"
	CommitDelay     *string      `hcl:"group_commit_delay,optional"`
	SnapThreshold   *int         `hcl:"raft_snapshot_threshold,optional"`
	TrailingLogs    *int         `hcl:"raft_trailing_logs,optional"`
	LogStore        *string      `hcl:"raft_log_store,optional"`
	Ports           *portsConfig `hcl:"ports,block"`

	// Agent fields (barque agent reads the same file format).
	Servers    []string          `hcl:"servers,optional"`
	NodeClass  *string           `hcl:"node_class,optional"`
	Meta       map[string]string `hcl:"meta,optional"`
	NodeLabels map[string]string `hcl:"node_labels,optional"`
	Taints     []string          `hcl:"taints,optional"`
}

type portsConfig struct {
	HTTP   *int `hcl:"http,optional"`
	Raft   *int `hcl:"raft,optional"`
	Gossip *int `hcl:"gossip,optional"`
}

// serverFlags holds the command line; flagSet records which were given.
type serverFlags struct {
	fs       *flag.FlagSet
	config   string
	logLevel string
	join     listFlag
	memLimit string
	cfg      server.Config
}

// newServerFlags uses Go's flag package, so both -data-dir and --data-dir
// work, as with Nomad and Consul.
func newServerFlags() *serverFlags {
	f := &serverFlags{fs: flag.NewFlagSet("server", flag.ContinueOnError), cfg: server.DefaultConfig()}
	fs, c := f.fs, &f.cfg
	fs.StringVar(&f.config, "config", "", "HCL config file")
	fs.StringVar(&c.Name, "name", "", "server name (default: derived from its ID)")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for the Raft log, snapshots and node ID (required)")
	fs.StringVar(&c.BindAddr, "bind", c.BindAddr, "address every listener binds to")
	fs.StringVar(&c.AdvertiseAddr, "advertise", "", "address advertised to peers and clients (default: -bind)")
	fs.IntVar(&c.BootstrapExpect, "bootstrap-expect", c.BootstrapExpect, "bootstrap the cluster once this many servers are seen (0: join an existing cluster)")
	fs.Var(&f.join, "join", "gossip address ADDR[:PORT] of a member to join; repeat it or separate addresses with commas")
	fs.StringVar(&c.Datacenter, "dc", c.Datacenter, "datacenter name")
	fs.IntVar(&c.RaftMultiplier, "raft-multiplier", c.RaftMultiplier, "scale every Raft timer (1 = LAN)")
	fs.IntVar(&c.HTTPPort, "http-port", c.HTTPPort, "API port")
	fs.IntVar(&c.RaftPort, "raft-port", c.RaftPort, "Raft port")
	fs.IntVar(&c.GossipPort, "gossip-port", c.GossipPort, "gossip port")
	fs.BoolVar(&c.EnableDebug, "enable-debug", false, "serve Go's profiler under /debug/pprof/")
	fs.StringVar(&f.logLevel, "log-level", "info", "trace, debug, info, warn or error")
	fs.StringVar(&f.memLimit, "memory-limit", "", "fixed soft limit for the Go heap, e.g. 300Mi or 1Gi (default: none; free memory is returned to the OS when the server goes quiet)")
	fs.DurationVar(&c.GroupCommitDelay, "group-commit-delay", c.GroupCommitDelay, "under steady write load, how long the leader holds a log entry open for more writes (0: never)")
	fs.StringVar(&c.RaftLogStore, "raft-log-store", c.RaftLogStore, `where the Raft log lives: "boltdb" (default) or "wal" (an append-only log, faster writes); a data dir keeps the store it was created with`)
	fs.IntVar(&c.RaftSnapshotThreshold, "raft-snapshot-threshold", c.RaftSnapshotThreshold, "log entries applied since the last snapshot that make a replica snapshot and compact its log")
	fs.IntVar(&c.RaftTrailingLogs, "raft-trailing-logs", c.RaftTrailingLogs, "log entries a compaction keeps, for followers a little behind")
	fs.DurationVar(&c.NodeGrace, "node-grace", 0, "how long a node may miss heartbeats before it is marked lost (0: 10s)")
	return f
}

// parse merges defaults, then the config file, then the flags given.
func (f *serverFlags) parse(args []string) (server.Config, error) {
	if err := f.fs.Parse(args); err != nil {
		return server.Config{}, err
	}
	if f.fs.NArg() > 0 {
		return server.Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(f.fs.Args(), " "))
	}
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg := server.DefaultConfig()
	level := "info"
	expectSet := set["bootstrap-expect"]
	if f.config != "" {
		fileExpect, err := applyFile(&cfg, &level, f.config)
		if err != nil {
			return server.Config{}, err
		}
		expectSet = expectSet || fileExpect
	}
	applyFlags(&cfg, &f.cfg, set)
	if set["join"] {
		cfg.Join = f.join
	}
	// A server told to join others but not how many servers form the
	// cluster joins an existing one. Bootstrapping alone (the default of
	// a lone server, 1) would give every such server a cluster of its
	// own, with objects of its own, before the leader of one added the
	// others: their stores would differ at the same resourceVersions.
	if !expectSet && len(cfg.Join) > 0 {
		cfg.BootstrapExpect = 0
	}
	if set["log-level"] {
		level = f.logLevel
	}
	if set["memory-limit"] {
		cfg.MemoryLimit = f.memLimit
	}
	if err := checkMemoryLimit(cfg.MemoryLimit); err != nil {
		return server.Config{}, err
	}
	if cfg.DataDir == "" {
		return server.Config{}, fmt.Errorf("-data-dir: Required value: a directory for the Raft log and snapshots")
	}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "barque", Level: hclog.LevelFromString(level), Output: os.Stderr})
	return cfg, nil
}

func applyFlags(dst, fl *server.Config, set map[string]bool) {
	pick := map[string]func(){
		"name": func() { dst.Name = fl.Name }, "data-dir": func() { dst.DataDir = fl.DataDir },
		"bind": func() { dst.BindAddr = fl.BindAddr }, "advertise": func() { dst.AdvertiseAddr = fl.AdvertiseAddr },
		"bootstrap-expect": func() { dst.BootstrapExpect = fl.BootstrapExpect }, "dc": func() { dst.Datacenter = fl.Datacenter },
		"raft-multiplier": func() { dst.RaftMultiplier = fl.RaftMultiplier }, "http-port": func() { dst.HTTPPort = fl.HTTPPort },
		"raft-port": func() { dst.RaftPort = fl.RaftPort }, "enable-debug": func() { dst.EnableDebug = fl.EnableDebug }, "gossip-port": func() { dst.GossipPort = fl.GossipPort },
		"node-grace": func() { dst.NodeGrace = fl.NodeGrace }, "group-commit-delay": func() { dst.GroupCommitDelay = fl.GroupCommitDelay },
		"raft-snapshot-threshold": func() { dst.RaftSnapshotThreshold = fl.RaftSnapshotThreshold },
		"raft-trailing-logs":      func() { dst.RaftTrailingLogs = fl.RaftTrailingLogs },
		"raft-log-store":          func() { dst.RaftLogStore = fl.RaftLogStore },
	}
	for name, f := range pick {
		if set[name] {
			f()
		}
	}
}

// applyFile merges the HCL file at path into cfg; it reports whether the
// file sets bootstrap_expect.
func applyFile(cfg *server.Config, level *string, path string) (bool, error) {
	var fc fileConfig
	if err := hclsimple.DecodeFile(path, nil, &fc); err != nil {
		return false, fmt.Errorf("config file: %w", err)
	}
	setS := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setI := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setS(&cfg.Name, fc.Name)
	setS(&cfg.DataDir, fc.DataDir)
	setS(&cfg.BindAddr, fc.BindAddr)
	setS(&cfg.AdvertiseAddr, fc.AdvertiseAddr)
	setI(&cfg.BootstrapExpect, fc.BootstrapExpect)
	setS(&cfg.Datacenter, fc.Datacenter)
	setI(&cfg.RaftMultiplier, fc.RaftMultiplier)
	setI(&cfg.RaftSnapshotThreshold, fc.SnapThreshold)
	setI(&cfg.RaftTrailingLogs, fc.TrailingLogs)
	setS(&cfg.RaftLogStore, fc.LogStore)
	setS(level, fc.LogLevel)
	setS(&cfg.MemoryLimit, fc.MemoryLimit)
	if fc.Join != nil {
		cfg.Join = fc.Join
	}
	if fc.NodeGrace != nil {
		d, err := time.ParseDuration(*fc.NodeGrace)
		if err != nil || d < 0 {
			return false, fmt.Errorf("config file: node_grace: Invalid value: %q: want a duration such as \"10s\"", *fc.NodeGrace)
		}
		cfg.NodeGrace = d
	}
	if fc.CommitDelay != nil {
		d, err := time.ParseDuration(*fc.CommitDelay)
		if err != nil || d < 0 || d > time.Second {
			return false, fmt.Errorf("config file: group_commit_delay: Invalid value: %q: want a duration from \"0s\" to \"1s\", such as \"1ms\"", *fc.CommitDelay)
		}
		cfg.GroupCommitDelay = d
	}
	if p := fc.Ports; p != nil {
		setI(&cfg.HTTPPort, p.HTTP)
		setI(&cfg.RaftPort, p.Raft)
		setI(&cfg.GossipPort, p.Gossip)
	}
	return fc.BootstrapExpect != nil, nil
}

// listFlag is a flag that may be repeated; each value may also list
// several items separated by commas (-join a -join b, or -join a,b).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, splitList(v)...)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func checkMemoryLimit(s string) error {
	if s == "" {
		return nil
	}
	if _, err := api.ParseQuantity(s); err != nil {
		return fmt.Errorf("-memory-limit: Invalid value %q: %v", s, err)
	}
	return nil
}

// applyAgentFile reads the agent's fields from an HCL config file.
func applyAgentFile(c *node.Config, path string) error {
	var fc fileConfig
	if err := hclsimple.DecodeFile(path, nil, &fc); err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Name, fc.Name)
	set(&c.DataDir, fc.DataDir)
	set(&c.BindAddr, fc.BindAddr)
	set(&c.AdvertiseAddr, fc.AdvertiseAddr)
	set(&c.Datacenter, fc.Datacenter)
	set(&c.NodeClass, fc.NodeClass)
	if fc.Ports != nil && fc.Ports.Gossip != nil {
		c.GossipPort = *fc.Ports.Gossip
	}
	if fc.Join != nil {
		c.Join = fc.Join
	}
	if fc.Servers != nil {
		c.Servers = fc.Servers
	}
	if fc.Taints != nil {
		c.Taints = fc.Taints
	}
	if fc.Meta != nil {
		c.Meta = fc.Meta
	}
	if fc.NodeLabels != nil {
		c.Labels = fc.NodeLabels
	}
	return nil
}
