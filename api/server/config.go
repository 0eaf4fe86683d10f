// Package server is one Barque control-plane replica: it owns the Raft
// replica (consensus + fsm), joins the gossip pool, bootstraps the cluster
// with its peers, and serves the HTTP API (REST, watch, operator verbs,
// health and metrics). Writes on a follower are forwarded to the leader;
// reads are linearizable unless the client asks for a stale read.
package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/barque-io/barque/consensus"
	"github.com/hashicorp/go-hclog"
)

// Default ports: three servers on 127.0.0.11, .12 and .13 need no port flags.
const (
	DefaultHTTPPort   = 7080
	DefaultRaftPort   = 7081
	DefaultGossipPort = 7082
)

// Config configures one replica. Zero ports mean the defaults; a negative
// port asks the OS for a free one (tests).
type Config struct {
	Name            string   // human name; also the gossip member name
	DataDir         string   // Raft log, snapshots and the node ID live here
	BindAddr        string   // address every listener uses
	AdvertiseAddr   string   // address peers and clients are told (default BindAddr)
	HTTPPort        int      // API
	RaftPort        int      // Raft transport
	GossipPort      int      // memberlist
	BootstrapExpect int      // bootstrap once this many servers are seen
	Join            []string // gossip addresses of any existing members
	Datacenter      string
	RaftMultiplier  int
	// GroupCommitDelay is how long the leader holds a log entry open for
	// more writes while writes are arriving steadily (0: never; see
	// consensus.Config).
	GroupCommitDelay time.Duration
	// RaftSnapshotThreshold is how many log entries, applied since the last
	// snapshot, make a replica snapshot its state and compact its log;
	// RaftTrailingLogs is how many entries the compaction keeps, so that a
	// follower a little behind catches up from the log rather than from a
	// snapshot (Nomad's raft_snapshot_threshold and raft_trailing_logs).
	// Zero: consensus.DefaultConfig's.
	RaftSnapshotThreshold int
	RaftTrailingLogs      int
	// RaftLogStore is where the Raft log lives: "boltdb" (default,
	// raft-boltdb) or "wal" (hashicorp/raft-wal). A replica keeps the store
	// its data dir was created with (consensus/logstore.go).
	RaftLogStore string
	HistorySize  int // watch events retained
	// FastGossip shortens gossip failure detection (loopback clusters, tests).
	FastGossip bool
	// MemoryLimit is a fixed soft limit for the Go heap ("300Mi", "1Gi"):
	// below it the GC runs as usual (GOGC=100, RSS up to about twice the
	// live heap); near it the GC works harder to stay under it. "" = the
	// limit is derived from the live heap (see gctarget.go), unless GOGC or
	// GOMEMLIMIT is set in the environment.
	MemoryLimit string
	// NodeGrace is how long a node may miss heartbeats before the leader
	// marks it lost (0 = 10 s).
	NodeGrace time.Duration
	// DisabledControllers names leader-only loops not to start:
	// "scheduler", "nodelifecycle", "replicaset", "deployment", "job",
	// "cronjob", "daemonset", "statefulset", "gc" (tests that drive a
	// controller themselves).
	DisabledControllers []string
	// EnableDebug serves Go's profiler under /debug/pprof/.
	EnableDebug bool
	// ShutdownTransfer hands leadership away on a graceful shutdown.
	ShutdownTransfer bool
	Logger           hclog.Logger
}

// DefaultGroupCommitDelay suits a LAN and an SSD: it is about one commit
// round on loopback, and doubling it lost throughput in cpbench.
const DefaultGroupCommitDelay = time.Millisecond

// DefaultConfig returns the settings of a lone replica on loopback.
func DefaultConfig() Config {
	return Config{
		BindAddr: "127.0.0.1", HTTPPort: DefaultHTTPPort, RaftPort: DefaultRaftPort, GossipPort: DefaultGossipPort,
		BootstrapExpect: 1, Datacenter: "dc1", RaftMultiplier: 1, ShutdownTransfer: true,
		GroupCommitDelay:      DefaultGroupCommitDelay,
		RaftSnapshotThreshold: int(consensus.DefaultConfig().SnapshotThreshold),
		RaftTrailingLogs:      int(consensus.DefaultConfig().TrailingLogs),
	}
}

// minRaftLogSetting bounds raft_snapshot_threshold and raft_trailing_logs
// from below: a snapshot of the whole state every few entries would cost
// more than the writes it follows.
const minRaftLogSetting = 64

func (c *Config) validate() error {
	if c.DataDir == "" {
		return errors.New("data_dir is required")
	}
	if c.BindAddr == "" {
		return errors.New("bind_addr is required")
	}
	if c.BootstrapExpect < 0 || c.BootstrapExpect == 2 || c.BootstrapExpect > 7 {
		return errors.New("bootstrap_expect must be 0 (join an existing cluster), 1, 3, 5 or 7")
	}
	if c.GroupCommitDelay < 0 || c.GroupCommitDelay > time.Second {
		return fmt.Errorf("group_commit_delay: Invalid value: %q: must be from 0s to 1s", c.GroupCommitDelay)
	}
	if !consensus.ValidLogStore(c.RaftLogStore) {
		return fmt.Errorf("raft_log_store: Unsupported value: %q: supported values: \"boltdb\", \"wal\"", c.RaftLogStore)
	}
	if c.RaftSnapshotThreshold != 0 && c.RaftSnapshotThreshold < minRaftLogSetting {
		return fmt.Errorf("raft_snapshot_threshold: Invalid value: %d: must be at least %d", c.RaftSnapshotThreshold, minRaftLogSetting)
	}
	if c.RaftTrailingLogs != 0 && c.RaftTrailingLogs < minRaftLogSetting {
		return fmt.Errorf("raft_trailing_logs: Invalid value: %d: must be at least %d", c.RaftTrailingLogs, minRaftLogSetting)
	}
	return nil
}

// port resolves a configured port: 0 is the default, negative is "any".
func port(p, def int) int {
	switch {
	case p == 0:
		return def
	case p < 0:
		return 0
	}
	return p
}

const (
	requestTimeout = 30 * time.Second
	maxBodyBytes   = 3 << 20 // bodies over this are refused before decoding
)
