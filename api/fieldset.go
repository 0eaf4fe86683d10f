package api

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
)

// FieldSet is a set of an object's fields in Kubernetes' FieldsV1 form,
// what metadata.managedFields records for each manager: "f:NAME" is a
// field of an object or map, "k:{KEY}" an element of a list merged by key
// (a container by name), "v:VALUE" an element of a set (a finalizer), and
// "." inside an element the element itself. A field with no children is
// a leaf: its whole value (an atomic list, a scalar) is owned.
type FieldSet map[string]FieldSet

// fieldsNotOwned are the fields no manager owns: an object's identity, and
// what the server sets.
var fieldsNotOwned = map[string]bool{"apiVersion": true, "kind": true, "status": true}

var metadataNotOwned = map[string]bool{"name": true, "namespace": true, "uid": true, "resourceVersion": true,
	"generation": true, "creationTimestamp": true, "deletionTimestamp": true, "deletionGracePeriodSeconds": true,
	"managedFields": true}

// FieldsOf is the set of fields an applied configuration of kind sets.
func FieldsOf(kind string, config map[string]any) FieldSet {
	ki, ok := LookupKind(kind)
	if !ok {
		return FieldSet{}
	}
	fs := FieldSet{}
	for k, v := range config {
		if fieldsNotOwned[k] {
			continue
		}
		if m, ok := v.(map[string]any); ok && len(m) == 0 {
			continue
		}
		f := smpChild(reflect.TypeOf(ki.New()), k)
		child := fieldsOfValue(v, f)
		if k == "metadata" {
			for name := range metadataNotOwned {
				delete(child, "f:"+name)
			}
			if len(child) == 0 {
				continue
			}
		}
		fs["f:"+k] = child
	}
	return fs
}

func fieldsOfValue(v any, f smpField) FieldSet {
	switch v := v.(type) {
	case map[string]any:
		fs := FieldSet{}
		for k, cv := range v {
			if m, ok := cv.(map[string]any); ok && len(m) == 0 {
				continue // an empty map merges into the one there: it claims nothing
			}
			fs["f:"+k] = fieldsOfValue(cv, smpChild(f.typ, k))
		}
		return fs
	case []any:
		if !f.merge {
			return FieldSet{} // atomic: owned whole
		}
		fs := FieldSet{}
		elem := smpField{typ: smpElem(f.typ)}
		for _, e := range v {
			if f.mergeKey == "" {
				fs[setElementKey(e)] = FieldSet{}
				continue
			}
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			item := fieldsOfValue(m, elem)
			item["."] = FieldSet{}
			fs[listElementKey(f.mergeKey, m[f.mergeKey])] = item
		}
		return fs
	}
	return FieldSet{}
}

func listElementKey(key string, v any) string {
	b, _ := json.Marshal(map[string]any{key: v})
	return "k:" + string(b)
}

func setElementKey(v any) string {
	b, _ := json.Marshal(v)
	return "v:" + string(b)
}

// Union is the fields in s or o.
func (s FieldSet) Union(o FieldSet) FieldSet {
	out := s.clone()
	for k, ov := range o {
		out[k] = out[k].Union(ov)
	}
	return out
}

// Difference is the fields in s and not in o. A field whose descendants
// are all in o goes with them, unless o lacks the field itself as a leaf.
func (s FieldSet) Difference(o FieldSet) FieldSet {
	out := FieldSet{}
	for k, sv := range s {
		ov, in := o[k]
		switch {
		case !in:
			out[k] = sv.clone()
		case len(sv) > 0 && len(ov) > 0:
			if d := sv.Difference(ov); len(d) > 0 {
				out[k] = d
			}
		}
	}
	return out
}

// KeepShared drops, from a set of fields about to be removed from an
// object, the "." of every list element that others still own fields of:
// the element stays for them, and only the fields of s inside it go.
func (s FieldSet) KeepShared(others FieldSet) {
	for k, child := range s {
		o, ok := others[k]
		if !ok {
			continue
		}
		if strings.HasPrefix(k, "k:") {
			delete(child, ".")
		}
		child.KeepShared(o)
	}
}

// Leaves are the paths to the fields of s that have no children, and to
// the elements it owns itself (".").
func (s FieldSet) Leaves() [][]string {
	var out [][]string
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "." {
			continue
		}
		if len(s[k]) == 0 {
			out = append(out, []string{k})
			continue
		}
		for _, p := range s[k].Leaves() {
			out = append(out, append([]string{k}, p...))
		}
	}
	return out
}

