package consensus

import (
	"fmt"
	"sync"

	"github.com/hashicorp/raft"
)

// Recent log entries stay in memory so that replication and the FSM read
// them without decoding them back from disk. The cache is bounded by count
// and by bytes: one entry is a batch of up to 2 MiB, so 128 entries alone
// could pin 256 MiB while a burst of large writes drains.
const (
	logCacheEntries = 256 // raft's MaxAppendEntries: a whole dispatch can be staged
	logCacheBytes   = 16 << 20
)

// logCache is raft.LogCache (a ring indexed by log index modulo its
// capacity) with a byte budget: past it, the oldest entries leave the
// cache first. The newest entry always stays.
type logCache struct {
	store    raft.LogStore
	maxBytes int

	mu     sync.RWMutex
	ring   []*raft.Log
	bytes  int    // sum of logSize over the cached entries
	lo, hi uint64 // every cached entry has lo <= Index <= hi
	// stagedHi is the last index of the batch StageLogs put in, which the
	// StoreLogs call right after it (the same dispatch of the leader) does
	// not put again; that call clears it.
	stagedHi uint64
}

var _ raft.StagingLogStore = (*logCache)(nil)

func newLogCache(entries, maxBytes int, store raft.LogStore) *logCache {
	return &logCache{store: store, maxBytes: maxBytes, ring: make([]*raft.Log, entries)}
}

func logSize(l *raft.Log) int { return len(l.Data) + len(l.Extensions) + 64 }

// IsMonotonic passes the backing store's answer through, as raft.LogCache does.
func (c *logCache) IsMonotonic() bool {
	m, ok := c.store.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

func (c *logCache) slot(idx uint64) **raft.Log { return &c.ring[idx%uint64(len(c.ring))] }

// GetLog implements raft.LogStore.
func (c *logCache) GetLog(idx uint64, log *raft.Log) error {
	c.mu.RLock()
	cached := *c.slot(idx)
	c.mu.RUnlock()
	if cached != nil && cached.Index == idx {
		*log = *cached
		return nil
	}
	return c.store.GetLog(idx, log)
}

// StoreLog implements raft.LogStore.
func (c *logCache) StoreLog(log *raft.Log) error { return c.StoreLogs([]*raft.Log{log}) }

// StageLogs implements raft.StagingLogStore (third_party/raft): the leader
// caches a batch before writing it, so that replication reads it from here
// while the backing store writes it. Only a batch the cache holds whole is
// staged: a staged entry evicted before its write would be nowhere.
func (c *logCache) StageLogs(logs []*raft.Log) bool {
	size := 0
	for _, l := range logs {
		size += logSize(l)
	}
	if len(logs) == 0 || len(logs) > len(c.ring) || size > c.maxBytes {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range logs {
		c.put(l)
	}
	c.stagedHi = logs[len(logs)-1].Index
	// Belt and braces: every staged entry must still be here, or the
	// leader writes the batch before replicating it.
	for _, l := range logs {
		if *c.slot(l.Index) != l {
			return false
		}
	}
	return true
}

// StoreLogs implements raft.LogStore. Entries that were not staged are
// cached only once the backing store has them: a follower must never serve
// from its cache an entry it has not written.
func (c *logCache) StoreLogs(logs []*raft.Log) error {
	if err := c.store.StoreLogs(logs); err != nil {
		return fmt.Errorf("unable to store logs within log store, err: %q", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range logs {
		if l.Index > c.stagedHi {
			c.put(l)
		}
	}
	c.stagedHi = 0
	return nil
}

func (c *logCache) put(l *raft.Log) {
	if c.bytes > 0 && l.Index != c.hi+1 {
		// Entries are rewritten only after DeleteRange, and a gap (a
		// snapshot installed or restored) leaves stale slots outside
		// [lo, hi] that the byte budget would count but never evict:
		// start afresh. Only what is on disk, or staged, is ever cached.
		c.reset()
	}
	s := c.slot(l.Index)
	if old := *s; old != nil {
		c.bytes -= logSize(old)
	}
	*s = l
	c.bytes += logSize(l)
	if c.bytes == logSize(l) {
		c.lo = l.Index
	}
	c.hi = l.Index
	if n := uint64(len(c.ring)); c.hi-c.lo >= n {
		c.lo = c.hi - n + 1 // older slots were overwritten
	}
	for c.bytes > c.maxBytes && c.lo < c.hi {
		if s := c.slot(c.lo); *s != nil && (*s).Index == c.lo {
			c.bytes -= logSize(*s)
			*s = nil
		}
		c.lo++
	}
}

func (c *logCache) reset() {
	clear(c.ring)
	c.bytes, c.lo, c.hi, c.stagedHi = 0, 0, 0, 0
}

// evict removes the entry of index idx, if cached.
func (c *logCache) evict(idx uint64) {
	if s := c.slot(idx); *s != nil && (*s).Index == idx {
		c.bytes -= logSize(*s)
		*s = nil
	}
}

// drop removes the cached entries with min <= Index <= max and keeps the
// others: compaction deletes old entries while the leader may have newer
// ones staged and not yet written.
func (c *logCache) drop(min, max uint64) {
	switch {
	case c.bytes == 0 || max < c.lo || min > c.hi:
		return
	case min <= c.lo && max >= c.hi:
		c.reset()
		return
	case min <= c.lo: // compaction: the oldest entries go
		for ; c.lo <= max; c.lo++ {
			c.evict(c.lo)
		}
	case max >= c.hi: // truncation of a conflicting tail
		for i := min; i <= c.hi; i++ {
			c.evict(i)
		}
		c.hi = min - 1
	default: // a range in the middle: never asked for; stay safe
		c.reset()
	}
	if c.bytes == 0 {
		c.reset()
	}
}

// FirstIndex implements raft.LogStore.
func (c *logCache) FirstIndex() (uint64, error) { return c.store.FirstIndex() }

// LastIndex implements raft.LogStore.
func (c *logCache) LastIndex() (uint64, error) { return c.store.LastIndex() }

// DeleteRange implements raft.LogStore; it drops the range from the cache
// too.
func (c *logCache) DeleteRange(min, max uint64) error {
	c.mu.Lock()
	c.drop(min, max)
	c.mu.Unlock()
	return c.store.DeleteRange(min, max)
}
