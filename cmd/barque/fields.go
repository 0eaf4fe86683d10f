package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/barque-io/barque/api"
)

// obj is an object in its JSON form. Printers read fields this way so they
// work for every kind without depending on its Go type.
type obj map[string]any

func toMap(o api.Object) (obj, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m obj
	return m, json.Unmarshal(b, &m)
}

// get walks a path of map keys.
func (o obj) get(path ...string) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// str reads a string field, or "" when absent.
func (o obj) str(path ...string) string {
	switch v := o.get(path...).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// num reads a number field, or 0.
func (o obj) num(path ...string) int64 {
	f, _ := o.get(path...).(float64)
	return int64(f)
}

func (o obj) list(path ...string) []any {
	l, _ := o.get(path...).([]any)
	return l
}

func (o obj) dict(path ...string) map[string]any {
	m, _ := o.get(path...).(map[string]any)
	return m
}

// orNone is kubectl's placeholder for an empty cell.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// asObj views one element of a list as an obj.
func asObj(v any) obj {
	m, _ := v.(map[string]any)
	return m
}

func itoa(n int64) string { return fmt.Sprint(n) }
