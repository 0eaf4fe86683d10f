package consensus

import (
	"cmp"
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

// A replica restarted with the other store would find an empty log beside
// its snapshots and term, and lose the committed entries after the
// snapshot. So the data dir records its store (logStoreMarker), and the
// record is checked against what the dir holds (logStoreOnDisk): a WAL
// directory, or entries in raft.db's log.
const (
	logStoreMarker = "log-store"
	walDir         = "wal"
	walMetaFile    = "wal-meta.db"
)

// ValidLogStore reports whether name is a log store (empty: the default).
func ValidLogStore(name string) bool {
	return name == "" || name == LogStoreBoltDB || name == LogStoreWAL
}

// resolveLogStore returns the error that refuses want for the data dir
// dir, whose bolt store is open; nil when want may be used.
func resolveLogStore(dir, want string, bolt raft.LogStore) error {
	marked := readLogStoreMarker(dir)
	onDisk, err := logStoreOnDisk(dir, bolt)
	if err != nil {
		return err
	}
	switch {
	case marked != "" && onDisk != "" && marked != onDisk:
		return fmt.Errorf("raft_log_store: the data dir %s is marked %q but holds a %q log; refusing to start: repair the marker, or remove this replica from the cluster, empty its data dir and let it join again", dir, marked, onDisk)
	case marked == "":
		marked = onDisk
	}
	if marked != "" && marked != want {
		return fmt.Errorf("raft_log_store: Invalid value: %q: this replica's log is in %q (%s); start it with raft_log_store = %q, or remove it from the cluster, empty its data dir and let it join again", want, marked, dir, marked)
	}
	return nil
}

// readLogStoreMarker returns the recorded store, "" when there is none
// (or it is unreadable or unknown: then the dir's contents decide).
func readLogStoreMarker(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, logStoreMarker))
	if err != nil {
		return ""
	}
	if s := strings.TrimSpace(string(b)); s == LogStoreBoltDB || s == LogStoreWAL {
		return s
	}
	return ""
}

// logStoreOnDisk says which store holds the dir's log: "" for none yet.
func logStoreOnDisk(dir string, bolt raft.LogStore) (string, error) {
	_, err := os.Stat(filepath.Join(dir, walDir, walMetaFile))
	hasWAL := err == nil
	last, err := bolt.LastIndex()
	if err != nil {
		return "", fmt.Errorf("consensus: reading the bolt log: %w", err)
	}
	switch {
	case hasWAL && last > 0:
		return "", fmt.Errorf("raft_log_store: the data dir %s holds both a WAL and a bolt log; refusing to start", dir)
	case hasWAL:
		return LogStoreWAL, nil
	case last > 0:
		return LogStoreBoltDB, nil
	}
	return "", nil
}

// writeLogStoreMarker records the store once it is open: written to a
// temporary file, synced, renamed over the marker, and the directory
// synced, so that a crash leaves the old marker or the new one.
func writeLogStoreMarker(dir, name string) error {
	if readLogStoreMarker(dir) == name {
		return nil
	}
	path := filepath.Join(dir, logStoreMarker)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("consensus: %w", err)
	}
	_, werr := f.WriteString(name + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("consensus: writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("consensus: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("consensus: %w", err)
	}
	defer d.Close()
	return d.Sync()
}

// openLogBacking returns the store the log lives in, and what to close
// with it (nil when it is bolt, which the node closes anyway).
func openLogBacking(dir, name string, bolt raft.LogStore, segmentSize int) (raft.LogStore, io.Closer, error) {
	if name != LogStoreWAL {
		return bolt, nil, nil
	}
	wdir := filepath.Join(dir, walDir)
	if err := os.MkdirAll(wdir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("consensus: %w", err)
	}
	// The WAL's own Close leaves its metadata database open (a process
	// that stops frees it): pass one in, and close both.
	meta := &metadb.BoltMetaDB{}
	w, err := wal.Open(wdir, wal.WithMetaStore(meta), wal.WithSegmentSize(cmp.Or(segmentSize, wal.DefaultSegmentSize)))
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
