package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
)

// StrategicMergePatch applies a Kubernetes strategic merge patch
// (application/strategic-merge-patch+json, kubectl's default) to the JSON
// of an object of kind. It is a JSON merge patch (RFC 7386) except where
// the kind's Go types say otherwise in Kubernetes' own struct tags:
//
//   - a list tagged patchStrategy:"merge" with a patchMergeKey (a pod's
//     containers by name, a container's env by name) is merged element by
//     element: an element whose key is already there is merged into it,
//     a new one is appended (a list the original lacks is the patch's, as
//     it is); a primitive list tagged "merge" (finalizers) is a union;
//   - the directives: "$patch": "replace" | "delete" | "merge" in a map,
//     "$patch": "delete" in a merge list's element (delete the elements of
//     its key), "$patch": "replace" in one (replace the whole list with the
//     other elements), "$deleteFromPrimitiveList/<field>",
//     "$setElementOrder/<field>" and "$retainKeys".
//
// Other lists are replaced, as in a merge patch; null deletes a field.
func StrategicMergePatch(kind string, original, patch []byte) ([]byte, error) {
	obj, err := NewObject(kind)
	if err != nil {
		return nil, err
	}
	var orig, p map[string]any
	if err := json.Unmarshal(original, &orig); err != nil {
		return nil, fmt.Errorf("the object is not a JSON object: %w", err)
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, fmt.Errorf("the strategic merge patch is not a JSON object: %w", err)
	}
	if d, _ := p[smpPatch].(string); d == "delete" {
		return nil, fmt.Errorf(`"$patch": "delete" at the top of a patch would delete the whole object; use DELETE`)
	}
	merged, err := smpMergeMap(orig, p, reflect.TypeOf(obj))
	if err != nil {
		return nil, err
	}
	return json.Marshal(merged)
}

const (
	smpPatch           = "$patch"
	smpRetainKeys      = "$retainKeys"
	smpDeleteFromList  = "$deleteFromPrimitiveList/"
	smpSetElementOrder = "$setElementOrder/"
)

// smpField is what a struct field's tags say about patching it.
type smpField struct {
	typ      reflect.Type // the field's type (nil: unknown field, merged as JSON)
	merge    bool         // patchStrategy includes merge
	mergeKey string
}

var smpFields sync.Map // reflect.Type -> map[string]smpField

