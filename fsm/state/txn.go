package state

import (
	"encoding/json"
	"fmt"

	"github.com/barque-io/barque/api"
	"github.com/hashicorp/go-memdb"
)

// Txn is the one write transaction of one log entry. Every change it makes
// carries the entry's index as the object's resourceVersion.
type Txn struct {
	s      *Store
	tx     *memdb.Txn
	index  uint64
	events []Event
	usage  usageTable
	undo   []usageChange
	// restamped: RestampAll ran (the history restarts at commit).
	restamped bool
	// lastNS caches the namespace Namespace looked up last: an entry's
	// writes mostly share one. Any Put or Delete of a Namespace clears it.
	lastNS      string
	lastNSFound api.Object
	lastNSValid bool
}

// WriteTxn opens the write transaction for log index idx. Only the FSM calls
// it, one at a time.
func (s *Store) WriteTxn(idx uint64) *Txn {
	s.mu.RLock()
	db, usage := s.db, s.usage
	s.mu.RUnlock()
	return &Txn{s: s, tx: db.Txn(true), index: idx, usage: usage}
}

// Index is the log index this transaction writes at.
func (t *Txn) Index() uint64 { return t.index }

// Get reads an object as this transaction sees it.
func (t *Txn) Get(kind, ns, name string) api.Object {
	raw, err := t.tx.First(tableName(kind), IndexID, objectKey(ns, name))
	if err != nil || raw == nil {
		return nil
	}
	return raw.(api.Object)
}

// Namespace is Get("Namespace", "", name), remembered for the next call
// until a Namespace is written in this transaction.
func (t *Txn) Namespace(name string) api.Object {
	if t.lastNSValid && t.lastNS == name {
		return t.lastNSFound
	}
	ns := t.Get("Namespace", "", name)
	t.lastNS, t.lastNSFound, t.lastNSValid = name, ns, true
	return ns
}

// forgetNamespace drops the cached namespace when obj is one.
func (t *Txn) forgetNamespace(obj api.Object) {
	if obj.GetTypeMeta().Kind == "Namespace" {
		t.lastNSValid = false
	}
}

// Put inserts or replaces obj, stamping its resourceVersion, and records an
// event. obj must be a fresh value that no reader has seen.
func (t *Txn) Put(obj api.Object, ev EventType) error { return t.PutSized(obj, ev, 0) }

// PutSized is Put with the encoded size of obj when the caller knows it (the
// write's payload), which the watch history charges for the event; 0 charges
// defaultEventSize.
func (t *Txn) PutSized(obj api.Object, ev EventType, size int) error {
	t.forgetNamespace(obj)
	obj.GetObjectMeta().ResourceVersion = api.Version(t.index)
	pod, isPod := obj.(*api.Pod)
	var prev api.Object
	if isPod || ev == Modified {
		m := obj.GetObjectMeta()
		prev = t.Get(obj.GetTypeMeta().Kind, m.Namespace, m.Name)
	}
	oldPod, _ := prev.(*api.Pod)
	if err := t.tx.Insert(tableName(obj.GetTypeMeta().Kind), obj); err != nil {
		return fmt.Errorf("state: insert %s %s: %w", obj.GetTypeMeta().Kind, obj.GetObjectMeta().Key(), err)
	}
	if isPod {
		t.track(oldPod, pod)
	}
	if size <= 0 {
		size = defaultEventSize
	}
	if ev != Modified {
		prev = nil
	}
	t.events = append(t.events, Event{Type: ev, Index: t.index, Kind: obj.GetTypeMeta().Kind, Object: obj, Prev: prev, Size: size + eventOverhead})
	return nil
}

// Delete removes a stored object and records a DELETED event whose object
// carries the deletion's resourceVersion, as Kubernetes reports it.
func (t *Txn) Delete(obj api.Object) error {
	t.forgetNamespace(obj)
	if err := t.tx.Delete(tableName(obj.GetTypeMeta().Kind), obj); err != nil {
		return fmt.Errorf("state: delete %s %s: %w", obj.GetTypeMeta().Kind, obj.GetObjectMeta().Key(), err)
	}
	if p, ok := obj.(*api.Pod); ok {
		t.track(p, nil)
	}
	gone := api.ShallowCopy(obj)
	gone.GetObjectMeta().ResourceVersion = api.Version(t.index)
	t.events = append(t.events, Event{Type: Deleted, Index: t.index, Kind: obj.GetTypeMeta().Kind, Object: gone, Prev: obj, Size: encodedSize(gone) + eventOverhead})
	return nil
}

