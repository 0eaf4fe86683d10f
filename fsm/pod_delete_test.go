package fsm

import (
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

func graceOp(name string, grace *int64, at time.Time) Op {
	return Op{Type: OpDelete, Kind: "Pod", Namespace: "default", Name: name, Time: api.NewTime(at), GracePeriodSeconds: grace}
}

func storedPod(t *testing.T, f *FSM, name string) *api.Pod {
	t.Helper()
	obj, _ := f.Store().Get("Pod", "default", name)
	if obj == nil {
		return nil
	}
	return obj.(*api.Pod)
}

// TestPodDeletionIsGraceful: a pod a node runs is marked, not removed: its
// deletionTimestamp is the delete's time plus the grace period (the
// delete's own, else the pod's, else 30 s); a later delete may shorten the
// period but not lengthen it; a status write meanwhile keeps it; the
// node's delete of grace 0 removes it. Unbound and finished pods go at
// once, as in Kubernetes.
func TestPodDeletionIsGraceful(t *testing.T) {
	f := withDefaultNS(t, New(0))
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	mk := func(name, node string, grace *int64) *api.Pod {
		return &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: "u-" + name},
			Spec: api.PodSpec{NodeName: node, TerminationGracePeriodSeconds: grace,
				Containers: []api.Container{{Name: "a", Image: "x"}}}}
	}
	idx := uint64(1)
	apply := func(ops ...Op) []Result {
		idx++
		return results(t, f.Apply(idx, mustOps(t, ops...)))
	}
	apply(op(t, OpCreate, mk("bound", "n1", api.Ptr(int64(20)))), op(t, OpCreate, mk("default-grace", "n1", nil)),
		op(t, OpCreate, mk("unbound", "", nil)), op(t, OpCreate, mk("done", "n1", nil)))
	done := mk("done", "n1", nil)
	done.Status.Phase = api.PodSucceeded
	apply(op(t, OpUpdateStatus, done))

	apply(graceOp("bound", nil, at), graceOp("default-grace", nil, at), graceOp("unbound", nil, at), graceOp("done", nil, at))
	for name, want := range map[string]int64{"bound": 20, "default-grace": 30} {
		p := storedPod(t, f, name)
		if p == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != want ||
			!p.DeletionTimestamp.Equal(at.Add(time.Duration(want)*time.Second)) {
			t.Fatalf("%s after a graceful delete: %+v, want a %d s grace period", name, p, want)
		}
	}
	for _, name := range []string{"unbound", "done"} {
		if p := storedPod(t, f, name); p != nil {
			t.Fatalf("%s still stored after its delete: %+v", name, p.ObjectMeta)
		}
	}

	// Longer: no change. Shorter: the period and the deadline move.
	later := at.Add(5 * time.Second)
	apply(graceOp("bound", api.Ptr(int64(60)), later))
	if p := storedPod(t, f, "bound"); *p.DeletionGracePeriodSeconds != 20 {
		t.Fatalf("a longer grace period replaced the running one: %d", *p.DeletionGracePeriodSeconds)
	}
	apply(graceOp("bound", api.Ptr(int64(3)), later))
	// As Kubernetes: the first delete's time plus the new period.
	if p := storedPod(t, f, "bound"); *p.DeletionGracePeriodSeconds != 3 || !p.DeletionTimestamp.Equal(at.Add(3*time.Second)) {
		t.Fatalf("a shorter grace period: %+v", p.ObjectMeta)
	}

	// The node reports the pod stopping; it stays until the final delete.
	stopping := mk("bound", "n1", api.Ptr(int64(20)))
	stopping.Status.Phase = api.PodFailed
	if rs := apply(op(t, OpUpdateStatus, stopping)); rs[0].Err != nil || storedPod(t, f, "bound") == nil {
		t.Fatalf("a status write during the grace period: %v, stored %v", rs[0].Err, storedPod(t, f, "bound") != nil)
	}
	zero := int64(0)
	final := graceOp("bound", &zero, later)
	final.UID = "u-bound"
	if rs := apply(final); rs[0].Err != nil || storedPod(t, f, "bound") != nil {
		t.Fatalf("the node's delete of grace 0: %v, still stored: %v", rs[0].Err, storedPod(t, f, "bound") != nil)
	}

	// A delete of grace 0 of a pod held by a finalizer records the period
	// as over: a later delete does not start one.
	forced := mk("forced", "n1", nil)
	forced.Finalizers = []string{"barque.io/test"}
	apply(op(t, OpCreate, forced))
	apply(graceOp("forced", &zero, at))
	apply(graceOp("forced", nil, later))
	if p := storedPod(t, f, "forced"); p == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != 0 ||
		!p.DeletionTimestamp.Equal(at) {
		t.Fatalf("a delete after a delete of grace 0: %+v, want the period still over", p)
	}

	// With a finalizer, grace 0 ends the period; the finalizer's removal
	// then removes the pod.
	fin := mk("held", "n1", nil)
	fin.Finalizers = []string{"barque.io/test"}
	apply(op(t, OpCreate, fin))
	apply(graceOp("held", nil, at))
	apply(graceOp("held", &zero, at))
	p := storedPod(t, f, "held")
	if p == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != 0 {
		t.Fatalf("a pod with a finalizer after grace 0: %+v", p)
	}
	released := api.Clone(p)
	released.Finalizers = nil
	apply(op(t, OpUpdate, released))
	if storedPod(t, f, "held") != nil {
		t.Fatal("the pod stayed after its finalizer was removed")
	}
}
