package consensus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestWALLogStoreKeepsWritesAcrossRestart: a cluster whose logs live in
// raft-wal commits writes, every replica stops and starts again on its data
// dir, and the writes are all there: two replicas from a snapshot and the
// WAL's tail after it, compacted at its head, one from its whole WAL.
func TestWALLogStoreKeepsWritesAcrossRestart(t *testing.T) {
	cfgs := map[string]Config{}
	nodes, leader := startTrioWith(t, func(c *Config) {
		c.LogStore, c.TrailingLogs = LogStoreWAL, 64
		cfgs[c.ID] = *c
	})
	var index uint64
	for i := range 150 {
		index = proposeOK(t, leader, namespaceOps(fmt.Sprintf("wal%d", i), 2))
	}
	waitAllApplied(t, nodes, index)
	// Snapshots compact the WAL from its head (TrailingLogs 64): the
	// restart then replays the rest over the snapshot.
	for _, n := range nodes[:2] {
		if err := n.raft.Snapshot().Error(); err != nil {
			t.Fatalf("snapshot on %s: %v", n.cfg.ID, err)
		}
	}
	for _, n := range nodes {
		if err := n.close(); err != nil {
			t.Fatal(err)
		}
	}
	restarted := make([]*Node, len(nodes))
	for i, n := range nodes {
		cfg := cfgs[n.cfg.ID]
		cfg.BindAddr = n.Addr() // the same address: peers know it
		var err error
		for attempt := 0; attempt < 50; attempt++ {
			if restarted[i], err = New(cfg); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond) // the port may linger briefly
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = restarted[i].close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, n := range restarted {
		if err := n.Store().WaitForIndex(ctx, index); err != nil {
			t.Fatalf("%s after the restart: %v", n.cfg.ID, err)
		}
		for _, name := range []string{"wal0-0", "wal77-1", "wal149-1"} {
			if obj, _ := n.Store().Get("Namespace", "", name); obj == nil {
				t.Fatalf("%s lost namespace %s across the restart", n.cfg.ID, name)
			}
		}
	}
}

// TestLogStoreOfADataDirIsKept: a replica whose log is in bolt refuses to
// start with the WAL (it would find an empty log beside its term and
// snapshots), naming the setting, and starts again with bolt.
func TestLogStoreOfADataDirIsKept(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ID, cfg.DataDir, cfg.BindAddr = "solo", t.TempDir(), "127.0.0.1:0"
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.close(); err != nil {
		t.Fatal(err)
	}
	cfg.LogStore = LogStoreWAL
	if n, err := New(cfg); err == nil || !strings.Contains(err.Error(), `raft_log_store: Invalid value: "wal"`) {
		if n != nil {
			n.close()
		}
		t.Fatalf("a bolt data dir opened with the WAL: %v", err)
	}
	cfg.LogStore = LogStoreBoltDB
	n, err = New(cfg)
	if err != nil {
		t.Fatalf("the bolt data dir with bolt again: %v", err)
	}
	n.close()
}
