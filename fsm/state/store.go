// Package state is the FSM's object store: one go-memdb table per kind, a
// write transaction per Raft log index, watch notification, and the retained
// history of events that watches resume from.
package state

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/barque-io/barque/api"
	"github.com/hashicorp/go-memdb"
)

// DefaultHistorySize is how many events the store retains for watch resume.
const DefaultHistorySize = 100_000

// DefaultHistoryBytes bounds the retained events by the encoded size of
// their objects (plus a per-event overhead), so that a history of updates
// or deletes of large objects cannot hold as much again as the live state.
const DefaultHistoryBytes = 64 << 20

// Store holds every cluster object. Writes come only from the FSM, one
// WriteTxn per log entry; reads may come from anywhere.
type Store struct {
	histSize  int
	histBytes int

	mu      sync.RWMutex // guards db, hist, changed
	db      *memdb.MemDB
	usage   usageTable // derived from the pods; see NodeUsage
	hist    *history
	changed chan struct{} // closed and replaced on each commit or restore
	index   atomic.Uint64 // index of the last applied entry that wrote

	restores atomic.Uint64 // how many times the whole state was replaced
	// restoredAt is the index a Restore left the store at (under mu): the
	// state there is the restored one, not what the log had made of it,
	// so no list may be read "at" that index (ListPage).
	restoredAt uint64
}

// Restores counts whole-state replacements; a watch that sees it change
// must end so its client re-lists.
func (s *Store) Restores() uint64 { return s.restores.Load() }

// New returns an empty store retaining histSize events (0 = default) and
// DefaultHistoryBytes of them.
func New(histSize int) *Store { return NewWithLimits(histSize, DefaultHistoryBytes) }

// NewWithLimits returns an empty store retaining at most histSize events
// (0 = default) and, beyond the newest entry's events, histBytes of them
// (0 = no byte bound).
func NewWithLimits(histSize, histBytes int) *Store {
	if histSize <= 0 {
		histSize = DefaultHistorySize
	}
	db, err := newDB()
	if err != nil {
		panic(fmt.Sprintf("state: invalid schema: %v", err)) // a programming error
	}
	return &Store{histSize: histSize, histBytes: histBytes, db: db, usage: usageTable{}, hist: newHistory(histSize, histBytes, 0), changed: make(chan struct{})}
}

// Index is the log index of the last write applied to the store.
func (s *Store) Index() uint64 { return s.index.Load() }

// Changed returns a channel closed at the next commit or restore.
func (s *Store) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// WaitForIndex blocks until the store has applied index idx or ctx ends.
func (s *Store) WaitForIndex(ctx context.Context, idx uint64) error {
	for {
		ch := s.Changed()
		if s.Index() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ReadView is a consistent, immutable view of the store at one index, for
// readers (lists, the scheduler) that need several reads to agree.
type ReadView struct {
	txn   *memdb.Txn
	Index uint64
}

// View opens a read view of the current state.
func (s *Store) View() *ReadView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &ReadView{txn: s.db.Txn(false), Index: s.Index()}
}

// Get returns one object, or nil.
func (v *ReadView) Get(kind, ns, name string) api.Object {
	raw, err := v.txn.First(tableName(kind), IndexID, objectKey(ns, name))
	if err != nil || raw == nil {
		return nil
	}
	return raw.(api.Object)
}

// List returns the objects of a kind, in one namespace ("" = all), in key
// order, that pass filter (nil = all).
func (v *ReadView) List(kind, ns string, filter func(api.Object) bool) []api.Object {
	prefix := ""
	if ns != "" {
		prefix = objectKey(ns, "")
	}
	it, err := v.txn.Get(tableName(kind), IndexID+"_prefix", prefix)
	if err != nil {
		return nil
	}
	return collect(it, filter)
}

// ByIndex returns the objects of a kind whose index (IndexOwner, IndexNode…)
// has the value arg.
func (v *ReadView) ByIndex(kind, index, arg string) []api.Object {
	it, err := v.txn.Get(tableName(kind), index, arg)
	if err != nil {
		return nil
	}
	return collect(it, nil)
}

// Indexed walks every object of a kind that has a value in index (all
// bound pods, by IndexNode), in index order, calling fn for each: one walk
// instead of a lookup per value.
func (v *ReadView) Indexed(kind, index string, fn func(api.Object)) {
	it, err := v.txn.Get(tableName(kind), index+"_prefix", "")
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		fn(raw.(api.Object))
	}
}

func collect(it memdb.ResultIterator, filter func(api.Object) bool) []api.Object {
	var out []api.Object
	for raw := it.Next(); raw != nil; raw = it.Next() {
		obj := raw.(api.Object)
		if filter == nil || filter(obj) {
			out = append(out, obj)
		}
	}
	return out
}

// Get is a shortcut for View().Get.
func (s *Store) Get(kind, ns, name string) (api.Object, uint64) {
	v := s.View()
	return v.Get(kind, ns, name), v.Index
}

// EventsAfter returns up to max events with index > rv, and a channel that is
// closed when more may be available. It fails with api.ErrGone when rv is
// older than the retained history.
func (s *Store) EventsAfter(rv uint64, max int) ([]Event, <-chan struct{}, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	evs, ok := s.hist.after(rv, max)
	if !ok {
		return nil, nil, api.Gone(fmt.Sprintf("too old resource version: %d (%d)", rv, s.hist.floor))
	}
	return evs, s.changed, nil
}

// EventsAfterOf is EventsAfter for the events of some kinds only, without
// copying the others: each controller loop reads the history after every
// commit, and under a flood of one kind most events concern none of them.
// scanned is the index to resume from, which moves past events of other
// kinds too.
func (s *Store) EventsAfterOf(rv uint64, max int, kinds map[string]bool) (evs []Event, scanned uint64, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	evs, scanned, ok := s.hist.afterOf(rv, max, kinds)
	if !ok {
		return nil, 0, api.Gone(fmt.Sprintf("too old resource version: %d (%d)", rv, s.hist.floor))
	}
	return evs, scanned, nil
}

// HistoryFloor is the oldest resourceVersion a watch can resume from.
func (s *Store) HistoryFloor() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.hist.floor
}

// newDB makes an empty database. It is a go-memdb snapshot rather than the
// primary: writes to a snapshot skip go-memdb's mutation tracking (a
// channel per changed radix node, closed at commit, for go-memdb's own
// watch sets). Barque never uses those watch sets (its watchers wait on
// Changed and read the event history), and the tracking was a tenth of
// the cost of every write.
func newDB() (*memdb.MemDB, error) {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, err
	}
	return db.Snapshot(), nil
}
