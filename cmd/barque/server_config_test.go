package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api/server"
)

func parseServerArgs(t *testing.T, file string, args ...string) (server.Config, error) {
	t.Helper()
	dir := t.TempDir()
	if file != "" {
		path := filepath.Join(dir, "server.hcl")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"-config", path}, args...)
	}
	return newServerFlags().parse(append([]string{"-data-dir", dir}, args...))
}

// The group commit delay comes from the default, then the file, then the
// flag; a bad value is refused naming the setting.
func TestServerGroupCommitDelay(t *testing.T) {
	for _, c := range []struct {
		name, file string
		args       []string
		want       time.Duration
	}{
		{name: "default", want: server.DefaultGroupCommitDelay},
		{name: "file", file: `group_commit_delay = "3ms"`, want: 3 * time.Millisecond},
		{name: "flag over file", file: `group_commit_delay = "3ms"`, args: []string{"-group-commit-delay", "0"}, want: 0},
	} {
		cfg, err := parseServerArgs(t, c.file, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.GroupCommitDelay != c.want {
			t.Errorf("%s: group commit delay %v, want %v", c.name, cfg.GroupCommitDelay, c.want)
		}
	}
	for _, bad := range []string{`"soon"`, `"-1ms"`, `"2s"`} {
		_, err := parseServerArgs(t, "group_commit_delay = "+bad)
		if err == nil || !strings.Contains(err.Error(), "group_commit_delay") {
			t.Errorf("group_commit_delay = %s: error %v, want one naming group_commit_delay", bad, err)
		}
	}
}

// Log compaction settings come from the default, then the file, then the
// flag (Nomad's raft_snapshot_threshold and raft_trailing_logs).
func TestServerRaftLogSettings(t *testing.T) {
	for _, c := range []struct {
		name, file          string
		args                []string
		threshold, trailing int
	}{
		{name: "default", threshold: 16384, trailing: 10240},
		{name: "file", file: "raft_snapshot_threshold = 50000\nraft_trailing_logs = 20000", threshold: 50000, trailing: 20000},
		{name: "flag over file", file: "raft_snapshot_threshold = 50000", args: []string{"-raft-snapshot-threshold", "4096", "-raft-trailing-logs", "2048"}, threshold: 4096, trailing: 2048},
	} {
		cfg, err := parseServerArgs(t, c.file, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.RaftSnapshotThreshold != c.threshold || cfg.RaftTrailingLogs != c.trailing {
			t.Errorf("%s: snapshot threshold %d, trailing logs %d; want %d, %d", c.name, cfg.RaftSnapshotThreshold, cfg.RaftTrailingLogs, c.threshold, c.trailing)
		}
	}
}

// The Raft log store comes from the default, then the file, then the flag.
func TestServerRaftLogStore(t *testing.T) {
	for _, c := range []struct {
		name, file string
		args       []string
		want       string
	}{
		{name: "default", want: ""},
		{name: "file", file: `raft_log_store = "wal"`, want: "wal"},
		{name: "flag over file", file: `raft_log_store = "wal"`, args: []string{"-raft-log-store", "boltdb"}, want: "boltdb"},
	} {
		cfg, err := parseServerArgs(t, c.file, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.RaftLogStore != c.want {
			t.Errorf("%s: raft log store %q, want %q", c.name, cfg.RaftLogStore, c.want)
		}
	}
}

// A server given -join but no bootstrap_expect joins an existing cluster
// (expect 0) instead of bootstrapping one of its own (the lone server's
// default, 1): servers started together that way each formed a cluster and
// ended with different objects at the same resourceVersions. -join may be
// repeated, as with Nomad and Consul.
func TestServerJoinAndBootstrapExpect(t *testing.T) {
	for _, c := range []struct {
		name, file string
		args       []string
		expect     int
		join       []string
	}{
		{name: "lone server", expect: 1},
		{name: "join without expect", args: []string{"-join", "10.0.0.1"}, expect: 0, join: []string{"10.0.0.1"}},
		{name: "join with expect", args: []string{"-join", "10.0.0.1", "-bootstrap-expect", "3"}, expect: 3, join: []string{"10.0.0.1"}},
		{name: "join with expect 1 said", args: []string{"-bootstrap-expect", "1", "-join", "10.0.0.1"}, expect: 1, join: []string{"10.0.0.1"}},
		{name: "repeated join", args: []string{"-join", "10.0.0.1", "-join", "10.0.0.2:7082,10.0.0.3"}, expect: 0,
			join: []string{"10.0.0.1", "10.0.0.2:7082", "10.0.0.3"}},
		{name: "file join without expect", file: `join = ["10.0.0.1"]`, expect: 0, join: []string{"10.0.0.1"}},
		{name: "file join and expect", file: "join = [\"10.0.0.1\"]\nbootstrap_expect = 3", expect: 3, join: []string{"10.0.0.1"}},
		{name: "file expect, flag join", file: `bootstrap_expect = 3`, args: []string{"-join", "10.0.0.1"}, expect: 3, join: []string{"10.0.0.1"}},
	} {
		cfg, err := parseServerArgs(t, c.file, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.BootstrapExpect != c.expect || strings.Join(cfg.Join, " ") != strings.Join(c.join, " ") {
			t.Errorf("%s: bootstrap_expect %d join %q, want %d %q", c.name, cfg.BootstrapExpect, cfg.Join, c.expect, c.join)
		}
	}
}
