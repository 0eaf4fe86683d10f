package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

// allPodsByNode maps node -> every pod of ns on it, ended ones included.
func allPodsByNode(e *testEnv, ns string) map[string][]*api.Pod {
	out := map[string][]*api.Pod{}
	for _, obj := range e.store.View().List("Pod", ns, nil) {
		p := obj.(*api.Pod)
		out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p)
	}
	return out
}

// ranOnceEach checks that each of nodes holds exactly one pod, succeeded,
// and that the set says it is complete.
func ranOnceEach(t *testing.T, e *testEnv, ns, name string, nodes []string) error {
	got := allPodsByNode(e, ns)
	if len(got) != len(nodes) {
		return fmt.Errorf("pods on %d nodes, want %d", len(got), len(nodes))
	}
	for _, n := range nodes {
		if ps := got[n]; len(ps) != 1 || ps[0].Status.Phase != api.PodSucceeded {
			return fmt.Errorf("node %s: %d pods (want one, succeeded)", n, len(ps))
		}
	}
	c := api.FindCondition(getDS(t, e, ns, name).Status.Conditions, api.DaemonSetComplete)
	if c == nil || c.Status != api.ConditionTrue {
		return fmt.Errorf("condition Complete: %+v", c)
	}
	return nil
}

// TestDaemonSetRunOncePerNode: a run-once set runs one pod to completion
// on every node, never replaces it, and runs once on a node that joins.
func TestDaemonSetRunOncePerNode(t *testing.T) {
	e := newTestEnv(t)
	h1 := startHollow(t, e, "roa", 3)
	dsc := &scheduler.DaemonSetController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}
	run(t, dsc.Run)
	ns := e.namespace(t, "once")
	startJobKubelet(t, e, ns, 200*time.Millisecond, always(api.PodSucceeded))
	ds := newDaemonSet(ns, "once", map[string]string{"app": "once"})
	ds.Annotations = map[string]string{api.AnnotationRunOncePerNode: "true"}
	ds.Spec.Template.Spec.RestartPolicy = api.RestartOnFailure
	if _, err := e.cl.Create(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	nodes := h1.Nodes()
	eventually(t, 20*time.Second, func() error { return ranOnceEach(t, e, ns, "once", nodes) })
	time.Sleep(time.Second) // a resync or a stray event must not start a second run
	if err := ranOnceEach(t, e, ns, "once", nodes); err != nil {
		t.Fatalf("after completion: %v", err)
	}

	h2 := startHollow(t, e, "rob", 1)
	nodes = append(nodes, h2.Nodes()...)
	eventually(t, 20*time.Second, func() error { return ranOnceEach(t, e, ns, "once", nodes) })
}

// TestDaemonSetRunOnceValidation: a run-once set may not restart Always,
// and an ordinary one may only restart Always.
func TestDaemonSetRunOnceValidation(t *testing.T) {
	for _, tc := range []struct {
		runOnce bool
		policy  api.RestartPolicy
		ok      bool
	}{{true, api.RestartOnFailure, true}, {true, api.RestartNever, true}, {true, api.RestartAlways, false},
		{false, api.RestartAlways, true}, {false, api.RestartOnFailure, false}} {
		ds := newDaemonSet("default", "x", map[string]string{"app": "x"})
		if tc.runOnce {
			ds.Annotations = map[string]string{api.AnnotationRunOncePerNode: "true"}
		}
		ds.Spec.Template.Spec.RestartPolicy = tc.policy
		api.Default(ds)
		if err := api.Validate(ds); (err == nil) != tc.ok {
			t.Errorf("run once %v, restart %s: validate = %v, want ok %v", tc.runOnce, tc.policy, err, tc.ok)
		}
	}
}

// TestDaemonSetConstraints: a daemon's Nomad constraints (a system job's)
// limit the nodes it runs on.
func TestDaemonSetConstraints(t *testing.T) {
	e := newTestEnv(t)
	h := startHollow(t, e, "dsc", 3)
	dsc := &scheduler.DaemonSetController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}
	run(t, dsc.Run)
	ns := e.namespace(t, "constrained")
	nodes := h.Nodes()
	ds := newDaemonSet(ns, "only", map[string]string{"app": "only"})
	ds.Spec.Template.Annotations = map[string]string{
		"barque.io/constraints": `[{"attribute":"${node.unique.name}","operator":"!=","value":"` + nodes[0] + `"}]`}
	if _, err := e.cl.Create(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error { return onePerNode(e, ns, nodes[1:], "", true) })
	eventually(t, 10*time.Second, func() error { return dsStatus(t, e, ns, "only", 2, 2, 2) })
}
