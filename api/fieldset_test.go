package api

import (
	"encoding/json"
	"reflect"
	"testing"
)

func mustMap(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFieldsOf: the field set of an applied Deployment is Kubernetes'
// FieldsV1: containers keyed by name with "." for the element, env by
// name, finalizers as a set, an atomic list (args) as a leaf; identity and
// status are nobody's, and an empty map claims nothing.
func TestFieldsOf(t *testing.T) {
	cfg := mustMap(t, `{"apiVersion":"apps/v1","kind":"Deployment",
		"metadata":{"name":"web","namespace":"default","labels":{"a":"1"},"annotations":{},"finalizers":["x"]},
		"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","args":["-v"],"env":[{"name":"A","value":"1"}]}]}}},
		"status":{"replicas":5}}`)
	got, _ := json.Marshal(FieldsOf("Deployment", cfg))
	want := `{"f:metadata":{"f:finalizers":{"v:\"x\"":{}},"f:labels":{"f:a":{}}},` +
		`"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:args":{},` +
		`"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},"f:name":{}}}}}}}`
	if string(got) != want {
		t.Fatalf("FieldsOf:\n got %s\nwant %s", got, want)
	}
}

// TestFieldSetOps: pruning, leaves, removal from a set and from an
// object, with list elements owned whole or in part.
func TestFieldSetOps(t *testing.T) {
	var prev, applied, others FieldSet
	_ = json.Unmarshal([]byte(`{"f:spec":{"f:replicas":{},"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:name":{},"f:image":{}},"k:{\"name\":\"b\"}":{".":{},"f:name":{},"f:image":{}}}},"f:metadata":{"f:labels":{"f:x":{},"f:y":{}}}}`), &prev)
	_ = json.Unmarshal([]byte(`{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:name":{},"f:image":{}}}},"f:metadata":{"f:labels":{"f:x":{}}}}`), &applied)
	_ = json.Unmarshal([]byte(`{"f:spec":{"f:replicas":{},"f:containers":{"k:{\"name\":\"b\"}":{"f:image":{}}}}}`), &others)
	removed := prev.Prune(applied, others)
	got, _ := json.Marshal(removed)
	// y goes; b stays (others own its image) but its name is given up.
	if want := `{"f:metadata":{"f:labels":{"f:y":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"b\"}":{"f:name":{}}}}}`; string(got) != want {
		t.Fatalf("removed %s, want %s", got, want)
	}
	obj := mustMap(t, `{"metadata":{"labels":{"x":"1","y":"2"}},"spec":{"replicas":3,"containers":[{"name":"a","image":"i"},{"name":"b","image":"j"},{"name":"c"}]}}`)
	gone := FieldSet{"f:spec": {"f:containers": {`k:{"name":"c"}`: {".": {}}}}}
	RemoveFields(obj, removed.Union(gone))
	got, _ = json.Marshal(obj)
	if want := `{"metadata":{"labels":{"x":"1"}},"spec":{"containers":[{"image":"i","name":"a"},{"image":"j"}],"replicas":3}}`; string(got) != want {
		t.Fatalf("the object after removal: %s", got)
	}
	leaves := applied.Leaves()
	if want := [][]string{{"f:metadata", "f:labels", "f:x"}, {"f:spec", "f:containers", `k:{"name":"a"}`, "f:image"},
		{"f:spec", "f:containers", `k:{"name":"a"}`, "f:name"}}; !reflect.DeepEqual(leaves, want) {
		t.Fatalf("leaves %v", leaves)
	}
	if v, ok := ValueAt(obj, []string{"f:spec", "f:containers", `k:{"name":"a"}`, "f:image"}); !ok || v != "i" {
		t.Fatalf("ValueAt image of a: %v %v", v, ok)
	}
	if p := PathString(leaves[1]); p != `.spec.containers[name="a"].image` {
		t.Fatalf("PathString %s", p)
	}
	applied.Remove([]string{"f:metadata", "f:labels", "f:x"})
	if _, ok := applied["f:metadata"]; ok {
		t.Fatalf("removing the last label left %v", applied)
	}
}
