package fsm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/barque-io/barque/api"
)

// TestRestoreFencesEarlierCompareAndSwap: a compare-and-swap decided
// against an object before an operator restore, and applied after it, must
// fail even when the snapshot holds the object at the version the writer
// read. Every replica restoring the same marked snapshot restamps at the
// same entry, so they stay identical.
func TestRestoreFencesEarlierCompareAndSwap(t *testing.T) {
	src := withDefaultNS(t, New(0))
	src.Apply(2, mustOps(t, op(t, OpCreate, cm("a", map[string]string{"k": "saved"})), op(t, OpCreate, cm("b", nil))))
	var saved bytes.Buffer
	if err := src.Snapshot().Persist(&saved); err != nil {
		t.Fatal(err)
	}
	var marked bytes.Buffer
	n, err := MarkForRestore(bytes.NewReader(saved.Bytes()), &marked)
	if err != nil || n != int64(marked.Len()) {
		t.Fatalf("MarkForRestore: %d bytes, %v (wrote %d)", n, err, marked.Len())
	}

	// A writer read a@2 before the restore; the restored a is also at 2.
	stale := op(t, OpUpdate, cm("a", map[string]string{"k": "decided before the restore"}))
	stale.ResourceVersion = 2
	var snaps [2]bytes.Buffer
	for i := range snaps {
		f := New(0)
		f.Apply(7, mustOps(t)) // the replica had moved on before the restore
		if err := f.Restore(bytes.NewReader(marked.Bytes())); err != nil {
			t.Fatal(err)
		}
		// A snapshot taken before the next entry keeps the pending restamp.
		var mid bytes.Buffer
		if err := f.Snapshot().Persist(&mid); err != nil {
			t.Fatal(err)
		}
		if h, _, _ := readSnapshot(bytes.NewReader(mid.Bytes())); !h.Restamp {
			t.Errorf("replica %d: a snapshot taken before the restamp lost it", i)
		}
		rs := results(t, f.Apply(9, mustOps(t, stale)))
		if !errors.Is(rs[0].Err, api.ErrConflict) {
			t.Fatalf("replica %d: stale CAS after the restore: %v, want Conflict", i, rs[0].Err)
		}
		obj, _ := f.Store().Get("ConfigMap", "default", "a")
		if rv := obj.GetObjectMeta().ResourceVersion; rv != 9 || obj.(*api.ConfigMap).Data["k"] != "saved" {
			t.Fatalf("replica %d: restored a is %+v at %d, want the saved data at 9", i, obj, rv)
		}
		if _, _, err := f.Store().EventsAfter(8, 10); err == nil {
			t.Errorf("replica %d: a watch from before the restamp resumed", i)
		}
		fresh := op(t, OpUpdate, cm("a", map[string]string{"k": "after"}))
		fresh.ResourceVersion = 9
		if rs := results(t, f.Apply(10, mustOps(t, fresh))); rs[0].Err != nil {
			t.Fatalf("replica %d: CAS on the restamped version: %v", i, rs[0].Err)
		}
		if err := f.Snapshot().Persist(&snaps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(snaps[0].Bytes(), snaps[1].Bytes()) {
		t.Error("two replicas restoring the same snapshot diverged")
	}

	// A plain restore (a replica starting from its own snapshot) restamps
	// nothing.
	plain := New(0)
	if err := plain.Restore(bytes.NewReader(saved.Bytes())); err != nil {
		t.Fatal(err)
	}
	plain.Apply(9, mustOps(t))
	if obj, _ := plain.Store().Get("ConfigMap", "default", "a"); obj.GetObjectMeta().ResourceVersion != 2 {
		t.Errorf("plain restore moved a to %d", obj.GetObjectMeta().ResourceVersion)
	}
}
