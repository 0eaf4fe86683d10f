package scheduler_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

// canaryDeployment is a Deployment of image:1 with a canary step.
func canaryDeployment(ns, name string, replicas, canary int32, auto bool) *api.Deployment {
	d := newDeployment(ns, name, replicas, map[string]string{"app": name}, name+":1")
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategy,
		RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: api.Ptr(api.FromInt(1)), MaxUnavailable: api.Ptr(api.FromInt(0))},
		Canary:        &api.DeploymentCanary{Replicas: canary, AutoPromote: auto}}
	return d
}

// createSynced creates obj and waits until the store the controllers and
// checks read has it (the client's server may not be the store's, after a
// leadership change on a loaded machine).
func createSynced(t *testing.T, e *testEnv, obj api.Object) {
	t.Helper()
	out, err := e.cl.Create(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	waitIndex(t, e, out)
}

func waitIndex(t *testing.T, e *testEnv, obj api.Object) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.store.WaitForIndex(ctx, uint64(obj.GetObjectMeta().ResourceVersion)); err != nil {
		t.Fatalf("store did not reach index %d: %v", obj.GetObjectMeta().ResourceVersion, err)
	}
}

// updateSynced is updateDeployment, then waits for the store to have it.
func updateSynced(t *testing.T, e *testEnv, ns, name string, mut func(d *api.Deployment)) {
	t.Helper()
	var out api.Object
	eventually(t, 5*time.Second, func() error {
		d := api.Clone(getDeployment(t, e, ns, name))
		mut(d)
		var err error
		out, err = e.cl.Update(context.Background(), d)
		return err
	})
	waitIndex(t, e, out)
}

func setImage(t *testing.T, e *testEnv, ns, name, image string) {
	t.Helper()
	updateSynced(t, e, ns, name, func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image })
}

// activeByImage counts the namespace's pods that are neither ended nor
// being deleted, and the ready ones, per image.
func activeByImage(pods map[string]*api.Pod) (active, ready map[string]int) {
	active, ready = map[string]int{}, map[string]int{}
	for _, p := range pods {
		if api.PodIsTerminal(p) || p.DeletionTimestamp != nil {
			continue
		}
		img := p.Spec.Containers[0].Image
		active[img]++
		if podReady(p) {
			ready[img]++
		}
	}
	return active, ready
}

func storePods(e *testEnv, ns string) map[string]*api.Pod {
	pods := map[string]*api.Pod{}
	for _, obj := range e.store.View().List("Pod", ns, nil) {
		pods[obj.GetObjectMeta().Name] = obj.(*api.Pod)
	}
	return pods
}

// awaitingCanaries waits until the Deployment's canaries of image are all
// healthy and wait for promotion, with exactly old pods of the stable
// image and canary pods of the new one; it returns the canaries' revision.
func awaitingCanaries(t *testing.T, e *testEnv, ns, name, stable, image string, old, canary int) int64 {
	t.Helper()
	var rev int64
	eventually(t, 15*time.Second, func() error {
		d := getDeployment(t, e, ns, name)
		c := d.Status.Canary
		pr := api.FindCondition(d.Status.Conditions, api.DeploymentProgressing)
		if d.Status.ObservedGeneration != d.Generation || c == nil || c.Promoted || c.Desired != int32(canary) ||
			c.Healthy != int32(canary) || pr == nil || pr.Reason != scheduler.ReasonAwaitingPromotion {
			return fmt.Errorf("canary status %+v, progressing %+v", c, pr)
		}
		active, ready := activeByImage(storePods(e, ns))
		if active[stable] != old || ready[stable] != old || active[image] != canary || ready[image] != canary || len(active) != 2 {
			return fmt.Errorf("active pods %v, ready %v; want %d %s and %d %s", active, ready, old, stable, canary, image)
		}
		rev = c.Revision
		return nil
	})
	return rev
}

func promote(t *testing.T, e *testEnv, ns, name string, rev int64) {
	t.Helper()
	updateSynced(t, e, ns, name, func(d *api.Deployment) {
		if d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		d.Annotations[api.PromoteRevisionAnnotation] = strconv.FormatInt(rev, 10)
	})
}

// setByImage finds the Deployment's ReplicaSet of an image.
func setByImage(t *testing.T, e *testEnv, ns, image string) *api.ReplicaSet {
	t.Helper()
	for _, rs := range replicaSetsOf(e, ns) {
		if rs.Spec.Template.Spec.Containers[0].Image == image {
			return rs
		}
	}
	t.Fatalf("no replicaset of %s", image)
	return nil
}

