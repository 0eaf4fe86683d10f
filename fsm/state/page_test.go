package state

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/barque-io/barque/api"
)

func pageCM(ns, name, value string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"v": value}},
		Data:       map[string]string{"v": value}}
}

// describeList renders objects as "ns/name@rv=value" for comparison.
func describeList(objs []api.Object) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		m := o.GetObjectMeta()
		out = append(out, fmt.Sprintf("%s/%s@%d=%s", m.Namespace, m.Name, m.ResourceVersion, o.(*api.ConfigMap).Data["v"]))
	}
	return out
}

// pageThrough reads a whole list at index at, limit objects per page.
func pageThrough(t *testing.T, s *Store, ns string, at uint64, limit int, filter func(api.Object) bool) ([]api.Object, error) {
	t.Helper()
	var all []api.Object
	after := ""
	for pages := 0; ; pages++ {
		p, err := s.ListPage(PageRequest{Kind: "ConfigMap", Namespace: ns, At: at, After: after, Limit: limit, Filter: filter})
		if err != nil {
			return nil, err
		}
		if p.Index != at {
			t.Fatalf("page read at %d, asked for %d", p.Index, at)
		}
		if limit > 0 && len(p.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all, nil
		}
		if len(p.Items) != limit {
			t.Fatalf("a page with a next key holds %d items, limit %d", len(p.Items), limit)
		}
		after = p.Next
	}
}

