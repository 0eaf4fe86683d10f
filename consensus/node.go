package consensus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/internal/netutil"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// Node is one Raft replica with its FSM.
type Node struct {
	cfg       Config
	logger    hclog.Logger
	fsm       *fsm.FSM
	raft      *raft.Raft
	stream    *streamLayer
	transport *raft.NetworkTransport
	logStore  *raftboltdb.BoltStore
	stable    *closingStable
	logs      raft.LogStore // the cached log store raft reads
	walCloser io.Closer     // the WAL log store, when Config.LogStore is "wal"
	snaps     *raft.FileSnapshotStore
	leaderCh  chan bool
	proposer  *proposer
	raftDown  chan struct{} // closed once raft has shut down (applyError)
	probe     *leaderProbe  // leaderprobe.go

	closeOnce sync.Once
}

// New opens (or creates) the replica's data and starts Raft. A replica with
// existing state rejoins its cluster; a fresh one waits for Bootstrap or for
// a leader to add it.
func New(cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.ID == "" {
		return nil, errors.New("consensus: ID is required")
	}
	dir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("consensus: %w", err)
	}
	n := &Node{cfg: cfg, logger: cfg.Logger.Named("consensus"), fsm: fsm.New(cfg.HistorySize), leaderCh: make(chan bool, 1),
		probe: newLeaderProbe(cfg.Logger.Named("leader-probe"))}
	if err := n.openTransport(); err != nil {
		return nil, err
	}
	if err := n.openRaft(dir); err != nil {
		n.transport.Close()
		return nil, err
	}
	n.raftDown = make(chan struct{})
	n.proposer = newProposer(n)
	return n, nil
}

func (n *Node) openTransport() error {
	l, err := netutil.Listen(n.cfg.BindAddr)
	if err != nil {
		return fmt.Errorf("consensus: raft transport: %w", err)
	}
	adv := n.cfg.Advertise
	if adv == "" {
		adv = l.Addr().String()
	}
	advAddr, err := net.ResolveTCPAddr("tcp", adv)
	if err != nil {
		l.Close()
		return fmt.Errorf("consensus: advertise address %q: %w", adv, err)
	}
	if advAddr.Port == 0 {
		advAddr.Port = netutil.PortOf(l)
	}
	n.stream = &streamLayer{Listener: l, advertise: advAddr, inboundLost: n.probe.connLost}
	n.transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: n.stream, MaxPool: 3, Timeout: 5 * time.Second,
		Logger: n.cfg.Logger.Named("raft-net"),
	})
	return nil
}

// openLogStore opens the Raft log and stable store. The freelist is
// rebuilt on open instead of written with every commit (as etcd runs
// bbolt): fewer pages per fsync on the write path.
func openLogStore(path string) (*raftboltdb.BoltStore, error) {
	return raftboltdb.New(raftboltdb.Options{
		Path:        path,
		BoltOptions: &bbolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType},
	})
}

func (n *Node) openRaft(dir string) error {
	kind := cmp.Or(n.cfg.LogStore, LogStoreBoltDB)
	store, err := openLogStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return fmt.Errorf("consensus: open log store: %w", err)
	}
	if err := resolveLogStore(dir, kind, store); err != nil {
		store.Close()
		return err
	}
	backing, walCloser, err := openLogBacking(dir, kind, store, n.cfg.walSegmentSize)
	if err != nil {
		store.Close()
		return err
	}
	closeStores := func() {
		if walCloser != nil {
			walCloser.Close()
		}
		store.Close()
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, n.cfg.Logger.Named("snapshots"))
	if err != nil {
		closeStores()
		return fmt.Errorf("consensus: open snapshot store: %w", err)
	}
	logs := newLogCache(logCacheEntries, logCacheBytes, backing)
	rc := n.cfg.raftConfig()
	rc.NotifyCh = n.leaderCh
	n.stable = &closingStable{StableStore: store}
	r, err := raft.NewRaft(rc, &raftFSM{f: n.fsm}, logs, n.stable, snaps, n.transport)
	if err != nil {
		closeStores()
		return fmt.Errorf("consensus: start raft: %w", err)
	}
	n.raft, n.logStore, n.snaps, n.logs, n.walCloser = r, store, snaps, logs, walCloser
	n.probe.raft.Store(r)
	if err := writeLogStoreMarker(dir, kind); err != nil {
		n.logger.Warn("recording the log store in the data dir failed; its contents still tell", "error", err)
	}
	return nil
}

// HasState reports whether this replica already belongs to a cluster (it has
// a log, a snapshot or a configuration), so it must not bootstrap again.
func (n *Node) HasState() bool {
	f := n.raft.GetConfiguration()
	if f.Error() == nil && len(f.Configuration().Servers) > 0 {
		return true
	}
	return n.raft.LastIndex() > 0
}

