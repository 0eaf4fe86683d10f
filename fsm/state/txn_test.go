package state

import (
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// TestTxnNamespaceFollowsWrites: the namespace a transaction looked up is
// remembered, but a Put or Delete of a Namespace in the same transaction
// is seen by the next lookup.
func TestTxnNamespaceFollowsWrites(t *testing.T) {
	s := New(0)
	txn := s.WriteTxn(1)
	ns := func(deleting bool) *api.Namespace {
		n := &api.Namespace{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: api.ObjectMeta{Name: "team"}}
		if deleting {
			n.DeletionTimestamp = api.NewTime(time.Unix(1, 0))
		}
		return n
	}
	if txn.Namespace("team") != nil {
		t.Fatal("found a namespace before any was written")
	}
	if err := txn.Put(ns(false), Added); err != nil {
		t.Fatal(err)
	}
	if got := txn.Namespace("team"); got == nil || got.GetObjectMeta().DeletionTimestamp != nil {
		t.Fatalf("after create: %v", got)
	}
	if err := txn.Put(ns(true), Modified); err != nil {
		t.Fatal(err)
	}
	if got := txn.Namespace("team"); got == nil || got.GetObjectMeta().DeletionTimestamp == nil {
		t.Fatalf("after marking it deleted: %v, want the deleting namespace", got)
	}
	if err := txn.Delete(txn.Namespace("team")); err != nil {
		t.Fatal(err)
	}
	if got := txn.Namespace("team"); got != nil {
		t.Fatalf("after delete: %v, want none", got)
	}
	txn.Commit()
}
