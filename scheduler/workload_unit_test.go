package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

func rankPod(name, node string, phase api.PodPhase, ready bool, created int64) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, CreationTimestamp: api.NewTime(time.Unix(created, 0))},
		Spec: api.PodSpec{NodeName: node}, Status: api.PodStatus{Phase: phase}}
	if ready {
		p.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(time.Unix(created+10, 0))}}
	}
	return p
}

func TestReplicaSetDeletionRank(t *testing.T) {
	pods := []*api.Pod{
		rankPod("running-ready-old", "n1", api.PodRunning, true, 100),
		rankPod("running-ready-new", "n2", api.PodRunning, true, 200),
		rankPod("running-notready", "n3", api.PodRunning, false, 50),
		rankPod("pending-bound", "n4", api.PodPending, false, 10),
		rankPod("unbound", "", api.PodPending, false, 1),
		rankPod("crowded", "n5", api.PodRunning, true, 100),
		rankPod("crowded2", "n5", api.PodRunning, true, 100),
	}
	rankForDeletion(pods)
	want := []string{"unbound", "pending-bound", "running-notready", "crowded", "crowded2", "running-ready-new", "running-ready-old"}
	for i, p := range pods {
		if p.Name != want[i] {
			t.Fatalf("deletion order %d = %s, want %s (whole: %v)", i, p.Name, want[i], names(pods))
		}
	}
}

func names(pods []*api.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

func TestDeploymentFenceposts(t *testing.T) {
	for _, tc := range []struct {
		replicas         int32
		surge, unavail   api.IntOrString
		wantS, wantU     int32
		strategy         string
		wantMaxUnavailOK int32
	}{
		{10, api.FromString("25%"), api.FromString("25%"), 3, 2, "", 2}, // surge rounds up, unavailable down
		{3, api.FromInt(1), api.FromInt(0), 1, 0, "", 0},                //
		{1, api.FromString("0%"), api.FromString("0%"), 0, 1, "", 1},    // both zero: unavailable becomes 1
		{2, api.FromInt(0), api.FromInt(5), 0, 5, "", 2},                // capped at replicas for availability
		{4, api.FromInt(1), api.FromInt(1), 0, 0, api.RecreateDeploymentStrategy, 0},
	} {
		d := &api.Deployment{Spec: api.DeploymentSpec{Replicas: api.Ptr(tc.replicas), Strategy: api.DeploymentStrategy{Type: tc.strategy,
			RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: &tc.surge, MaxUnavailable: &tc.unavail}}}}
		s := &deploymentSync{c: &DeploymentController{}, d: d}
		su, un := s.resolveFenceposts()
		if su != tc.wantS || un != tc.wantU || s.maxUnavailable() != tc.wantMaxUnavailOK {
			t.Errorf("%d replicas, surge %s, unavailable %s, %q: got %d/%d (max %d), want %d/%d (max %d)", tc.replicas,
				tc.surge, tc.unavail, tc.strategy, su, un, s.maxUnavailable(), tc.wantS, tc.wantU, tc.wantMaxUnavailOK)
		}
	}
}

func TestDeploymentTemplateHash(t *testing.T) {
	a := api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "x"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "x:1"}}}}
	b := *cloneTemplate(&a)
	b.Spec.Containers[0].Image = "x:2"
	ha, hb := templateHash(&a, nil), templateHash(&a, api.Ptr(int32(1)))
	if ha != templateHash(cloneTemplate(&a), nil) || ha == templateHash(&b, nil) || ha == hb || len(ha) == 0 || len(ha) > 10 {
		t.Errorf("hashes: %s %s %s", ha, hb, templateHash(&b, nil))
	}
	for _, c := range ha {
		if !containsRune(nameAlphabet, c) {
			t.Errorf("hash %s has %q outside the safe alphabet", ha, c)
		}
	}
	withHash := cloneTemplate(&a)
	withHash.Labels[PodTemplateHashLabel] = ha
	if !equalIgnoreHash(withHash, &a) || equalIgnoreHash(withHash, &b) {
		t.Error("equalIgnoreHash")
	}
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

// TestReplicaSetWorkQueue: a key is queued once however often it is added,
// and one added while it is processed comes back only after done.
func TestReplicaSetWorkQueue(t *testing.T) {
	q := newWorkQueue()
	q.add("a")
	q.add("a")
	q.add("b")
	k, _ := q.get()
	if k != "a" {
		t.Fatalf("first key %s", k)
	}
	q.add("a") // while processing
	k2, _ := q.get()
	if k2 != "b" {
		t.Fatalf("second key %s, want b (a is being processed)", k2)
	}
	got := make(chan string, 1)
	go func() { k, _ := q.get(); got <- k }()
	select {
	case k := <-got:
		t.Fatalf("got %s while a is still processing", k)
	case <-time.After(50 * time.Millisecond):
	}
	q.done("a")
	if k := <-got; k != "a" {
		t.Fatalf("after done: %s", k)
	}
	q.addAfter("c", 20*time.Millisecond)
	q.addAfter("c", time.Hour) // the earlier delay wins
	go func() { k, _ := q.get(); got <- k }()
	select {
	case k := <-got:
		if k != "c" {
			t.Fatalf("delayed key %s", k)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("delayed key never came")
	}
	q.shutDown()
	if _, ok := q.get(); ok {
		t.Fatal("get after shutdown")
	}
}

// TestReplicaSetParallelSlowStart: writes go out in growing batches and
// stop after the first batch with a failure.
func TestReplicaSetParallelSlowStart(t *testing.T) {
	var calls atomic.Int32
	ok, err := parallel(context.Background(), 100, func(context.Context, int) error {
		calls.Add(1)
		return nil
	})
	if ok != 100 || err != nil || calls.Load() != 100 {
		t.Fatalf("all good: ok %d, err %v, calls %d", ok, err, calls.Load())
	}
	calls.Store(0)
	ok, err = parallel(context.Background(), 100, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 20 {
			return errors.New("refused")
		}
		return nil
	})
	// Batches of 16 then 32: the failure in the second batch stops the rest.
	if err == nil || calls.Load() != 48 || ok != 47 {
		t.Fatalf("one failure: ok %d, err %v, calls %d", ok, err, calls.Load())
	}
}

// TestFreeIndexes: new pods take the lowest indexes the live ones do not
// hold, so a replacement inherits the index of the pod it replaces.
func TestFreeIndexes(t *testing.T) {
	withIndex := func(i string) *api.Pod {
		return &api.Pod{ObjectMeta: api.ObjectMeta{Annotations: map[string]string{api.AnnotationAllocIndex: i}}}
	}
	live := []*api.Pod{withIndex("0"), withIndex("2"), withIndex("3"), {}}
	if got := fmt.Sprint(freeIndexes(live, 3)); got != "[1 4 5]" {
		t.Errorf("freeIndexes = %s, want [1 4 5]", got)
	}
	if got := fmt.Sprint(freeIndexes(nil, 2)); got != "[0 1]" {
		t.Errorf("freeIndexes(nil) = %s, want [0 1]", got)
	}
}