// holdsStill checks, over a short window, that the canary step makes no
// move on its own: a controller pass that would act runs within
// milliseconds of the last write, so one second is many passes.
func holdsStill(t *testing.T, e *testEnv, ns string, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		active, _ := activeByImage(storePods(e, ns))
		if fmt.Sprint(active) != fmt.Sprint(want) {
			t.Fatalf("pods moved without a promotion: %v, want %v", active, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDeploymentCanary runs the ReplicaSet and Deployment controllers on a
// three-replica cluster through canary rollouts.
func TestDeploymentCanary(t *testing.T) {
	e := newTestEnv(t)
	logger := hclog.NewNullLogger()
	run(t, (&scheduler.ReplicaSetController{Store: e.store, Writer: e.w, Logger: logger}).Run)
	run(t, (&scheduler.DeploymentController{Store: e.store, Writer: e.w, Logger: logger}).Run)

	t.Run("manual promotion", func(t *testing.T) {
		ns := e.namespace(t, "canary-manual")
		startKubelet(t, e, ns, 50*time.Millisecond)
		createSynced(t, e, canaryDeployment(ns, "web", 4, 2, false))
		// The first template is placed in full: there is nothing to compare canaries with.
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "web", 4) })
		if c := getDeployment(t, e, ns, "web").Status.Canary; c != nil {
			t.Fatalf("canary status %+v on the first rollout", c)
		}
		var promoted atomic.Bool
		canaryPhase := monitorPods(t, e.store, ns, func(pods map[string]*api.Pod) string {
			active, _ := activeByImage(pods)
			if !promoted.Load() && (active["web:1"] != 4 || active["web:2"] > 2) {
				return fmt.Sprintf("before the promotion: %v", active)
			}
			return ""
		})
		setImage(t, e, ns, "web", "web:2")
		rev := awaitingCanaries(t, e, ns, "web", "web:1", "web:2", 4, 2)
		if rs := setByImage(t, e, ns, "web:2"); rs.Annotations[api.CanaryAnnotation] != api.CanaryPending || *rs.Spec.Replicas != 2 {
			t.Fatalf("canary set %s: annotations %v, replicas %d", rs.Name, rs.Annotations, *rs.Spec.Replicas)
		}
		// A promotion of another revision promotes nothing.
		promote(t, e, ns, "web", rev-1)
		holdsStill(t, e, ns, map[string]int{"web:1": 4, "web:2": 2})

		bounds := monitorPods(t, e.store, ns, func(pods map[string]*api.Pod) string {
			active, ready := activeByImage(pods)
			if n := active["web:1"] + active["web:2"]; n > 6 || ready["web:1"]+ready["web:2"] < 4 {
				return fmt.Sprintf("active %v, ready %v", active, ready)
			}
			return ""
		})
		promoted.Store(true)
		promote(t, e, ns, "web", rev)
		eventually(t, 20*time.Second, func() error { return rolledOut(t, e, ns, "web", 4) })
		active, _ := activeByImage(storePods(e, ns))
		if active["web:2"] != 4 || len(active) != 1 {
			t.Errorf("after the rollout: %v, want 4 web:2", active)
		}
		d := getDeployment(t, e, ns, "web")
		if c := d.Status.Canary; c == nil || !c.Promoted || c.Revision != rev || c.Desired != 2 {
			t.Errorf("canary status %+v", c)
		}
		if rs := setByImage(t, e, ns, "web:2"); rs.Annotations[api.CanaryAnnotation] != api.CanaryPromoted {
			t.Errorf("canary set annotations %v", rs.Annotations)
		}
		for _, v := range append(canaryPhase.errors(), bounds.errors()...) {
			t.Errorf("bound broken: %s", v)
		}
	})

	t.Run("auto promotion after minReadySeconds", func(t *testing.T) {
		ns := e.namespace(t, "canary-auto")
		startKubelet(t, e, ns, 50*time.Millisecond)
		d := canaryDeployment(ns, "api", 3, 2, true)
		d.Spec.MinReadySeconds = 1
		createSynced(t, e, d)
		eventually(t, 15*time.Second, func() error { return rolledOut(t, e, ns, "api", 3) })
		// No old pod goes, and no third new pod comes, before both canaries are ready.
		mon := monitorPods(t, e.store, ns, func(pods map[string]*api.Pod) string {
			active, ready := activeByImage(pods)
			if ready["api:2"] < 2 && (active["api:1"] < 3 || active["api:2"] > 2) {
				return fmt.Sprintf("the rollout went on before the canaries were healthy: active %v, ready %v", active, ready)
			}
			return ""
		})
		setImage(t, e, ns, "api", "api:2")
		eventually(t, 20*time.Second, func() error { return rolledOut(t, e, ns, "api", 3) })
		if c := getDeployment(t, e, ns, "api").Status.Canary; c == nil || !c.Promoted || c.Desired != 2 || c.Healthy != 2 {
			t.Errorf("canary status %+v", c)
		}
		for _, v := range mon.errors() {
			t.Errorf("bound broken: %s", v)
		}
	})

	t.Run("a template change restarts the canaries", func(t *testing.T) {
		ns := e.namespace(t, "canary-change")
		startKubelet(t, e, ns, 0)
		createSynced(t, e, canaryDeployment(ns, "db", 3, 1, false))
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "db", 3) })
		setImage(t, e, ns, "db", "db:2")
		rev2 := awaitingCanaries(t, e, ns, "db", "db:1", "db:2", 3, 1)
		setImage(t, e, ns, "db", "db:3")
		rev3 := awaitingCanaries(t, e, ns, "db", "db:1", "db:3", 3, 1)
		if rev3 <= rev2 {
			t.Fatalf("revision %d after %d", rev3, rev2)
		}
		if rs := setByImage(t, e, ns, "db:2"); *rs.Spec.Replicas != 0 {
			t.Fatalf("the earlier canary set has %d replicas", *rs.Spec.Replicas)
		}
		// Promoting the superseded canaries does nothing.
		promote(t, e, ns, "db", rev2)
		holdsStill(t, e, ns, map[string]int{"db:1": 3, "db:3": 1})
		promote(t, e, ns, "db", rev3)
		eventually(t, 20*time.Second, func() error { return rolledOut(t, e, ns, "db", 3) })
		if active, _ := activeByImage(storePods(e, ns)); active["db:3"] != 3 || len(active) != 1 {
			t.Errorf("after the rollout: %v", active)
		}
		// Going back to an old revision, whose set is at zero, is a new
		// rollout: it starts with canaries too.
		setImage(t, e, ns, "db", "db:1")
		rev4 := awaitingCanaries(t, e, ns, "db", "db:3", "db:1", 3, 1)
		promote(t, e, ns, "db", rev4)
		eventually(t, 20*time.Second, func() error { return rolledOut(t, e, ns, "db", 3) })
	})

	t.Run("autoRevert gives up canaries past the deadline", func(t *testing.T) {
		ns := e.namespace(t, "canary-revert")
		k := startKubelet(t, e, ns, 0)
		d := canaryDeployment(ns, "r", 3, 1, false)
		d.Spec.Strategy.Canary.AutoRevert = true
		d.Spec.ProgressDeadlineSeconds = api.Ptr(int32(1))
		createSynced(t, e, d)
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "r", 3) })
		stable := map[string]bool{}
		for name := range storePods(e, ns) {
			stable[name] = true
		}
		mon := monitorPods(t, e.store, ns, func(pods map[string]*api.Pod) string {
			if active, _ := activeByImage(pods); active["r:1"] != 3 || active["r:2"] > 1 {
				return fmt.Sprintf("pods %v", active)
			}
			return ""
		})
		k.setHold(true) // the canary never becomes ready
		setImage(t, e, ns, "r", "r:2")
		eventually(t, 15*time.Second, func() error {
			d := getDeployment(t, e, ns, "r")
			if img := d.Spec.Template.Spec.Containers[0].Image; img != "r:1" {
				return fmt.Errorf("template still %s", img)
			}
			if err := rolledOut(t, e, ns, "r", 3); err != nil {
				return err
			}
			if active, _ := activeByImage(storePods(e, ns)); active["r:1"] != 3 || len(active) != 1 {
				return fmt.Errorf("pods %v", active)
			}
			return nil
		})
		for name, p := range storePods(e, ns) {
			if !api.PodIsTerminal(p) && !stable[name] {
				t.Errorf("pod %s (%s) was started by the revert", name, p.Spec.Containers[0].Image)
			}
		}
		if rs := setByImage(t, e, ns, "r:2"); *rs.Spec.Replicas != 0 || rs.Annotations[api.CanaryAnnotation] != api.CanaryPending {
			t.Errorf("canary set after the revert: %d replicas, annotations %v", *rs.Spec.Replicas, rs.Annotations)
		}
		for _, v := range mon.errors() {
			t.Errorf("bound broken: %s", v)
		}
	})

	t.Run("undo drops the canaries", func(t *testing.T) {
		ns := e.namespace(t, "canary-undo")
		startKubelet(t, e, ns, 0)
		createSynced(t, e, canaryDeployment(ns, "q", 3, 2, false))
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "q", 3) })
		stable := map[string]bool{}
		for name := range storePods(e, ns) {
			stable[name] = true
		}
		setImage(t, e, ns, "q", "q:2")
		awaitingCanaries(t, e, ns, "q", "q:1", "q:2", 3, 2)
		setImage(t, e, ns, "q", "q:1") // what `rollout undo` writes: the stable template
		eventually(t, 15*time.Second, func() error {
			if err := rolledOut(t, e, ns, "q", 3); err != nil {
				return err
			}
			if active, _ := activeByImage(storePods(e, ns)); active["q:1"] != 3 || len(active) != 1 {
				return fmt.Errorf("pods %v", active)
			}
			return nil
		})
		for name, p := range storePods(e, ns) {
			if !api.PodIsTerminal(p) && !stable[name] {
				t.Errorf("pod %s (%s) was started by the undo; the stable pods should have stayed", name, p.Spec.Containers[0].Image)
			}
		}
		if c := getDeployment(t, e, ns, "q").Status.Canary; c != nil {
			t.Errorf("canary status %+v after the undo", c)
		}
	})
}
