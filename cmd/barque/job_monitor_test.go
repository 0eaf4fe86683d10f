package main

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func monitorPod(owner, rev string, phase api.PodPhase, ready bool) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p", Labels: map[string]string{"controller-revision-hash": rev},
		OwnerReferences: []api.OwnerReference{{UID: owner, Controller: ptrTo(true)}}},
		Spec: api.PodSpec{NodeName: "n1"}, Status: api.PodStatus{Phase: phase}}
	if ready {
		p.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: api.ConditionTrue}}
	}
	return p
}

func ptrTo[T any](v T) *T { return &v }

func TestStatefulSetRollout(t *testing.T) {
	s := &api.StatefulSet{ObjectMeta: api.ObjectMeta{UID: "s1", Generation: 2}, Spec: api.StatefulSetSpec{Replicas: ptrTo(int32(2))},
		Status: api.StatefulSetStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2,
			CurrentRevision: "r2", UpdateRevision: "r2"}}
	pods := []api.Object{monitorPod("s1", "r2", api.PodRunning, true), monitorPod("s1", "r2", api.PodRunning, false),
		monitorPod("s1", "r1", api.PodRunning, true), monitorPod("other", "r2", api.PodRunning, true)}
	var g groupRollout
	statefulSetRollout(&g, s, pods)
	// The pod not yet ready is placed, not unhealthy: it has not failed.
	if !g.done || g.desired != 2 || g.counts.placed != 2 || g.counts.healthy != 1 || g.counts.unhealthy != 0 {
		t.Errorf("rolled out: %+v", g)
	}
	crashing := monitorPod("s1", "r2", api.PodRunning, false)
	crashing.Status.ContainerStatuses = []api.ContainerStatus{{Name: "app", RestartCount: 2,
		State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}
	g = groupRollout{}
	statefulSetRollout(&g, s, []api.Object{pods[0], crashing})
	if g.counts.placed != 2 || g.counts.healthy != 1 || g.counts.unhealthy != 1 {
		t.Errorf("a crash-looping pod must count as unhealthy: %+v", g.counts)
	}
	s.Status.CurrentRevision = "r1"
	g = groupRollout{}
	statefulSetRollout(&g, s, pods)
	if g.done {
		t.Errorf("done while the current revision is not the update revision")
	}
}

func TestDaemonSetRolloutRunOnce(t *testing.T) {
	ds := &api.DaemonSet{ObjectMeta: api.ObjectMeta{UID: "d1", Generation: 1,
		Annotations: map[string]string{api.AnnotationRunOncePerNode: "true"}},
		Status: api.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 2}}
	pods := []api.Object{monitorPod("d1", "h", api.PodSucceeded, false), monitorPod("d1", "h", api.PodRunning, true)}
	for _, tc := range []struct {
		cond         *api.Condition
		done, failed bool
	}{
		{nil, false, false},
		{&api.Condition{Type: api.DaemonSetComplete, Status: api.ConditionFalse, Reason: "Running", ObservedGeneration: 1}, false, false},
		{&api.Condition{Type: api.DaemonSetComplete, Status: api.ConditionTrue, ObservedGeneration: 0}, false, false},
		{&api.Condition{Type: api.DaemonSetComplete, Status: api.ConditionTrue, ObservedGeneration: 1}, true, false},
		{&api.Condition{Type: api.DaemonSetComplete, Status: api.ConditionFalse, Reason: "NodesFailed", ObservedGeneration: 1}, false, true},
	} {
		ds.Status.Conditions = nil
		if tc.cond != nil {
			ds.Status.Conditions = []api.Condition{*tc.cond}
		}
		var g groupRollout
		daemonSetRollout(&g, ds, pods)
		if g.done != tc.done || (g.failed != "") != tc.failed || g.counts.healthy != 2 {
			t.Errorf("condition %+v: %+v", tc.cond, g)
		}
	}
}
