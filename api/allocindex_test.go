package api

import "testing"

func TestAllocIndex(t *testing.T) {
	yes := true
	cases := []struct {
		name string
		pod  Pod
		want string
	}{
		{"replicaset pod", Pod{ObjectMeta: ObjectMeta{Name: "web-abc", Annotations: map[string]string{AnnotationAllocIndex: "3"}}}, "3"},
		{"indexed job pod", Pod{ObjectMeta: ObjectMeta{Name: "j-x", Annotations: map[string]string{annotationCompletionIndex: "7"}}}, "7"},
		{"statefulset pod", Pod{ObjectMeta: ObjectMeta{Name: "db-12", OwnerReferences: []OwnerReference{{Kind: "StatefulSet", Name: "db", Controller: &yes}}}}, "12"},
		{"garbage annotation", Pod{ObjectMeta: ObjectMeta{Name: "x", Annotations: map[string]string{AnnotationAllocIndex: "two"}}}, "0"},
		{"daemonset pod", Pod{ObjectMeta: ObjectMeta{Name: "ds-abc", OwnerReferences: []OwnerReference{{Kind: "DaemonSet", Controller: &yes}}}}, "0"},
	}
	for _, tc := range cases {
		if got := AllocIndex(&tc.pod); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