// TestListPageReadsPastStates applies random creates, updates and deletes
// (several per entry) and keeps the whole list after every entry; then a
// paged read at every past index, any limit, one namespace or all, with or
// without a filter, must equal the list as it was at that index.
func TestListPageReadsPastStates(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	s := New(100000)
	namespaces := []string{"a", "a-b", "b"}
	names := []string{"x", "x-1", "y", "z", "zz", "z.1"}
	want := map[uint64]map[string][]api.Object{} // index -> namespace ("" = all) -> list
	record := func(idx uint64) {
		v := s.View()
		if v.Index != idx {
			t.Fatalf("view at %d after committing %d", v.Index, idx)
		}
		want[idx] = map[string][]api.Object{"": v.List("ConfigMap", "", nil)}
		for _, ns := range namespaces {
			want[idx][ns] = v.List("ConfigMap", ns, nil)
		}
	}
	for idx := uint64(1); idx <= 300; idx++ {
		txn := s.WriteTxn(idx)
		for n := r.Intn(3) + 1; n > 0; n-- {
			ns, name := namespaces[r.Intn(len(namespaces))], names[r.Intn(len(names))]
			old := txn.Get("ConfigMap", ns, name)
			var err error
			switch {
			case old == nil:
				err = txn.Put(pageCM(ns, name, fmt.Sprint(idx)), Added)
			case r.Intn(3) == 0:
				err = txn.Delete(old)
			default:
				err = txn.Put(pageCM(ns, name, fmt.Sprint(idx)), Modified)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		txn.Commit()
		record(idx)
	}
	odd := func(o api.Object) bool { return len(o.(*api.ConfigMap).Data["v"])%2 == 1 }
	for idx := uint64(1); idx <= 300; idx++ {
		for _, ns := range append([]string{""}, namespaces...) {
			limit := r.Intn(5)
			got, err := pageThrough(t, s, ns, idx, limit, nil)
			if err != nil {
				t.Fatalf("at %d: %v", idx, err)
			}
			if g, w := fmt.Sprint(describeList(got)), fmt.Sprint(describeList(want[idx][ns])); g != w {
				t.Fatalf("namespace %q at %d, limit %d:\n got %s\nwant %s", ns, idx, limit, g, w)
			}
			got, err = pageThrough(t, s, ns, idx, 1+r.Intn(3), odd)
			if err != nil {
				t.Fatalf("at %d: %v", idx, err)
			}
			var wantOdd []api.Object
			for _, o := range want[idx][ns] {
				if odd(o) {
					wantOdd = append(wantOdd, o)
				}
			}
			if g, w := fmt.Sprint(describeList(got)), fmt.Sprint(describeList(wantOdd)); g != w {
				t.Fatalf("filtered, namespace %q at %d:\n got %s\nwant %s", ns, idx, g, w)
			}
		}
	}
}

// TestListPageAfterEvictionIsGone: once the history no longer holds every
// event after an index, a page at that index is 410 Expired; the current
// index is still served.
func TestListPageAfterEvictionIsGone(t *testing.T) {
	s := New(4)
	for idx := uint64(1); idx <= 10; idx++ {
		txn := s.WriteTxn(idx)
		if err := txn.Put(pageCM("a", fmt.Sprint("cm", idx), "v"), Added); err != nil {
			t.Fatal(err)
		}
		txn.Commit()
	}
	_, err := s.ListPage(PageRequest{Kind: "ConfigMap", At: 2, Limit: 1})
	if !errors.Is(err, api.ErrGone) {
		t.Fatalf("page at an evicted index: %v, want Gone", err)
	}
	p, err := s.ListPage(PageRequest{Kind: "ConfigMap", At: 8, Limit: 100})
	if err != nil || len(p.Items) != 8 {
		t.Fatalf("page at 8, whose later events are held: %v, %d items", err, len(p.Items))
	}
	p, err = s.ListPage(PageRequest{Kind: "ConfigMap", Limit: 3})
	if err != nil || p.Index != 10 || len(p.Items) != 3 || p.Next != Key(p.Items[2]) {
		t.Fatalf("page now: %+v, %v", p, err)
	}
	if _, err := s.ListPage(PageRequest{Kind: "ConfigMap", At: 11}); err == nil || errors.Is(err, api.ErrGone) {
		t.Fatalf("page ahead of the store: %v, want an error that is not Gone", err)
	}
}

// TestListPageAcrossARestore: an operator restore of an older snapshot
// keeps the store's index but replaces what it holds, so a page asked at
// that index (a continue token read before) is 410 Expired, not the
// restored state; a new list is served.
func TestListPageAcrossARestore(t *testing.T) {
	s := New(0)
	for idx := uint64(1); idx <= 4; idx++ {
		txn := s.WriteTxn(idx)
		if err := txn.Put(pageCM("a", fmt.Sprint("cm", idx), "live"), Added); err != nil {
			t.Fatal(err)
		}
		txn.Commit()
	}
	first, err := s.ListPage(PageRequest{Kind: "ConfigMap", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	old := []api.Object{pageCM("a", "cm1", "old"), pageCM("a", "cm9", "old")}
	if err := s.Restore(2, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListPage(PageRequest{Kind: "ConfigMap", At: first.Index, After: first.Next, Limit: 2}); !errors.Is(err, api.ErrGone) {
		t.Fatalf("a page at %d after a restore: %v, want Gone", first.Index, err)
	}
	if p, err := s.ListPage(PageRequest{Kind: "ConfigMap"}); err != nil || len(p.Items) != 2 {
		t.Fatalf("a new list after the restore: %v, %+v", err, p)
	}
}

// TestKeyAfter: keyAfter compares as the built key does, including names
// with '-' and '.', which sort before the '/' between namespace and name.
func TestKeyAfter(t *testing.T) {
	names := []string{"", "a", "a-b", "a.b", "ab", "b", "a-", "z", "a/b"}
	for _, ns := range names[1:] {
		for _, name := range names[1:] {
			for _, ans := range names {
				for _, aname := range names {
					after := ""
					if ans != "" {
						after = objectKey(ans, aname)
					}
					if got, want := keyAfter(ns, name, after), objectKey(ns, name) > after; got != want {
						t.Fatalf("keyAfter(%q, %q, %q) = %v, want %v", ns, name, after, got, want)
					}
				}
			}
		}
	}
}