// smpFieldsOf maps a struct type's JSON names to their fields, inline
// embedded structs included.
func smpFieldsOf(t reflect.Type) map[string]smpField {
	if m, ok := smpFields.Load(t); ok {
		return m.(map[string]smpField)
	}
	m := map[string]smpField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" && (f.Anonymous || strings.Contains(opts, "inline")) {
			if ft := smpDeref(f.Type); ft.Kind() == reflect.Struct {
				for k, v := range smpFieldsOf(ft) {
					m[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = smpField{typ: f.Type, merge: strings.Contains(f.Tag.Get("patchStrategy"), "merge"), mergeKey: f.Tag.Get("patchMergeKey")}
	}
	smpFields.Store(t, m)
	return m
}

func smpDeref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

var jsonMarshalerType = reflect.TypeFor[json.Marshaler]()

// smpChild is the field key of a value of type t (a struct, or a map whose
// values are all of one type); unknown keys and opaque types (those with
// their own JSON encoding) get a zero smpField.
func smpChild(t reflect.Type, key string) smpField {
	t = smpDeref(t)
	if t == nil || reflect.PointerTo(t).Implements(jsonMarshalerType) {
		return smpField{}
	}
	switch t.Kind() {
	case reflect.Struct:
		return smpFieldsOf(t)[key]
	case reflect.Map:
		return smpField{typ: t.Elem()}
	}
	return smpField{}
}

// smpElem is the element type of a list field's type.
func smpElem(t reflect.Type) reflect.Type {
	if t = smpDeref(t); t != nil && t.Kind() == reflect.Slice {
		return t.Elem()
	}
	return nil
}

// smpMergeMap merges patch into orig (a value of type t).
func smpMergeMap(orig, patch map[string]any, t reflect.Type) (map[string]any, error) {
	switch d, _ := patch[smpPatch].(string); d {
	case "delete":
		// Kubernetes empties a map it deletes; smpMergeValue drops one the
		// original lacks.
		return map[string]any{}, nil
	case "replace":
		return smpClean(patch, t)
	case "", "merge":
	default:
		return nil, fmt.Errorf("%s: unknown directive %q (replace, delete or merge)", smpPatch, d)
	}
	if orig == nil {
		orig = map[string]any{}
	}
	if keep, ok := patch[smpRetainKeys]; ok {
		names, ok := keep.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: want a list of field names", smpRetainKeys)
		}
		kept := map[string]bool{}
		for _, n := range names {
			s, ok := n.(string)
			if !ok {
				return nil, fmt.Errorf("%s: %v is not a field name", smpRetainKeys, n)
			}
			kept[s] = true
		}
		// As Kubernetes: every field the patch sets must be one it keeps.
		for k, v := range patch {
			if v != nil && !strings.HasPrefix(k, "$") && !kept[k] {
				return nil, fmt.Errorf("%s: the patch sets %q but does not keep it", smpRetainKeys, k)
			}
		}
		for k := range orig {
			if !kept[k] {
				delete(orig, k)
			}
		}
	}
	for k, pv := range patch {
		if field, ok := strings.CutPrefix(k, smpDeleteFromList); ok {
			// A list the original lacks stays absent, as in Kubernetes.
			if list, ok := orig[field].([]any); ok {
				orig[field] = smpRemoveValues(list, pv)
			}
		}
	}
	// The lists as they were, which orders the merged ones.
	origLists := map[string][]any{}
	for k := range patch {
		field, ok := strings.CutPrefix(k, smpSetElementOrder)
		if !ok {
			field = k
		}
		if l, ok := orig[field].([]any); ok {
			origLists[field] = l
		}
	}
	for k, pv := range patch {
		if strings.HasPrefix(k, "$") {
			continue
		}
		if pv == nil {
			delete(orig, k)
			continue
		}
		f := smpChild(t, k)
		v, err := smpMergeValue(orig[k], pv, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		// Ordered by the patch even when a $setElementOrder orders it
		// again: Kubernetes does both, and the second order keeps parts of
		// the first. A list the original lacks is the patch's, unordered.
		if list, ok := v.([]any); ok && f.merge && origLists[k] != nil {
			v = smpNormalize(list, smpPlain(pv.([]any)), origLists[k], f.mergeKey)
		}
		if v == nil {
			delete(orig, k)
		} else {
			orig[k] = v
		}
	}
	for k, order := range patch {
		if field, ok := strings.CutPrefix(k, smpSetElementOrder); ok {
			names, ok := order.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: want a list", k)
			}
			if list, ok := orig[field].([]any); ok {
				key := smpChild(t, field).mergeKey
				before := smpMergedInPlace(origLists[field], patch[field], key)
				orig[field] = smpNormalize(list, names, before, key)
			}
		}
	}
	return orig, nil
}

// smpMergedInPlace is the list Kubernetes orders a list merged by key by
// for its $setElementOrder: the original list, which it has merged in
// place. It deletes an element by moving the rest up, and appends the new
// ones to what is left in the same array; the original list (of its former
// length) then ends with the first new elements where the deleted ones
// were, which puts those after the server's own elements.
func smpMergedInPlace(before []any, patch any, key string) []any {
	plist, ok := patch.([]any)
	if !ok || key == "" {
		return before
	}
	view := slices.Clip(slices.Clone(before))
	list, replace := view, false
	for _, pe := range plist {
		pm, _ := pe.(map[string]any)
		switch pm[smpPatch] {
		case "delete":
			for at := smpIndex(list, key, pm[key]); at >= 0; at = smpIndex(list, key, pm[key]) {
				list = append(list[:at], list[at+1:]...)
			}
		case "replace":
			replace = true
		}
	}
	for _, pe := range plist {
		pm, _ := pe.(map[string]any)
		if _, directive := pm[smpPatch]; !replace && !directive && smpIndex(list, key, pm[key]) < 0 {
			list = append(list, pm)
		}
	}
	return view
}

func smpIndex(list []any, key string, v any) int {
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && reflect.DeepEqual(m[key], v) {
			return i
		}
	}
	return -1
}

// smpMergeValue merges one patch value into the original one of field f.
func smpMergeValue(orig, pv any, f smpField) (any, error) {
	switch pv := pv.(type) {
	case map[string]any:
		om, ok := orig.(map[string]any)
		if d, _ := pv[smpPatch].(string); d == "delete" && !ok {
			return nil, nil // nothing to delete: the field stays absent
		}
		m, err := smpMergeMap(om, pv, f.typ)
		if err != nil {
			return nil, err
		}
		return m, nil
	case []any:
		ol, had := orig.([]any)
		switch {
		case f.merge && !had:
			return smpNewList(pv, smpElem(f.typ))
		case f.merge && f.mergeKey != "":
			return smpMergeList(ol, pv, f.mergeKey, smpElem(f.typ))
		case f.merge:
			return smpUnion(ol, pv), nil
		}
		return smpCleanList(pv, smpElem(f.typ))
	}
	return pv, nil
}

