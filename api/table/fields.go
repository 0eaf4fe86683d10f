// Package table renders objects as rows of kubectl-style columns: the CLI
// prints them, and the API server serves them as Kubernetes' meta.k8s.io
// Table, which an unmodified kubectl asks for (`kubectl get`).
package table

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/barque-io/barque/api"
)

// Fields is an object in its JSON form. Columns read fields this way so
// they work for every kind without depending on its Go type.
type Fields map[string]any

// FromObject is o in its JSON form.
func FromObject(o api.Object) (Fields, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var f Fields
	return f, json.Unmarshal(b, &f)
}

// AsFields views one element of a list as Fields (nil when it is not an
// object).
func AsFields(v any) Fields {
	m, _ := v.(map[string]any)
	return m
}

// Get walks a path of map keys.
func (f Fields) Get(path ...string) any {
	var cur any = map[string]any(f)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// Str reads a string field (a number or boolean in its JSON text), or ""
// when absent.
func (f Fields) Str(path ...string) string {
	switch v := f.Get(path...).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// Num reads a number field, or 0.
func (f Fields) Num(path ...string) int64 {
	n, _ := f.Get(path...).(float64)
	return int64(n)
}

// List reads a list field, or nil.
func (f Fields) List(path ...string) []any {
	l, _ := f.Get(path...).([]any)
	return l
}

// Dict reads an object field, or nil.
func (f Fields) Dict(path ...string) map[string]any {
	m, _ := f.Get(path...).(map[string]any)
	return m
}

// OrNone is kubectl's placeholder for an empty cell.
func OrNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// OrDefault is s, or def when s is empty.
func OrDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Itoa formats an integer cell.
func Itoa(n int64) string { return fmt.Sprint(n) }
