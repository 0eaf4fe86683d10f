package state

import (
	"fmt"
	"strings"
	"sync"

	"github.com/barque-io/barque/api"
	"github.com/hashicorp/go-memdb"
)

// Index names shared by every kind's table.
const (
	IndexID      = "id"      // namespace + "/" + name, unique; also a namespace prefix index
	IndexOwner   = "owner"   // every ownerReferences[].uid, for garbage collection
	IndexNode    = "node"    // Pod spec.nodeName, for "pods bound to me" and the scheduler
	IndexPending = "pending" // Pods that wait for a node: unbound, not finished, not deleting
)

// objectKey is the primary key: namespace, a separator that cannot occur in
// names, then the name. Cluster-scoped objects have an empty namespace.
func objectKey(ns, name string) string { return ns + "/" + name }

// fnIndexer adapts a function of an object to go-memdb's single-value index.
type fnIndexer struct {
	fn func(api.Object) (string, bool)
}

func (f fnIndexer) FromObject(raw interface{}) (bool, []byte, error) {
	obj, ok := raw.(api.Object)
	if !ok {
		return false, nil, fmt.Errorf("state: %T is not an api.Object", raw)
	}
	v, ok := f.fn(obj)
	if !ok {
		return false, nil, nil
	}
	return true, []byte(v + "\x00"), nil
}

func (f fnIndexer) FromArgs(args ...interface{}) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("state: index takes one argument, got %d", len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("state: index argument %v is not a string", args[0])
	}
	return []byte(s + "\x00"), nil
}

// PrefixFromArgs lets callers list "ns/" to get one namespace's objects.
func (f fnIndexer) PrefixFromArgs(args ...interface{}) ([]byte, error) {
	b, err := f.FromArgs(args...)
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// ownerIndexer indexes every owner uid of an object.
type ownerIndexer struct{}

func (ownerIndexer) FromObject(raw interface{}) (bool, [][]byte, error) {
	obj, ok := raw.(api.Object)
	if !ok {
		return false, nil, fmt.Errorf("state: %T is not an api.Object", raw)
	}
	refs := obj.GetObjectMeta().OwnerReferences
	if len(refs) == 0 {
		return false, nil, nil
	}
	out := make([][]byte, 0, len(refs))
	for _, r := range refs {
		out = append(out, []byte(r.UID+"\x00"))
	}
	return true, out, nil
}

func (ownerIndexer) FromArgs(args ...interface{}) ([]byte, error) {
	return fnIndexer{}.FromArgs(args...)
}

func idOf(obj api.Object) (string, bool) {
	m := obj.GetObjectMeta()
	return objectKey(m.Namespace, m.Name), true
}

func podNodeOf(obj api.Object) (string, bool) {
	p, ok := obj.(*api.Pod)
	if !ok || p.Spec.NodeName == "" {
		return "", false
	}
	return p.Spec.NodeName, true
}

// podPendingOf indexes pods the scheduler has to place, under "1".
func podPendingOf(obj api.Object) (string, bool) {
	p, ok := obj.(*api.Pod)
	if !ok || p.Spec.NodeName != "" || p.DeletionTimestamp != nil || api.PodIsTerminal(p) {
		return "", false
	}
	return "1", true
}

// tableName is the go-memdb table of a kind. Every read and write names
// one, so the registered kinds' names are computed once (strings.ToLower
// allocated a new string on every call).
func tableName(kind string) string {
	if n, ok := tableNames()[kind]; ok {
		return n
	}
	return strings.ToLower(kind)
}

var tableNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, k := range api.Kinds() {
		m[k.Kind] = strings.ToLower(k.Kind)
	}
	return m
})

// schema builds one table per registered kind, with the indexes controllers
// and the scheduler need.
func schema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, k := range api.Kinds() {
		t := &memdb.TableSchema{Name: tableName(k.Kind), Indexes: map[string]*memdb.IndexSchema{
			IndexID:    {Name: IndexID, Unique: true, Indexer: fnIndexer{idOf}},
			IndexOwner: {Name: IndexOwner, AllowMissing: true, Indexer: ownerIndexer{}},
		}}
		if k.Kind == "Pod" {
			t.Indexes[IndexNode] = &memdb.IndexSchema{Name: IndexNode, AllowMissing: true, Indexer: fnIndexer{podNodeOf}}
			t.Indexes[IndexPending] = &memdb.IndexSchema{Name: IndexPending, AllowMissing: true, Indexer: fnIndexer{podPendingOf}}
		}
		s.Tables[t.Name] = t
	}
	return s
}
