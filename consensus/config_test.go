package consensus

import (
	"testing"

	"github.com/hashicorp/go-hclog"
)

// Unset log compaction settings are DefaultConfig's, not hashicorp/raft's
// (8192 entries): before, a server that did not start from DefaultConfig
// snapshotted its whole state twice as often as documented.
func TestRaftConfigLogCompaction(t *testing.T) {
	def := DefaultConfig()
	for _, c := range []struct {
		name                string
		in                  Config
		threshold, trailing uint64
	}{
		{"unset", Config{}, def.SnapshotThreshold, def.TrailingLogs},
		{"set", Config{SnapshotThreshold: 5000, TrailingLogs: 700}, 5000, 700},
	} {
		c.in.Logger = hclog.NewNullLogger()
		rc := c.in.raftConfig()
		if rc.SnapshotThreshold != c.threshold || rc.TrailingLogs != c.trailing {
			t.Errorf("%s: snapshot threshold %d, trailing logs %d; want %d, %d", c.name, rc.SnapshotThreshold, rc.TrailingLogs, c.threshold, c.trailing)
		}
	}
	if def.SnapshotThreshold != 16384 {
		t.Errorf("default snapshot threshold %d: docs/CLI.md says 16384", def.SnapshotThreshold)
	}
}
