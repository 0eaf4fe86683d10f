package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// decodeFast decodes js into obj with encoding/json's unknown-field check,
// and reports ok=false when the precise (slower) path must decide instead:
// on any decode error, or when some key differs only in case from a field
// name (encoding/json would match it; Kubernetes does not).
func decodeFast(js []byte, obj Object) bool {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return false
	}
	return !hasCaseMismatchedKey(js)
}

var (
	fieldNamesOnce sync.Once
	exactNames     map[string]bool
	lowerNames     map[string]bool
)

// loadFieldNames collects every JSON field name of every registered kind.
func loadFieldNames() {
	exactNames, lowerNames = map[string]bool{}, map[string]bool{}
	seen := map[reflect.Type]bool{}
	for _, k := range Kinds() {
		collectNames(typeOfObject(k.New()), seen)
	}
	for n := range exactNames {
		lowerNames[strings.ToLower(n)] = true
	}
}

func collectNames(t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for name, ft := range jsonFields(t) {
		exactNames[name] = true
		collectNames(ft, seen)
	}
}

// hasCaseMismatchedKey scans the object keys of a JSON document (without
// building it) for one that is not a field name but matches one ignoring
// case. Map keys (ConfigMap data…) may trip it; that only costs the precise
// path, which knows maps from structs.
func hasCaseMismatchedKey(js []byte) bool {
	fieldNamesOnce.Do(loadFieldNames)
	for i := 0; i < len(js); i++ {
		if js[i] != '"' {
			continue
		}
		end := stringEnd(js, i+1)
		if end < 0 {
			return true
		}
		j := end + 1
		for j < len(js) && (js[j] == ' ' || js[j] == '\n' || js[j] == '\t' || js[j] == '\r') {
			j++
		}
		if j < len(js) && js[j] == ':' {
			key := string(js[i+1 : end])
			if !exactNames[key] && lowerNames[strings.ToLower(key)] {
				return true
			}
		}
		i = end
	}
	return false
}

// stringEnd returns the index of the quote closing a JSON string that
// starts at i, or -1.
func stringEnd(js []byte, i int) int {
	for ; i < len(js); i++ {
		switch js[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
