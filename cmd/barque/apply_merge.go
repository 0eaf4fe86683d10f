package main

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/barque-io/barque/api"
)

// lastAppliedKey keeps, on each applied object, the manifest as last
// applied, so that the next apply can remove fields the user deleted from
// the file without touching fields the server or other writers set.
const lastAppliedKey = "barque.io/last-applied-configuration"

// lastApplied is the annotation's value for a manifest: its fields without
// status (apply never writes status), resourceVersion, or the annotation.
func lastApplied(raw obj) (string, error) {
	b, err := json.Marshal(applyView(raw))
	return string(b), err
}

// applyView is the part of a manifest that apply owns.
func applyView(raw obj) obj {
	v := deepCopy(raw).(map[string]any)
	delete(v, "status")
	if md, ok := v["metadata"].(map[string]any); ok {
		delete(md, "resourceVersion")
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, lastAppliedKey)
		}
	}
	return v
}

// mergeApplied lays the manifest over the stored object: manifest fields
// win, fields only the server set stay, and fields the previous apply set
// but this manifest dropped are removed. changed is false when the result
// equals what is stored.
func mergeApplied(cur api.Object, raw obj, last string) (api.Object, bool, error) {
	curMap, err := toMap(cur)
	if err != nil {
		return nil, false, err
	}
	var prev map[string]any
	if s := curMap.Str("metadata", "annotations", lastAppliedKey); s != "" {
		_ = json.Unmarshal([]byte(s), &prev) // a mangled annotation only disables pruning
	}
	want := applyView(raw)
	merged := deepCopy(map[string]any(curMap)).(map[string]any)
	mergeInto(merged, want, prev)
	setAnnotation(merged, lastAppliedKey, last)
	if reflect.DeepEqual(merged, map[string]any(curMap)) {
		return cur, false, nil
	}
	out, err := fromMap(cur.GetTypeMeta().Kind, merged)
	if err != nil {
		return nil, false, err
	}
	// The stored object carries the server's defaults (protocols, probe
	// periods, strategy…) inside lists that the merge replaces whole:
	// compare after defaulting, as the server would, so that re-applying
	// an unchanged manifest is a no-op.
	api.Default(out)
	if outMap, err := toMap(out); err == nil && reflect.DeepEqual(map[string]any(outMap), map[string]any(curMap)) {
		return cur, false, nil
	}
	return out, true, nil
}

// mergeInto sets want's fields into dst, recursing through objects (lists
// are replaced whole), then deletes keys prev had and want no longer has.
func mergeInto(dst, want, prev map[string]any) {
	for k, v := range want {
		wm, wok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if wok && dok {
			pm, _ := prev[k].(map[string]any)
			mergeInto(dm, wm, pm)
			continue
		}
		dst[k] = deepCopy(v)
	}
	for k := range prev {
		if _, kept := want[k]; !kept {
			delete(dst, k)
		}
	}
}

func setAnnotation(m map[string]any, key, val string) {
	md, _ := m["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		m["metadata"] = md
	}
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	ann[key] = val
}

func fromMap(kind string, m map[string]any) (api.Object, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	o, err := api.NewObject(kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, o); err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return o, nil
}

// deepCopy copies decoded JSON.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case obj:
		return deepCopy(map[string]any(t))
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