// RestampAll moves every stored object's resourceVersion to this
// transaction's index, recording no events: the history restarts after
// it and open watches end, so clients re-list (see fsm.FSM's
// restampPending).
func (t *Txn) RestampAll() {
	for _, k := range api.Kinds() {
		it, err := t.tx.Get(tableName(k.Kind), IndexID)
		if err != nil {
			continue
		}
		// Collect first: a write transaction must not change a table
		// while iterating it.
		for _, obj := range collect(it, nil) {
			cp := api.ShallowCopy(obj)
			cp.GetObjectMeta().ResourceVersion = api.Version(t.index)
			if err := t.tx.Insert(tableName(k.Kind), cp); err != nil {
				panic(fmt.Sprintf("state: restamp %s %s: %v", k.Kind, obj.GetObjectMeta().Key(), err))
			}
		}
	}
	t.restamped = true
	t.lastNSValid = false
}

// Commit makes the changes visible, appends their events to the history and
// wakes every watcher. A transaction that changed nothing still advances the
// store's index, so that readers waiting for this entry are released.
func (t *Txn) Commit() {
	s := t.s
	// The new tree becomes visible under s.mu, with the index: a View
	// taken between the two would hold this entry's objects at the
	// previous index, and a watch resumed from that index would repeat
	// the entry's events.
	s.mu.Lock()
	t.tx.Commit()
	if t.restamped {
		s.hist = newHistory(s.histSize, s.histBytes, t.index)
		s.restores.Add(1)
	}
	s.hist.append(t.events)
	s.index.Store(t.index)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Abort drops the transaction's changes.
func (t *Txn) Abort() {
	t.rollback()
	t.tx.Abort()
}

// Restore replaces the whole store with objects at index idx (from a
// snapshot). The history restarts at idx; watchers are woken and find that
// their position is gone if it was older.
func (s *Store) Restore(idx uint64, objs []api.Object) error {
	db, err := newDB()
	if err != nil {
		return err
	}
	tx := db.Txn(true)
	for _, obj := range objs {
		if err := tx.Insert(tableName(obj.GetTypeMeta().Kind), obj); err != nil {
			tx.Abort()
			return fmt.Errorf("state: restore %s %s: %w", obj.GetTypeMeta().Kind, obj.GetObjectMeta().Key(), err)
		}
	}
	tx.Commit()
	usage := buildUsage(objs)
	s.mu.Lock()
	// A restore can bring back an older state (operator snapshot restore):
	// the index never goes backwards, and every open watch is ended so that
	// its client re-lists.
	if prev := s.index.Load(); prev > idx {
		idx = prev
	}
	s.db, s.usage = db, usage
	s.hist = newHistory(s.histSize, s.histBytes, idx)
	s.index.Store(idx)
	s.restoredAt = idx
	s.restores.Add(1)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// ByIndex reads, as this transaction sees it, the objects of a kind whose
// index has the value arg.
func (t *Txn) ByIndex(kind, index, arg string) []api.Object {
	it, err := t.tx.Get(tableName(kind), index, arg)
	if err != nil {
		return nil
	}
	return collect(it, nil)
}

// defaultEventSize is charged for a put whose encoded size the caller did
// not give (a binding, a finalizer mark): about a typical pod's.
const defaultEventSize = 2048

// encodedSize is what a deleted object, retained by its DELETED event,
// weighs in the history: its JSON length. Deletes are rarer than puts, so
// the encoding is affordable; it is deterministic (sorted map keys).
func encodedSize(obj api.Object) int {
	b, err := json.Marshal(obj)
	if err != nil {
		return defaultEventSize
	}
	return len(b)
}
