package consensus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// startTrio starts a three-replica Raft group on loopback and returns its
// nodes and the leader.
func startTrio(t *testing.T) ([]*Node, *Node) { return startTrioWith(t, func(*Config) {}) }

// startTrioWith is startTrio with each replica's config adjusted by set.
func startTrioWith(t *testing.T, set func(*Config)) ([]*Node, *Node) {
	t.Helper()
	nodes := make([]*Node, 3)
	servers := make([]raft.Server, 3)
	for i := range nodes {
		cfg := DefaultConfig()
		cfg.ID, cfg.DataDir, cfg.BindAddr = fmt.Sprintf("n%d", i+1), t.TempDir(), "127.0.0.1:0"
		set(&cfg)
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Shutdown(false) })
		nodes[i] = n
		servers[i] = raft.Server{ID: raft.ServerID(cfg.ID), Address: raft.ServerAddress(n.Addr()), Suffrage: raft.Voter}
	}
	if err := nodes[0].Bootstrap(servers); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, n := range nodes {
			if n.IsLeader() {
				waitAllApplied(t, nodes, proposeOK(t, n, namespaceOps("trio-ready", 1)))
				return nodes, n
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no leader within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAllApplied waits until every node applied index: then each holds the
// cluster's configuration too (a follower that has not received it yet
// would refuse to stand for election).
func waitAllApplied(t *testing.T, nodes []*Node, index uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range nodes {
		if err := n.Store().WaitForIndex(ctx, index); err != nil {
			t.Fatalf("%s never applied index %d: %v", n.cfg.ID, index, err)
		}
	}
}

// TestIdleLeaderSendsOnlyHeartbeats checks the patched replication loop
// (third_party/raft, followerCurrent): once the followers hold every entry
// and know the commit index, the leader stops sending them an
// AppendEntries every CommitTimeout, yet a follower still learns that the
// last write of a burst committed without any later write.
func TestIdleLeaderSendsOnlyHeartbeats(t *testing.T) {
	nodes, leader := startTrio(t)
	var index uint64
	for i := range 5 {
		index = proposeOK(t, leader, namespaceOps(fmt.Sprintf("idle%d", i), 1))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, n := range nodes {
		if err := n.Store().WaitForIndex(ctx, index); err != nil {
			t.Fatalf("%s never applied the last write (index %d): %v", n.cfg.ID, index, err)
		}
	}

	// Heartbeats go every 30-60 ms to each of two followers (~45 writes a
	// second); upstream's CommitTimeout sends (5-10 ms) added ~270 more.
	time.Sleep(200 * time.Millisecond)
	before := leader.stream.sent.Load()
	const window = 2 * time.Second
	time.Sleep(window)
	perSecond := float64(leader.stream.sent.Load()-before) / window.Seconds()
	t.Logf("idle leader: %.0f writes/s to its followers", perSecond)
	if perSecond > 100 {
		t.Fatalf("idle leader wrote %.0f times a second to its followers; heartbeats alone are ~45", perSecond)
	}
}

// TestRestartedFollowerCatchesUpWhileIdle: a follower that acknowledged
// every entry and is then restarted knows no commit index (it is not
// stored). The idle leader, which skips the sends that would tell a
// current follower nothing (third_party/raft/PATCHED.md, second change),
// must still tell it: without a later write, its store reaches the
// leader's index.
func TestRestartedFollowerCatchesUpWhileIdle(t *testing.T) {
	cfgs := map[string]Config{}
	nodes, leader := startTrioWith(t, func(c *Config) { cfgs[c.ID] = *c })
	var index uint64
	for i := range 20 {
		index = proposeOK(t, leader, namespaceOps(fmt.Sprintf("idle%d", i), 1))
	}
	waitAllApplied(t, nodes, index)
	var follower *Node
	for _, n := range nodes {
		if n != leader {
			follower = n
			break
		}
	}
	// Let the leader see the follower current (its CommitTimeout sends
	// stop) before the restart.
	time.Sleep(100 * time.Millisecond)
	again := restartNode(t, follower, cfgs[follower.cfg.ID])
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := again.Store().WaitForIndex(ctx, index); err != nil {
		t.Fatalf("the restarted follower applied up to %d of %d with the leader idle: %v", again.Store().Index(), index, err)
	}
}
