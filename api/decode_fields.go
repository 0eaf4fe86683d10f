package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

var jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

func typeOfObject(obj Object) reflect.Type { return reflect.TypeOf(obj).Elem() }

// fieldReport is what checkFields found: the paths of keys Barque's type
// has no field for, split into unknown (Kubernetes has no such field
// either: a typo) and unimplemented (a valid Kubernetes field that Barque
// does not implement). Paths are sorted within each object, with list
// indexes and map keys in brackets.
type fieldReport struct {
	unknown, unimplemented []string
	// dropUnknown deletes unknown keys too (fieldValidation Warn, Ignore).
	dropUnknown bool
}

// checkFields walks a decoded JSON value alongside the Go type it was meant
// for and the Kubernetes type at the same place, and reports the keys the
// Go type has no field for. Unimplemented keys are deleted from v, so that
// what remains decodes strictly.
func (r *fieldReport) checkFields(v any, t reflect.Type, k k8sRef, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return // decodes itself (IntOrString, Time, Version)
	}
	switch val := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			r.checkStructFields(val, t, k, path)
		case reflect.Map:
			for _, key := range sortedKeys(val) {
				r.checkFields(val[key], t.Elem(), k.elem("{}"), path+"["+key+"]")
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range val {
				r.checkFields(e, t.Elem(), k.elem("[]"), idx(path, i))
			}
		}
	}
}

func (r *fieldReport) checkStructFields(m map[string]any, t reflect.Type, k k8sRef, path string) {
	fields := jsonFields(t)
	for _, key := range sortedKeys(m) {
		p := key
		if path != "" {
			p = path + "." + key
		}
		kf, inK8s := k.field(key)
		ft, ok := fields[key]
		switch {
		case ok:
			r.checkFields(m[key], ft, kf, p)
		case inK8s:
			r.unimplemented = append(r.unimplemented, p)
			delete(m, key)
		default:
			r.unknown = append(r.unknown, p)
			if r.dropUnknown {
				delete(m, key)
			}
		}
	}
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
