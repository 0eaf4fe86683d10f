// Package consensus wires hashicorp/raft for Barque: raft-boltdb log and
// stable stores, file snapshots, the TCP transport, bootstrap and membership
// changes, leadership notification, and Propose, which coalesces concurrent
// writes into batched log entries and returns once the local FSM applied them.
package consensus

import (
	"cmp"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Config configures one Raft replica.
type Config struct {
	ID        string // stable server ID
	DataDir   string // raft/ under it holds the log, stable store and snapshots
	BindAddr  string // host:port the Raft transport listens on (port 0 = any)
	Advertise string // host:port peers dial; defaults to the bound address

	// Multiplier scales every Raft timer; 1 suits a LAN, larger values suit
	// slow or loaded machines (as Nomad's and Consul's raft_multiplier).
	Multiplier int

	// HistorySize is how many watch events the store retains.
	HistorySize int

	// SnapshotThreshold and TrailingLogs tune log compaction.
	SnapshotThreshold uint64
	TrailingLogs      uint64

	// ApplyTimeout bounds how long a proposal waits to enter the log.
	ApplyTimeout time.Duration

	// GroupCommitDelay is how long the leader holds the next log entry open
	// for more writes once the previous entry carried groupCommitMinOps or
	// more (0: never). Under load every entry then carries more writes, so
	// the per-entry work (an fsync and a bolt commit on every replica, one
	// AppendEntries per follower, one FSM transaction) is shared by more of
	// them; a lone writer never waits.
	GroupCommitDelay time.Duration

	// LogStore is where the Raft log lives: LogStoreBoltDB ("" too) or
	// LogStoreWAL (logstore.go). A data dir keeps the store it was
	// created with.
	LogStore string

	// walSegmentSize overrides raft-wal's segment size (64 MiB) when set.
	// The WAL drops compacted entries only with whole segments, so tests
	// set it small to make a snapshot truncate the log for real.
	walSegmentSize int

	Logger hclog.Logger
}

// Base timings at multiplier 1, for a LAN. Followers notice a dead leader
// between HeartbeatTimeout and twice that, which bounds failover.
const (
	baseHeartbeat   = 300 * time.Millisecond
	baseElection    = 300 * time.Millisecond
	baseLeaderLease = 150 * time.Millisecond
)

// DefaultConfig returns LAN settings.
func DefaultConfig() Config {
	return Config{
		Multiplier:        1,
		SnapshotThreshold: 16384,
		TrailingLogs:      10240,
		ApplyTimeout:      10 * time.Second,
	}
}

func (c *Config) raftConfig() *raft.Config {
	m := c.Multiplier
	if m < 1 {
		m = 1
	}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.ID)
	rc.HeartbeatTimeout = baseHeartbeat * time.Duration(m)
	rc.ElectionTimeout = baseElection * time.Duration(m)
	rc.LeaderLeaseTimeout = baseLeaderLease * time.Duration(m)
	rc.CommitTimeout = 5 * time.Millisecond
	rc.MaxAppendEntries = 256
	rc.BatchApplyCh = true
	rc.SnapshotInterval = 30 * time.Second
	// Zero is DefaultConfig's value, not hashicorp/raft's (8192 entries):
	// a log entry carries a whole batch of writes, and each snapshot
	// encodes the whole state on every replica.
	def := DefaultConfig()
	rc.SnapshotThreshold = cmp.Or(c.SnapshotThreshold, def.SnapshotThreshold)
	rc.TrailingLogs = cmp.Or(c.TrailingLogs, def.TrailingLogs)
	rc.Logger = c.Logger.Named("raft")
	return rc
}
