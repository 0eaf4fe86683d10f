package fsm

import (
	"errors"
	"testing"

	"github.com/barque-io/barque/api"
)

func readyNode(name, cpu, mem string) *api.Node {
	return &api.Node{TypeMeta: api.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name, UID: "u-" + name},
		Status: api.NodeStatus{Allocatable: api.ResourceList{"cpu": cpu, "memory": mem, "pods": "3"},
			Conditions: []api.Condition{{Type: api.NodeReady, Status: api.ConditionTrue}}}}
}

func podReq(name, cpu, mem string, hostPort int32) *api.Pod {
	c := api.Container{Name: "c", Image: "x", Resources: api.ResourceRequirements{Requests: api.ResourceList{"cpu": cpu, "memory": mem}}}
	if hostPort > 0 {
		c.Ports = []api.ContainerPort{{ContainerPort: hostPort, HostPort: hostPort}}
	}
	return &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: "u-" + name}, Spec: api.PodSpec{Containers: []api.Container{c}}}
}

func TestBindRechecksFit(t *testing.T) {
	f := withDefaultNS(t, New(0))
	notReady := readyNode("down", "4", "4Gi")
	notReady.Status.Conditions[0].Status = api.ConditionUnknown
	ops := []Op{op(t, OpCreate, readyNode("n1", "1", "1Gi")), op(t, OpCreate, notReady),
		op(t, OpCreate, podReq("a", "600m", "100Mi", 8080)), op(t, OpCreate, podReq("b", "600m", "100Mi", 0)),
		op(t, OpCreate, podReq("c", "100m", "100Mi", 8080)), op(t, OpCreate, podReq("d", "100m", "2Gi", 0)),
		op(t, OpCreate, podReq("e", "100m", "100Mi", 0))}
	f.Apply(1, mustOps(t, ops...))
	cases := []struct {
		pod, node string
		rv        api.Version
		wantErr   bool
	}{
		{"a", "n1", 1, false},
		{"b", "n1", 1, true},   // 600m + 600m > 1 CPU
		{"c", "n1", 1, true},   // host port 8080 taken by a
		{"d", "n1", 1, true},   // memory
		{"e", "down", 1, true}, // node not ready
		{"e", "nope", 1, true}, // node missing
		{"e", "n1", 99, true},  // stale resourceVersion
		{"a", "n1", 2, true},   // already bound (a's version is now 2)
		{"e", "n1", 1, false},
	}
	for i, tc := range cases {
		idx := uint64(2 + i)
		rs := results(t, f.Apply(idx, mustOps(t, NewBindOp("default", tc.pod, "", tc.rv, tc.node, nil))))
		if (rs[0].Err != nil) != tc.wantErr {
			t.Fatalf("case %d bind %s to %s: err %v, want error %v", i, tc.pod, tc.node, rs[0].Err, tc.wantErr)
		}
		if tc.wantErr && tc.node != "nope" && !errors.Is(rs[0].Err, api.ErrConflict) {
			t.Fatalf("case %d: refusal %v is not a Conflict", i, rs[0].Err)
		}
	}
	obj, _ := f.Store().Get("Pod", "default", "a")
	p := obj.(*api.Pod)
	if p.Spec.NodeName != "n1" || api.FindCondition(p.Status.Conditions, api.PodScheduled) == nil {
		t.Fatalf("bound pod: node %q conditions %v", p.Spec.NodeName, p.Status.Conditions)
	}
}
