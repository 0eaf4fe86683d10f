package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

var jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

func typeOfObject(obj Object) reflect.Type { return reflect.TypeOf(obj).Elem() }

// unknownFields walks a decoded JSON value alongside the Go type it was
// meant for and returns the paths of keys the type has no field for.
func unknownFields(v any, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return nil // decodes itself (IntOrString, Time, Version)
	}
	switch val := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			return unknownStructFields(val, t, path)
		case reflect.Map:
			var out []string
			for _, k := range sortedKeys(val) {
				out = append(out, unknownFields(val[k], t.Elem(), path+"["+k+"]")...)
			}
			return out
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			var out []string
			for i, e := range val {
				out = append(out, unknownFields(e, t.Elem(), idx(path, i))...)
			}
			return out
		}
	}
	return nil
}

func unknownStructFields(m map[string]any, t reflect.Type, path string) []string {
	fields := jsonFields(t)
	var out []string
	for _, k := range sortedKeys(m) {
		p := k
		if path != "" {
			p = path + "." + k
		}
		ft, ok := fields[k]
		if !ok {
			out = append(out, p)
			continue
		}
		out = append(out, unknownFields(m[k], ft, p)...)
	}
	return out
}

// jsonFields maps JSON names to field types, flattening embedded structs
// (TypeMeta, ObjectMeta, ProbeHandler…) the way encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if cached, ok := jsonFieldCache.Load(t); ok {
		return cached.(map[string]reflect.Type)
	}
	out := buildJSONFields(t)
	jsonFieldCache.Store(t, out)
	return out
}

// jsonFieldCache keeps each type's field map: types never change at run
// time, and strict decoding is on the API's hot path.
var jsonFieldCache sync.Map

func buildJSONFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				if _, taken := out[k]; !taken {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
