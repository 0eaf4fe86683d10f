package api_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/barque-io/barque/api"
)

// TestPatchTagsMatchKubernetes: every field Barque's types share with
// Kubernetes' carries the same patchStrategy and patchMergeKey, so that a
// strategic merge patch means the same on both.
func TestPatchTagsMatchKubernetes(t *testing.T) {
	for _, pair := range [][2]any{
		{api.Pod{}, corev1.Pod{}}, {api.Node{}, corev1.Node{}}, {api.Service{}, corev1.Service{}},
		{api.Namespace{}, corev1.Namespace{}}, {api.ConfigMap{}, corev1.ConfigMap{}},
		{api.Deployment{}, appsv1.Deployment{}}, {api.ReplicaSet{}, appsv1.ReplicaSet{}},
		{api.DaemonSet{}, appsv1.DaemonSet{}}, {api.StatefulSet{}, appsv1.StatefulSet{}},
	} {
		compareTags(t, reflect.TypeOf(pair[0]), reflect.TypeOf(pair[1]), reflect.TypeOf(pair[0]).Name(), map[reflect.Type]bool{})
	}
}

func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" && (f.Anonymous || strings.Contains(opts, "inline")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		out[name] = f
	}
	return out
}

func structOf(t reflect.Type) reflect.Type {
	seen := map[reflect.Type]bool{}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		if seen[t] {
			return nil // a type of itself (FieldSet, a map of FieldSets)
		}
		seen[t] = true
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	return t
}

func compareTags(t *testing.T, ours, theirs reflect.Type, path string, seen map[reflect.Type]bool) {
	if seen[ours] {
		return
	}
	seen[ours] = true
	mine := jsonFields(ours)
	for name, kf := range jsonFields(theirs) {
		of, ok := mine[name]
		if !ok {
			continue
		}
		for _, tag := range []string{"patchStrategy", "patchMergeKey"} {
			if of.Tag.Get(tag) != kf.Tag.Get(tag) {
				t.Errorf("%s.%s: %s %q, Kubernetes has %q", path, name, tag, of.Tag.Get(tag), kf.Tag.Get(tag))
			}
		}
		if so, sk := structOf(of.Type), structOf(kf.Type); so != nil && sk != nil {
			compareTags(t, so, sk, path+"."+name, seen)
		}
	}
}

// TestStrategicMergePatchAgreesWithKubernetes applies patches as kubectl
// sends them (apply's three-way patches with $setElementOrder and
// $retainKeys, patch --type strategic with directives) both with Barque's
// implementation and with Kubernetes' own (k8s.io/apimachinery), and
// wants the same object.
func TestStrategicMergePatchAgreesWithKubernetes(t *testing.T) {
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"a":"1","b":"2"},
		"finalizers":["x","y"],"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"o","uid":"u1"}]},
		"spec":{"containers":[{"name":"web","image":"web:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
		"ports":[{"containerPort":80},{"containerPort":443}],"volumeMounts":[{"name":"v","mountPath":"/v"}]},
		{"name":"log","image":"log:1"}],"volumes":[{"name":"v","emptyDir":{}},{"name":"w","configMap":{"name":"c"}}],
		"tolerations":[{"key":"k","operator":"Exists"}],"nodeSelector":{"zone":"a"}}}`
	deploy := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"default"},
		"spec":{"replicas":2,"selector":{"matchLabels":{"app":"w"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
		"template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"web","image":"web:1"}]}}}}`
	for _, tc := range []struct {
		name, kind, orig, patch string
		schema                  any
	}{
		{"add a sidecar", "Pod", pod, `{"spec":{"containers":[{"name":"side","image":"side:1"}]}}`, &corev1.Pod{}},
		{"change one image", "Pod", pod, `{"spec":{"containers":[{"name":"web","image":"web:2"}]}}`, &corev1.Pod{}},
		{"delete a container", "Pod", pod, `{"spec":{"containers":[{"name":"log","$patch":"delete"}]}}`, &corev1.Pod{}},
		{"replace the containers", "Pod", pod, `{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"o:1"}]}}`, &corev1.Pod{}},
		{"env by name", "Pod", pod, `{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}}`, &corev1.Pod{}},
		{"ports by number", "Pod", pod, `{"spec":{"containers":[{"name":"web","ports":[{"containerPort":8080,"name":"alt"}]}]}}`, &corev1.Pod{}},
		{"tolerations replaced", "Pod", pod, `{"spec":{"tolerations":[{"key":"z","operator":"Exists"}]}}`, &corev1.Pod{}},
		{"labels and nulls", "Pod", pod, `{"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"nodeSelector":null}}`, &corev1.Pod{}},
		{"finalizers union", "Pod", pod, `{"metadata":{"finalizers":["z","x"]}}`, &corev1.Pod{}},
		{"finalizer removed", "Pod", pod, `{"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}`, &corev1.Pod{}},
		{"set element order", "Pod", pod, `{"spec":{"$setElementOrder/containers":[{"name":"log"},{"name":"web"}],"containers":[{"name":"web","image":"web:3"}]}}`, &corev1.Pod{}},
		{"apply three-way", "Pod", pod, `{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"new"}],"containers":[{"name":"new","image":"n:1"},{"name":"log","$patch":"delete"}]}}`, &corev1.Pod{}},
		{"volume source switched", "Pod", pod, `{"spec":{"volumes":[{"name":"w","$retainKeys":["name","secret"],"secret":{"secretName":"s"}}]}}`, &corev1.Pod{}},
		{"owner reference by uid", "Pod", pod, `{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"o2","uid":"u2"}]}}`, &corev1.Pod{}},
		{"map replaced", "Pod", pod, `{"spec":{"nodeSelector":{"$patch":"replace","zone":"b"}}}`, &corev1.Pod{}},
		{"strategy retainKeys", "Deployment", deploy, `{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}`, &appsv1.Deployment{}},
		{"template image", "Deployment", deploy, `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:2"}]}}}}`, &appsv1.Deployment{}},
		{"restart annotation", "Deployment", deploy, `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-25T00:00:00Z"}}}}}`, &appsv1.Deployment{}},
		{"scale", "Deployment", deploy, `{"spec":{"replicas":5}}`, &appsv1.Deployment{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := strategicpatch.StrategicMergePatch([]byte(tc.orig), []byte(tc.patch), tc.schema)
			if err != nil {
				t.Fatalf("Kubernetes' implementation: %v", err)
			}
			got, err := api.StrategicMergePatch(tc.kind, []byte(tc.orig), []byte(tc.patch))
			if err != nil {
				t.Fatalf("Barque's implementation: %v", err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("patched differently:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestStrategicMergePatchRefusesInconsistentRetainKeys: a $retainKeys that
// does not keep a field the same patch sets is refused, as Kubernetes
// refuses it ("invalid patch format of retainKeys").
func TestStrategicMergePatchRefusesInconsistentRetainKeys(t *testing.T) {
	orig := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"strategy":{"type":"RollingUpdate"}}}`
	for _, patch := range []string{
		`{"spec":{"strategy":{"$retainKeys":["type"],"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}`,
		`{"spec":{"strategy":{"$retainKeys":[1],"type":"Recreate"}}}`,
	} {
		if _, err := strategicpatch.StrategicMergePatch([]byte(orig), []byte(patch), &appsv1.Deployment{}); err == nil {
			t.Fatalf("Kubernetes accepts %s", patch)
		}
		if out, err := api.StrategicMergePatch("Deployment", []byte(orig), []byte(patch)); err == nil {
			t.Errorf("%s: applied (%s), want an error as Kubernetes gives", patch, out)
		}
	}
}
