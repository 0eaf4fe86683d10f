package server

import (
	"strings"
	"testing"
)

// Settings that would make every few entries a snapshot of the whole state
// are refused, naming the setting; zero means the default.
func TestConfigRaftLogSettings(t *testing.T) {
	base := DefaultConfig()
	base.DataDir = t.TempDir()
	for _, c := range []struct {
		name      string
		threshold int
		trailing  int
		wantErr   string
	}{
		{"defaults", base.RaftSnapshotThreshold, base.RaftTrailingLogs, ""},
		{"zero is the default", 0, 0, ""},
		{"threshold too small", 10, 10240, "raft_snapshot_threshold"},
		{"trailing too small", 16384, -1, "raft_trailing_logs"},
	} {
		cfg := base
		cfg.RaftSnapshotThreshold, cfg.RaftTrailingLogs = c.threshold, c.trailing
		err := cfg.validate()
		if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s: %v, want error naming %q", c.name, err, c.wantErr)
		}
	}
}

// An unknown Raft log store is refused, naming the setting and the choices.
func TestConfigRaftLogStore(t *testing.T) {
	for _, c := range []struct{ store, wantErr string }{
		{"", ""}, {"boltdb", ""}, {"wal", ""}, {"rocksdb", `raft_log_store: Unsupported value: "rocksdb"`},
	} {
		cfg := DefaultConfig()
		cfg.DataDir = t.TempDir()
		cfg.RaftLogStore = c.store
		err := cfg.validate()
		if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%q: %v, want error %q", c.store, err, c.wantErr)
		}
	}
}
