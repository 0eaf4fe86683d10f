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
		f := smpChild(reflect.TypeOf(ki.New()), k)
		if fieldsNotOwned[k] || isEmptyValue(v, f) {
			continue
		}
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

// applyListKeys are the lists whose elements server-side apply tells
// apart by more than their strategic merge key, as Kubernetes' listMapKeys
// do: a port by number and protocol (53/UDP and 53/TCP are two ports).
var applyListKeys = map[reflect.Type][]string{
	reflect.TypeFor[ContainerPort](): {"containerPort", "protocol"},
	reflect.TypeFor[ServicePort]():   {"port", "protocol"},
}

// keyDefaults are the values a missing key field has, as the server
// defaults it (so that {port: 53} and {port: 53, protocol: TCP} are one).
var keyDefaults = map[string]any{"protocol": "TCP"}

// listKeysOf is the key fields of a list field's elements: none for an
// atomic list or a set.
func listKeysOf(f smpField) []string {
	if !f.merge {
		return nil
	}
	if keys, ok := applyListKeys[smpDeref(smpElem(f.typ))]; ok {
		return keys
	}
	if f.mergeKey != "" {
		return []string{f.mergeKey}
	}
	return nil
}

// isEmptyValue: an empty map, or an empty list merged by key or as a set,
// merges into what is there and claims nothing.
func isEmptyValue(v any, f smpField) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0 && f.merge
	}
	return false
}

func fieldsOfValue(v any, f smpField) FieldSet {
	switch v := v.(type) {
	case map[string]any:
		fs := FieldSet{}
		for k, cv := range v {
			cf := smpChild(f.typ, k)
			if isEmptyValue(cv, cf) {
				continue
			}
			fs["f:"+k] = fieldsOfValue(cv, cf)
		}
		return fs
	case []any:
		if !f.merge {
			return FieldSet{} // atomic: owned whole
		}
		fs := FieldSet{}
		keys := listKeysOf(f)
		elem := smpField{typ: smpElem(f.typ)}
		for _, e := range v {
			if len(keys) == 0 {
				fs[setElementKey(e)] = FieldSet{}
				continue
			}
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			item := fieldsOfValue(m, elem)
			item["."] = FieldSet{}
			fs[listElementKey(keys, m)] = item
		}
		return fs
	}
	return FieldSet{}
}

// listElementKey is "k:" and the element's key fields as JSON, missing
// ones at their defaults.
func listElementKey(keys []string, m map[string]any) string {
	k := map[string]any{}
	for _, name := range keys {
		k[name] = keyValue(m, name)
	}
	b, _ := json.Marshal(k)
	return "k:" + string(b)
}

func keyValue(m map[string]any, name string) any {
	if v, ok := m[name]; ok && v != nil {
		return normalizeNumber(v)
	}
	return keyDefaults[name]
}

func setElementKey(v any) string {
	b, _ := json.Marshal(v)
	return "v:" + string(b)
}

// Union is the fields in s or o.
func (s FieldSet) Union(o FieldSet) FieldSet {
	out := s.Clone()
	for k, ov := range o {
		out[k] = out[k].Union(ov)
	}
	return out
}

// Prune is what to remove from an object when a manager that last
// applied s now applies applied, and others own others: each field of s
// the new configuration lacks goes whole, with what the server defaulted
// under it (a dropped probe leaves no {httpGet: {}} behind), unless others
// own something inside it; then only this manager's fields in it go, and
// a list element stays for them.
func (s FieldSet) Prune(applied, others FieldSet) FieldSet {
	out := FieldSet{}
	for k, sv := range s {
		if k == "." {
			continue
		}
		av, inApplied := applied[k]
		ov, inOthers := others[k]
		switch {
		case inApplied && len(av) == 0, inOthers && len(ov) == 0:
			// still applied whole, or owned whole by others: stays
		case inApplied:
			if d := sv.Prune(av, ov); len(d) > 0 {
				out[k] = d
			}
		case inOthers:
			if d := sv.Prune(FieldSet{}, ov); len(d) > 0 {
				out[k] = d
			}
		case strings.HasPrefix(k, "k:"):
			out[k] = FieldSet{".": {}}
		default:
			out[k] = FieldSet{}
		}
	}
	return out
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

// Clone is a deep copy of s.
func (s FieldSet) Clone() FieldSet {
	out := FieldSet{}
	for k, v := range s {
		out[k] = v.Clone()
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
			match = match && reflect.DeepEqual(keyValue(m, k), normalizeNumber(v))
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
			if len(v) == 0 {
				// Nothing left of it (nobody else's fields were in it): it
				// goes too, or a removed probe would stay as {httpGet: {}}.
				delete(obj, name)
			}
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

// ApplyMerge merges an applied configuration of kind onto an object (both
// in their JSON forms) as server-side apply does: objects field by field,
// lists of elements with keys element by element (by all their keys:
// listKeysOf), sets as unions; atomic lists and scalars are replaced, and
// null removes a field. obj is changed in place and returned.
func ApplyMerge(kind string, obj, config map[string]any) map[string]any {
	ki, ok := LookupKind(kind)
	if !ok {
		return obj
	}
	return applyMergeMap(obj, config, reflect.TypeOf(ki.New()))
}

func applyMergeMap(obj, config map[string]any, t reflect.Type) map[string]any {
	if obj == nil {
		obj = map[string]any{}
	}
	for k, v := range config {
		if v == nil {
			delete(obj, k)
			continue
		}
		obj[k] = applyMergeValue(obj[k], v, smpChild(t, k))
	}
	return obj
}

func applyMergeValue(cur, v any, f smpField) any {
	switch v := v.(type) {
	case map[string]any:
		cm, _ := cur.(map[string]any)
		return applyMergeMap(cm, v, f.typ)
	case []any:
		cl, _ := cur.([]any)
		if !f.merge {
			return v
		}
		keys := listKeysOf(f)
		if len(keys) == 0 {
			return smpUnion(cl, v)
		}
		out := append([]any(nil), cl...)
		elem := smpDeref(smpElem(f.typ))
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				out = append(out, e)
				continue
			}
			if i := elementIndex(out, listElementKey(keys, m)); i >= 0 {
				em, _ := out[i].(map[string]any)
				out[i] = applyMergeMap(em, m, elem)
				continue
			}
			out = append(out, applyMergeMap(nil, m, elem))
		}
		return out
	}
	return v
}