// Bootstrap writes the initial configuration. Every server of the first
// cluster calls it with the same list.
func (n *Node) Bootstrap(servers []raft.Server) error {
	err := n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if errors.Is(err, raft.ErrCantBootstrap) {
		return nil
	}
	return err
}

// ID is this replica's server ID; Addr is the address peers dial.
func (n *Node) ID() string   { return n.cfg.ID }
func (n *Node) Addr() string { return n.stream.Addr().String() }

// Store is the replicated object store.
func (n *Node) Store() *state.Store { return n.fsm.Store() }

// FSM is the state machine (for snapshots in tests).
func (n *Node) FSM() *fsm.FSM { return n.fsm }

// Raft exposes the underlying raft for stats and operator verbs.
func (n *Node) Raft() *raft.Raft { return n.raft }

// LeaderCh delivers true when this replica becomes leader and false when it
// stops being leader. It has one consumer.
func (n *Node) LeaderCh() <-chan bool { return n.leaderCh }

// IsLeader reports whether this replica believes it leads.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the current leader's ID and Raft address, if known.
func (n *Node) Leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// Barrier waits until every entry committed before it is applied locally.
// A new leader runs it before serving reads or starting controllers.
func (n *Node) Barrier(ctx context.Context) error {
	return n.wait(ctx, n.raft.Barrier(timeoutOf(ctx, n.cfg.ApplyTimeout)))
}

// ReadIndex is Raft's read index, in the store's terms: the index of the
// last command entry committed when it is called. A linearizable read must
// wait until the local store has applied it (the leader's own FSM may lag
// behind its commit index, and followers may even apply an entry before
// the leader does). Call it before VerifyLeader, as the protocol requires.
func (n *Node) ReadIndex() (uint64, error) {
	commit := n.raft.CommitIndex()
	applied := n.fsm.Store().Index()
	for i := commit; i > applied; i-- {
		var l raft.Log
		if err := n.logs.GetLog(i, &l); err != nil {
			return 0, api.Unavailable(fmt.Sprintf("reading log entry %d for a read index: %v", i, err))
		}
		if l.Type == raft.LogCommand {
			return i, nil
		}
	}
	return applied, nil
}

// VerifyLeader confirms, with a round of heartbeats, that this replica still
// leads: the basis of linearizable reads.
func (n *Node) VerifyLeader(ctx context.Context) error {
	return n.wait(ctx, n.raft.VerifyLeader())
}

func (n *Node) wait(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return translate(err)
	case <-ctx.Done():
		return api.Timeout(ctx.Err().Error())
	}
}

func timeoutOf(ctx context.Context, def time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return def
}

// translate maps raft errors to Status errors the API reports: 503 when it
// is certain nothing was applied, 504 when the outcome is unknown.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return api.Unavailable("this server is not the leader")
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return api.Unavailable("timed out waiting to enter the log")
	case errors.Is(err, raft.ErrRaftShutdown):
		return api.Unavailable("this server is shutting down")
	case errors.Is(err, raft.ErrLeadershipLost):
		return api.Timeout("leadership lost while the write was in flight; it may or may not have been applied")
	}
	return api.Internal(err)
}

// SetFilter installs a partition filter on the Raft transport (tests).
func (n *Node) SetFilter(f Filter) { n.stream.setFilter(f) }

// Shutdown stops Raft. When transfer is true and this replica leads, it first
// hands leadership to a follower so the cluster does not wait for an election.
func (n *Node) Shutdown(transfer bool) error {
	if transfer && n.IsLeader() {
		if err := n.raft.LeadershipTransfer().Error(); err != nil {
			n.logger.Warn("leadership transfer before shutdown failed", "error", err)
		}
	}
	return n.close()
}

func (n *Node) close() error {
	var err error
	n.closeOnce.Do(func() {
		n.proposer.stop()
		err = n.raft.Shutdown().Error()
		close(n.raftDown)
		n.transport.Close()
		n.stream.closeAll()
		n.stable.close()
		if n.walCloser != nil {
			if cerr := n.walCloser.Close(); err == nil {
				err = cerr
			}
		}
		if cerr := n.logStore.Close(); err == nil {
			err = cerr
		}
	})
	return err
}

// applyError waits for an Apply future. hashicorp/raft answers every entry
// it dispatched when it shuts down (ErrLeadershipLost), but not one still
// in its apply queue, whose future would then never be answered, and the
// writers behind it would wait out their deadlines to hear "may have been
// applied". Once raft is down, such an entry was never appended: it is
// ErrRaftShutdown (a 503). The goroutine left waiting on that future ends
// with the process.
func (n *Node) applyError(f raft.ApplyFuture) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-n.raftDown:
		// A dispatched entry's future was answered before raft finished
		// shutting down; give its waiter a moment to hand the answer over.
		t := time.NewTimer(200 * time.Millisecond)
		defer t.Stop()
		select {
		case err := <-done:
			return err
		case <-t.C:
			return raft.ErrRaftShutdown
		}
	}
}
