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
	logCacheEntries = 128
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
}

var _ raft.LogStore = (*logCache)(nil)

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

// StoreLogs implements raft.LogStore: the entries are cached only once the
// backing store has them.
func (c *logCache) StoreLogs(logs []*raft.Log) error {
	if err := c.store.StoreLogs(logs); err != nil {
		return fmt.Errorf("unable to store logs within log store, err: %q", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range logs {
		c.put(l)
	}
	return nil
}

func (c *logCache) put(l *raft.Log) {
	if c.bytes > 0 && l.Index <= c.hi {
		c.reset() // entries are rewritten only after DeleteRange; stay safe
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
	c.bytes, c.lo, c.hi = 0, 0, 0
}

// FirstIndex implements raft.LogStore.
func (c *logCache) FirstIndex() (uint64, error) { return c.store.FirstIndex() }

// LastIndex implements raft.LogStore.
func (c *logCache) LastIndex() (uint64, error) { return c.store.LastIndex() }

// DeleteRange implements raft.LogStore; it empties the cache, as
// raft.LogCache does.
func (c *logCache) DeleteRange(min, max uint64) error {
	c.mu.Lock()
	c.reset()
	c.mu.Unlock()
	return c.store.DeleteRange(min, max)
}
