package state

import (
	"errors"
	"fmt"
	"testing"

	"github.com/barque-io/barque/api"
)

func entry(idx uint64, n, size int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{Type: Added, Index: idx, Kind: "ConfigMap", Size: size}
	}
	return evs
}

func indexes(evs []Event) []uint64 {
	var out []uint64
	for _, ev := range evs {
		out = append(out, ev.Index)
	}
	return out
}

func TestHistoryByteBoundEvictsWholeEntries(t *testing.T) {
	h := newHistory(1000, 1000, 0)
	for idx := uint64(1); idx <= 10; idx++ {
		h.append(entry(idx, 2, 100)) // 200 bytes per entry
	}
	if h.bytes > 1000 {
		t.Fatalf("bytes = %d, want <= 1000", h.bytes)
	}
	if h.floor != 5 || h.n != 10 {
		t.Fatalf("floor = %d, n = %d; want 5, 10 (entries 6..10 kept)", h.floor, h.n)
	}
	if _, ok := h.after(4, 100); ok {
		t.Fatal("resume from 4 (before the floor) succeeded; want gone")
	}
	evs, ok := h.after(5, 100)
	if !ok || len(evs) != 10 || evs[0].Index != 6 {
		t.Fatalf("resume from the floor = %v, %v; want entries 6..10", indexes(evs), ok)
	}
}

func TestHistoryKeepsNewestEntryOverBudget(t *testing.T) {
	h := newHistory(1000, 1000, 0)
	h.append(entry(1, 1, 10))
	h.append(entry(2, 3, 600)) // one entry alone over the byte bound
	if h.n != 3 || h.floor != 1 {
		t.Fatalf("n = %d, floor = %d; want the newest entry kept (3 events, floor 1)", h.n, h.floor)
	}
	if evs, ok := h.after(1, 1); !ok || len(evs) != 3 {
		t.Fatalf("after(1) = %v, %v; want all 3 events of entry 2", indexes(evs), ok)
	}
	h.append(entry(3, 1, 10))
	if h.floor != 2 || h.n != 1 {
		t.Fatalf("after a small entry: floor = %d, n = %d; want 2, 1", h.floor, h.n)
	}
}

func TestHistoryRingGrowsInOrder(t *testing.T) {
	h := newHistory(3*minRing, 0, 0)
	for idx := uint64(1); idx <= 4*minRing; idx++ {
		h.append(entry(idx, 1, 1))
	}
	if len(h.ring) != 3*minRing || h.n != 3*minRing {
		t.Fatalf("ring = %d, n = %d; want both %d", len(h.ring), h.n, 3*minRing)
	}
	evs, ok := h.after(h.floor, 4*minRing)
	if !ok || len(evs) != h.n {
		t.Fatalf("after(floor) = %d events, %v", len(evs), ok)
	}
	for i, ev := range evs {
		if want := h.floor + 1 + uint64(i); ev.Index != want {
			t.Fatalf("event %d has index %d, want %d", i, ev.Index, want)
		}
	}
}

func TestStoreHistoryBytesAnswersGone(t *testing.T) {
	s := NewWithLimits(100, 4096)
	for idx := uint64(1); idx <= 10; idx++ {
		txn := s.WriteTxn(idx)
		cm := &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap"}}
		cm.Namespace, cm.Name = "default", "cm"
		if err := txn.PutSized(cm, Modified, 1024); err != nil {
			t.Fatal(err)
		}
		txn.Commit()
	}
	floor := s.HistoryFloor()
	if floor == 0 {
		t.Fatal("history floor did not move under the byte bound")
	}
	if _, _, err := s.EventsAfter(floor-1, 100); !errors.Is(err, api.ErrGone) {
		t.Fatalf("resume before the floor: err = %v, want ErrGone", err)
	}
	evs, _, err := s.EventsAfter(floor, 100)
	if err != nil || len(evs) == 0 || evs[0].Index != floor+1 || evs[len(evs)-1].Index != 10 {
		t.Fatalf("resume from the floor: %v, %v; want %d..10 with no gap", indexes(evs), err, floor+1)
	}
}

// afterOf copies only the kinds asked for, resumes past the others, never
// stops inside an entry, and is gone below the floor like after.
func TestHistoryAfterOfKinds(t *testing.T) {
	h := newHistory(1000, 1<<20, 0)
	for idx := uint64(1); idx <= 6; idx++ {
		evs := entry(idx, 3, 10)
		if idx%2 == 0 {
			evs[1].Kind = "Pod"
		}
		h.append(evs)
	}
	pods := map[string]bool{"Pod": true}
	evs, scanned, ok := h.afterOf(0, 1000, pods)
	if !ok || scanned != 6 || len(evs) != 3 || evs[0].Index != 2 || evs[2].Index != 6 {
		t.Fatalf("afterOf(0) = %v, scanned %d, ok %v; want the Pods of entries 2, 4, 6, scanned to 6", indexes(evs), scanned, ok)
	}
	// 4 events reach into entry 2: its other events come along, and the
	// scan resumes after entry 2.
	evs, scanned, _ = h.afterOf(0, 4, pods)
	if scanned != 2 || len(evs) != 1 || evs[0].Index != 2 {
		t.Fatalf("afterOf(0, max 4) = %v, scanned %d; want entry 2's Pod, scanned to 2", indexes(evs), scanned)
	}
	evs, scanned, _ = h.afterOf(5, 1000, map[string]bool{"Node": true})
	if scanned != 6 || len(evs) != 0 {
		t.Fatalf("afterOf(5) for Nodes = %v, scanned %d; want none, scanned to 6", indexes(evs), scanned)
	}
	if _, scanned, _ := h.afterOf(6, 1000, pods); scanned != 6 {
		t.Fatalf("afterOf(6) scanned to %d; want 6 (nothing after)", scanned)
	}
	h.evictOldestIndex()
	h.evictOldestIndex()
	if _, _, ok := h.afterOf(1, 1000, pods); ok {
		t.Fatal("afterOf below the floor succeeded; want gone")
	}
}

// TestViewNeverHoldsObjectsNewerThanItsIndex: while one goroutine commits
// entries, views taken concurrently never see an entry's object at an
// index before that entry (a list's resourceVersion older than its
// contents made a watch resumed from it repeat the entry's event).
func TestViewNeverHoldsObjectsNewerThanItsIndex(t *testing.T) {
	s := New(1000)
	seed := s.WriteTxn(1)
	if err := seed.Put(&api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "default"}}, Added); err != nil {
		t.Fatal(err)
	}
	seed.Commit()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(2); i < 3000; i++ {
			txn := s.WriteTxn(i)
			cm := &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
				ObjectMeta: api.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("c%d", i)}}
			if err := txn.Put(cm, Added); err != nil {
				t.Error(err)
				return
			}
			txn.Commit()
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		v := s.View()
		for _, obj := range v.List("ConfigMap", "default", nil) {
			if rv := uint64(obj.GetObjectMeta().ResourceVersion); rv > v.Index {
				t.Fatalf("a view at index %d holds %s at resourceVersion %d", v.Index, obj.GetObjectMeta().Name, rv)
			}
		}
	}
}
