package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// maxDiffLines bounds the field lines printed per object.
const maxDiffLines = 30

// fieldDiff lists how object b differs from a, field by field, as Nomad's
// plan shows a job's diff: "+ path: value" added, "- path: value" removed,
// "~ path: old => new" changed. Lists of equal length are compared item by
// item; otherwise a list is one changed value.
func fieldDiff(a, b any) []string {
	var out []string
	diffValue("", a, b, &out)
	if len(out) > maxDiffLines {
		out = append(out[:maxDiffLines], fmt.Sprintf("… and %d more", len(out)-maxDiffLines))
	}
	return out
}

func diffValue(path string, a, b any, out *[]string) {
	if reflect.DeepEqual(a, b) {
		return
	}
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			diffMaps(path, av, bv, out)
			return
		}
	case []any:
		if bv, ok := b.([]any); ok && len(av) == len(bv) {
			for i := range av {
				diffValue(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], out)
			}
			return
		}
	}
	*out = append(*out, fmt.Sprintf("~ %s: %s => %s", path, shortJSON(a), shortJSON(b)))
}

func diffMaps(path string, a, b map[string]any, out *[]string) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		p := k
		if path != "" {
			p = path + "." + k
		}
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inA:
			*out = append(*out, fmt.Sprintf("+ %s: %s", p, shortJSON(bv)))
		case !inB:
			*out = append(*out, fmt.Sprintf("- %s: %s", p, shortJSON(av)))
		default:
			diffValue(p, av, bv, out)
		}
	}
}

// shortJSON renders a value compactly, cut to one short line.
func shortJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// recordedObjects indexes a submission's objects by "kind/name", decoded
// as generic JSON for fieldDiff.
func recordedObjects(raws []json.RawMessage) map[string]any {
	m := map[string]any{}
	for _, v := range decodeRaws(raws) {
		o := asObj(v)
		m[o.Str("kind")+"/"+o.Str("metadata", "name")] = v
	}
	return m
}
