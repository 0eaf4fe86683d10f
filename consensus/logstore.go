package consensus

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// Log stores. The Raft log lives in raft-boltdb (raft.db, the default) or
// in hashicorp/raft-wal (raft/wal/), chosen by Config.LogStore; the stable
// store (term, vote) is raft.db's either way. raft-wal appends each batch
// of entries to a segment file with one write and one fsync, where a bolt
// commit writes 4-5 scattered pages and its meta page before its fsync:
// on cpbench's machine 11 % more creates a second at 64 clients and 20 %
// at one (docs/BENCHMARKS.md). Consul offers the same choice.
const (
	LogStoreBoltDB = "boltdb"
	LogStoreWAL    = "wal"
)

// logStoreMarker records in the data dir which store holds the log: a
// replica restarted with the other one would find an empty log beside its
// snapshots and term, and lose the committed entries after the snapshot.
const logStoreMarker = "log-store"

// ValidLogStore reports whether name is a log store (empty: the default).
func ValidLogStore(name string) bool {
	return name == "" || name == LogStoreBoltDB || name == LogStoreWAL
}

// checkLogStore compares the configured store with the one the data dir
// was created with, and records it on a new data dir. A data dir from
// before the marker holds a bolt log.
func checkLogStore(dir, want string) error {
	path := filepath.Join(dir, logStoreMarker)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		have := strings.TrimSpace(string(b))
		if have != want {
			return fmt.Errorf("raft_log_store: Invalid value: %q: this replica's log is in %q (%s); start it with raft_log_store = %q, or remove it from the cluster, empty its data dir and let it join again", want, have, dir, have)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("consensus: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "raft.db")); err == nil && want != LogStoreBoltDB {
		return fmt.Errorf("raft_log_store: Invalid value: %q: this replica's log is in %q (%s, written before the choice existed); start it with raft_log_store = %q", want, LogStoreBoltDB, dir, LogStoreBoltDB)
	}
	if err := os.WriteFile(path, []byte(want+"\n"), 0o600); err != nil {
		return fmt.Errorf("consensus: %w", err)
	}
	return nil
}

// openLogBacking returns the store the log lives in, and what to close
// with it (nil when it is bolt, which the node closes anyway).
func openLogBacking(dir, name string, bolt raft.LogStore) (raft.LogStore, io.Closer, error) {
	if name != LogStoreWAL {
		return bolt, nil, nil
	}
	wdir := filepath.Join(dir, "wal")
	if err := os.MkdirAll(wdir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("consensus: %w", err)
	}
	// The WAL's own Close leaves its metadata database open (a process
	// that stops frees it): pass one in, and close both.
	meta := &metadb.BoltMetaDB{}
	w, err := wal.Open(wdir, wal.WithMetaStore(meta))
	if err != nil {
		meta.Close()
		return nil, nil, fmt.Errorf("consensus: open the WAL log store: %w", err)
	}
	return w, walCloser{w, meta}, nil
}

type walCloser struct {
	w    *wal.WAL
	meta *metadb.BoltMetaDB
}

func (c walCloser) Close() error {
	return errors.Join(c.w.Close(), c.meta.Close())
}