// Has says whether path (as Leaves gives them) is in s.
func (s FieldSet) Has(path []string) bool {
	cur := s
	for _, p := range path {
		next, ok := cur[p]
		if !ok {
			return false
		}
		cur = next
	}
	return true
}

// Remove takes path out of s, and every field left with no children that
// was not a leaf of its own.
func (s FieldSet) Remove(path []string) {
	if len(path) == 0 {
		return
	}
	child, ok := s[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		delete(s, path[0])
		return
	}
	child.Remove(path[1:])
	if len(child) == 0 || (len(child) == 1 && child["."] != nil) {
		delete(s, path[0])
	}
}

func (s FieldSet) clone() FieldSet {
	out := FieldSet{}
	for k, v := range s {
		out[k] = v.clone()
	}
	return out
}

// PathString renders a path as Kubernetes' conflict messages do:
// .spec.replicas, .spec.containers[name="web"].image.
func PathString(path []string) string {
	var b strings.Builder
	for _, p := range path {
		switch {
		case strings.HasPrefix(p, "f:"):
			b.WriteString("." + p[2:])
		case strings.HasPrefix(p, "k:"):
			var m map[string]any
			_ = json.Unmarshal([]byte(p[2:]), &m)
			for k, v := range m {
				vb, _ := json.Marshal(v)
				b.WriteString("[" + k + "=" + string(vb) + "]")
			}
		case strings.HasPrefix(p, "v:"):
			b.WriteString("[" + p[2:] + "]")
		}
	}
	return b.String()
}

// ValueAt is the value at path in obj (an object in its JSON form), and
// whether it is there.
func ValueAt(obj map[string]any, path []string) (any, bool) {
	var cur any = obj
	for _, p := range path {
		switch {
		case strings.HasPrefix(p, "f:"):
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[p[2:]]; !ok {
				return nil, false
			}
		case strings.HasPrefix(p, "k:"):
			i := elementIndex(cur, p)
			if i < 0 {
				return nil, false
			}
			cur = cur.([]any)[i]
		case strings.HasPrefix(p, "v:"):
			return p[2:], setIndex(cur, p) >= 0
		}
	}
	return cur, true
}

// elementIndex finds the element of a keyed list that key ("k:{…}") names.
func elementIndex(list any, key string) int {
	l, _ := list.([]any)
	var want map[string]any
	if json.Unmarshal([]byte(key[2:]), &want) != nil {
		return -1
	}
	for i, e := range l {
		m, _ := e.(map[string]any)
		match := m != nil
		for k, v := range want {
			match = match && reflect.DeepEqual(normalizeNumber(m[k]), normalizeNumber(v))
		}
		if match {
			return i
		}
	}
	return -1
}

func setIndex(list any, key string) int {
	l, _ := list.([]any)
	for i, e := range l {
		if setElementKey(e) == key {
			return i
		}
	}
	return -1
}

// normalizeNumber compares JSON numbers decoded as float64 or json.Number
// alike.
func normalizeNumber(v any) any {
	if n, ok := v.(json.Number); ok {
		f, _ := n.Float64()
		return f
	}
	return v
}

// RemoveFields deletes from obj the fields of fs: a leaf field's key, an
// element marked "." whole, and recursively the rest.
func RemoveFields(obj map[string]any, fs FieldSet) {
	for k, child := range fs {
		if !strings.HasPrefix(k, "f:") {
			continue
		}
		name := k[2:]
		v, ok := obj[name]
		if !ok {
			continue
		}
		if len(child) == 0 {
			delete(obj, name)
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			RemoveFields(v, child)
		case []any:
			obj[name] = removeElements(v, child)
		}
	}
}

func removeElements(list []any, fs FieldSet) []any {
	out := list[:0:0]
	for _, e := range list {
		var key string
		if m, ok := e.(map[string]any); ok {
			for k := range fs {
				if strings.HasPrefix(k, "k:") && elementIndex([]any{m}, k) == 0 {
					key = k
				}
			}
		} else if _, ok := fs[setElementKey(e)]; ok {
			continue
		}
		child, owned := fs[key]
		switch {
		case key == "" || !owned:
			out = append(out, e)
		case child["."] != nil:
			// the element itself was owned: it goes
		default:
			RemoveFields(e.(map[string]any), child)
			out = append(out, e)
		}
	}
	return out
}
