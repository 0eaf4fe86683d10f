// Package robustness holds failure-injection tests for the control plane:
// leader kills under load, whole-cluster restarts, snapshot save and
// restore, watch continuity across failures, and a linearizability check of
// reads, writes and compare-and-swap with porcupine. Everything runs against
// the in-process harness (internal/cluster) over real HTTP. The tests of
// leader kills, restarts, snapshots and linearizability run once on each
// Raft log store (raft-boltdb, the default, and raft_log_store = "wal").
package robustness
