package state

import (
	"fmt"
	"sort"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/hashicorp/go-memdb"
)

// PageRequest asks for one page of a list, as Kubernetes' limit and
// continue do: the objects of Kind in Namespace ("" = all) as they were at
// index At (0 = now), whose keys sort after After, that pass Filter.
type PageRequest struct {
	Kind      string
	Namespace string
	At        uint64
	After     string // an object key (Key), "" = from the start
	Limit     int    // 0 = no limit
	Filter    func(api.Object) bool
}

// Page is one page of a list.
type Page struct {
	Items []api.Object
	// Index is the state the page was read at: the request's At, or the
	// current index when At was 0.
	Index uint64
	// Next is the key of the last item when more objects pass the filter
	// after it (the next page starts there), "" on the last page.
	Next string
}

// Key is the key a list page is ordered and continued by.
func Key(obj api.Object) string {
	m := obj.GetObjectMeta()
	return objectKey(m.Namespace, m.Name)
}

// ListPage reads one page of a list at the current index or a past one.
//
// A past state is the current one with every later change undone from the
// watch history: an object whose first later event is ADDED did not exist
// yet, and one whose first later event is MODIFIED or DELETED was that
// event's Prev. So a past index is served while the history still holds
// every event after it, and fails with api.ErrGone (reason Expired) once
// they are evicted, as Kubernetes fails a continue after etcd compacted.
// An index ahead of the store fails too: the caller waits for it first.
func (s *Store) ListPage(req PageRequest) (*Page, error) {
	s.mu.RLock()
	txn, now := s.db.Txn(false), s.Index()
	at := req.At
	if at == 0 {
		at = now
	}
	var later []Event
	var ok bool
	if at < now {
		later, ok = s.hist.changesAfter(at, req.Kind, req.Namespace, req.After)
	} else {
		ok = at == now
	}
	floor := s.hist.floor
	if req.At != 0 && at <= s.restoredAt {
		// An operator restore may have replaced the state at this very
		// index (the index never goes back); an earlier page of it is
		// another state.
		ok, floor = false, s.restoredAt+1
	}
	s.mu.RUnlock()
	if !ok {
		if at > now {
			return nil, fmt.Errorf("state: list at %d: the store is at %d", at, now)
		}
		return nil, api.Gone(fmt.Sprintf("too old resource version: %d (%d)", at, floor))
	}
	prefix := ""
	if req.Namespace != "" {
		prefix = objectKey(req.Namespace, "")
	}
	past := pastValues(later, prefix, req.After)
	current, err := currentAfter(txn, req.Kind, prefix, req.After, past)
	if err != nil {
		return nil, err
	}
	return collectPage(req, at, current, past), nil
}

// currentAfter iterates the current objects of the key range whose keys
// sort after after and that the later events did not change. A first
// page of the current state, the common list, needs no key comparisons.
func currentAfter(txn *memdb.Txn, kind, prefix, after string, past pastState) (func() api.Object, error) {
	if after == "" && len(past.values) == 0 {
		it, err := txn.Get(tableName(kind), IndexID+"_prefix", prefix)
		if err != nil {
			return nil, fmt.Errorf("state: list %s: %w", kind, err)
		}
		return func() api.Object {
			raw := it.Next()
			if raw == nil {
				return nil
			}
			return raw.(api.Object)
		}, nil
	}
	it, err := txn.LowerBound(tableName(kind), IndexID, max(prefix, after))
	if err != nil {
		return nil, fmt.Errorf("state: list %s: %w", kind, err)
	}
	return func() api.Object {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			obj := raw.(api.Object)
			key := Key(obj)
			if !strings.HasPrefix(key, prefix) {
				return nil
			}
			if _, changed := past.values[key]; key <= after || changed {
				continue
			}
			return obj
		}
		return nil
	}, nil
}

// pastState is what the events after an index say about the objects in a
// key range at that index: each changed key's value then (nil: it did not
// exist), and the keys that existed, in order.
type pastState struct {
	values  map[string]api.Object
	existed []string
}

func pastValues(later []Event, prefix, after string) pastState {
	p := pastState{values: map[string]api.Object{}}
	for i := range later {
		ev := &later[i]
		key := Key(ev.Object)
		if !strings.HasPrefix(key, prefix) || key <= after {
			continue
		}
		if _, seen := p.values[key]; seen {
			continue // only the first change after the index tells
		}
		var then api.Object
		if ev.Type != Added {
			then = ev.Prev
		}
		p.values[key] = then
		if then != nil {
			p.existed = append(p.existed, key)
		}
	}
	sort.Strings(p.existed)
	return p
}

// collectPage merges the unchanged current objects with the past values
// of the changed ones, in key order, until the page is full and one more
// object passes the filter. The current object's key is needed only to
// merge, so only while past values remain (they never come back).
func collectPage(req PageRequest, at uint64, current func() api.Object, past pastState) *Page {
	page := &Page{Index: at}
	cur := current()
	curKey := ""
	if cur != nil && len(past.existed) > 0 {
		curKey = Key(cur)
	}
	for {
		var obj api.Object
		switch {
		case cur != nil && (len(past.existed) == 0 || curKey < past.existed[0]):
			obj = cur
			if cur = current(); cur != nil && len(past.existed) > 0 {
				curKey = Key(cur)
			}
		case len(past.existed) > 0:
			obj = past.values[past.existed[0]]
			past.existed = past.existed[1:]
		default:
			return page
		}
		if req.Filter != nil && !req.Filter(obj) {
			continue
		}
		if req.Limit > 0 && len(page.Items) == req.Limit {
			page.Next = Key(page.Items[len(page.Items)-1])
			return page
		}
		page.Items = append(page.Items, obj)
	}
}