// smpMergeList merges a list of maps by key as Kubernetes does: the
// directive elements first (a delete removes every element of its key, a
// replace anywhere replaces the list with the other elements), then each
// other element merged into the first of its key, or appended.
func smpMergeList(orig, patch []any, key string, elem reflect.Type) ([]any, error) {
	out := slices.Clone(orig)
	var rest []any
	replace := false
	for i, pe := range patch {
		pm, ok := pe.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("[%d]: want an object with %q in a list merged by it", i, key)
		}
		d, directive := pm[smpPatch]
		kv, hasKey := pm[key]
		switch {
		case !directive && hasKey:
			rest = append(rest, pm)
		case !directive:
			return nil, fmt.Errorf("[%d]: the element has no merge key %q", i, key)
		case d == "replace":
			replace = true
		case d == "delete" && hasKey:
			for at := smpIndex(out, key, kv); at >= 0; at = smpIndex(out, key, kv) {
				out = slices.Delete(out, at, at+1)
			}
		case d == "delete":
			return nil, fmt.Errorf("[%d]: the element to delete has no merge key %q", i, key)
		default:
			return nil, fmt.Errorf("[%d]: %s: want replace or delete in a list, not %v", i, smpPatch, d)
		}
	}
	if replace {
		return smpCleanList(rest, elem)
	}
	for _, pe := range rest {
		pm := pe.(map[string]any)
		kv := pm[key]
		at := smpIndex(out, key, kv)
		var base map[string]any
		if at >= 0 {
			base, _ = out[at].(map[string]any)
		}
		merged, err := smpMergeMap(base, pm, elem)
		if err != nil {
			return nil, fmt.Errorf("[%s=%v]: %w", key, kv, err)
		}
		if at >= 0 {
			out[at] = merged
		} else {
			out = append(out, merged)
		}
	}
	return out, nil
}

// smpNewList is a merge list the original lacks: Kubernetes takes the
// patch's as it is, without its directive elements, and merges nothing by
// key, so that two elements of one key (a port over TCP and UDP) stay two.
func smpNewList(patch []any, elem reflect.Type) ([]any, error) {
	out := make([]any, 0, len(patch))
	for i, pe := range patch {
		pm, ok := pe.(map[string]any)
		if !ok {
			out = append(out, pe)
			continue
		}
		if _, directive := pm[smpPatch]; directive {
			continue
		}
		m, err := smpMergeMap(nil, pm, elem)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// smpUnion adds to a primitive list the patch's values it lacks.
func smpUnion(orig, patch []any) []any {
	out := append([]any{}, orig...)
	for _, v := range patch {
		if !smpContains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func smpContains(list []any, v any) bool {
	for _, e := range list {
		if reflect.DeepEqual(e, v) {
			return true
		}
	}
	return false
}

// smpRemoveValues is $deleteFromPrimitiveList: list without the listed
// values (an empty list, not null, when none is left, as in Kubernetes).
func smpRemoveValues(list []any, values any) []any {
	drop, _ := values.([]any)
	out := []any{}
	for _, v := range list {
		if !smpContains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

// smpClean strips directives from a value that replaces the original.
func smpClean(m map[string]any, t reflect.Type) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range m {
		if strings.HasPrefix(k, "$") {
			continue
		}
		f := smpChild(t, k)
		switch v := v.(type) {
		case map[string]any:
			c, err := smpClean(v, f.typ)
			if err != nil {
				return nil, err
			}
			out[k] = c
		case []any:
			c, err := smpCleanList(v, smpElem(f.typ))
			if err != nil {
				return nil, err
			}
			out[k] = c
		default:
			out[k] = v
		}
	}
	return out, nil
}

func smpCleanList(list []any, elem reflect.Type) ([]any, error) {
	out := make([]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			c, err := smpClean(m, elem)
			if err != nil {
				return nil, err
			}
			e = c
		}
		out = append(out, e)
	}
	return out, nil
}

// smpPlain is a patch list without its directive elements ({"$patch": …}
// alone, or elements to delete), which do not take part in the order.
func smpPlain(list []any) []any {
	var out []any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if _, d := m[smpPatch]; d {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// smpNormalize orders a merged list as Kubernetes does: the elements the
// order names (the patch's own list, or its $setElementOrder) in that
// order, the others (the server's own) in their former order, and the two
// interleaved by the former list: an element of the server's goes before
// one of the patch's only when it came before it there.
func smpNormalize(merged, order, before []any, key string) []any {
	id := func(e any) any {
		if m, ok := e.(map[string]any); ok && key != "" {
			return m[key]
		}
		return e
	}
	indexIn := func(list []any, e any) int {
		v := id(e)
		for i, x := range list {
			if reflect.DeepEqual(id(x), v) {
				return i
			}
		}
		return -1
	}
	var named, serverOnly []any
	for _, e := range merged {
		if indexIn(order, e) >= 0 {
			named = append(named, e)
		} else {
			serverOnly = append(serverOnly, e)
		}
	}
	sortStable(named, func(a, b any) bool { return indexIn(order, a) < indexIn(order, b) })
	sortStable(serverOnly, func(a, b any) bool {
		ia, ib := indexIn(before, a), indexIn(before, b)
		return ia < 0 || ib < 0 || ia < ib
	})
	out := make([]any, 0, len(merged))
	i, j := 0, 0
	for i < len(serverOnly) || j < len(named) {
		switch {
		case i >= len(serverOnly):
			out = append(out, named[j])
			j++
		case j >= len(named):
			out = append(out, serverOnly[i])
			i++
		default:
			li, ri := indexIn(before, serverOnly[i]), indexIn(before, named[j])
			if li >= 0 && ri >= 0 && li < ri {
				out = append(out, serverOnly[i])
				i++
			} else {
				out = append(out, named[j])
				j++
			}
		}
	}
	return out
}

func sortStable(list []any, less func(a, b any) bool) {
	sort.SliceStable(list, func(i, j int) bool { return less(list[i], list[j]) })
}
