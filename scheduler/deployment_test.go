package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

func newDeployment(ns, name string, replicas int32, labels map[string]string, image string) *api.Deployment {
	return &api.Deployment{
		TypeMeta:   api.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.DeploymentSpec{Replicas: api.Ptr(replicas), Selector: &api.LabelSelector{MatchLabels: labels},
			Template: testTemplate(labels, image)},
	}
}

func getDeployment(t *testing.T, e *testEnv, ns, name string) *api.Deployment {
	t.Helper()
	obj, _ := e.store.Get("Deployment", ns, name)
	if obj == nil {
		t.Fatalf("deployment %s/%s not found", ns, name)
	}
	return obj.(*api.Deployment)
}

// updateDeployment applies mut to the stored Deployment until the write
// is not refused for a conflict.
func updateDeployment(t *testing.T, e *testEnv, ns, name string, mut func(d *api.Deployment)) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
		d := api.Clone(getDeployment(t, e, ns, name))
		mut(d)
		_, err := e.cl.Update(context.Background(), d)
		return err
	})
}

func replicaSetsOf(e *testEnv, ns string) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, obj := range e.store.View().List("ReplicaSet", ns, nil) {
		out = append(out, obj.(*api.ReplicaSet))
	}
	return out
}

// rolledOut checks that the Deployment's current template runs everywhere:
// complete status and conditions, one set with every pod, others at zero.
func rolledOut(t *testing.T, e *testEnv, ns, name string, want int32) error {
	d := getDeployment(t, e, ns, name)
	st := d.Status
	if st.ObservedGeneration != d.Generation || st.Replicas != want || st.UpdatedReplicas != want ||
		st.ReadyReplicas != want || st.AvailableReplicas != want || st.UnavailableReplicas != 0 {
		return fmt.Errorf("generation %d, status %+v", d.Generation, st)
	}
	av := api.FindCondition(st.Conditions, api.DeploymentAvailable)
	pr := api.FindCondition(st.Conditions, api.DeploymentProgressing)
	if av == nil || av.Status != api.ConditionTrue || pr == nil || pr.Status != api.ConditionTrue || pr.Reason != scheduler.ReasonNewRSAvailable {
		return fmt.Errorf("conditions %+v", st.Conditions)
	}
	for _, rs := range replicaSetsOf(e, ns) {
		if rs.Spec.Template.Spec.Containers[0].Image == d.Spec.Template.Spec.Containers[0].Image {
			if *rs.Spec.Replicas != want || rs.Annotations[scheduler.RevisionAnnotation] != d.Annotations[scheduler.RevisionAnnotation] {
				return fmt.Errorf("new set %s: replicas %d, revision %q (deployment %q)", rs.Name, *rs.Spec.Replicas,
					rs.Annotations[scheduler.RevisionAnnotation], d.Annotations[scheduler.RevisionAnnotation])
			}
		} else if *rs.Spec.Replicas != 0 {
			return fmt.Errorf("old set %s still has %d replicas", rs.Name, *rs.Spec.Replicas)
		}
	}
	return nil
}

// podMonitor replays the store's events for one namespace and checks a
// condition at every log index, so no intermediate state escapes it.
type podMonitor struct {
	mu         sync.Mutex
	violations []string
}

func monitorPods(t *testing.T, store *state.Store, ns string, check func(pods map[string]*api.Pod) string) *podMonitor {
	pods := map[string]*api.Pod{}
	for _, obj := range store.View().List("Pod", ns, nil) {
		pods[obj.GetObjectMeta().Name] = obj.(*api.Pod)
	}
	return replayPods(t, store, ns, pods, store.Index(), check)
}

// replayPods checks pods (the namespace's pods at index last) and every
// later state.
func replayPods(t *testing.T, store *state.Store, ns string, pods map[string]*api.Pod, last uint64, check func(pods map[string]*api.Pod) string) *podMonitor {
	m := &podMonitor{}
	run(t, func(ctx context.Context) {
		for {
			evs, ch, err := store.EventsAfter(last, 10_000)
			if err != nil {
				m.add("history gap: " + err.Error())
				return
			}
			for i, ev := range evs {
				if ev.Kind == "Pod" && ev.Object.GetObjectMeta().Namespace == ns {
					if ev.Type == state.Deleted {
						delete(pods, ev.Object.GetObjectMeta().Name)
					} else {
						pods[ev.Object.GetObjectMeta().Name] = ev.Object.(*api.Pod)
					}
				}
				if i == len(evs)-1 || evs[i+1].Index != ev.Index {
					if v := check(pods); v != "" {
						m.add(fmt.Sprintf("index %d: %s", ev.Index, v))
					}
				}
				last = ev.Index
			}
			if len(evs) > 0 {
				continue
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
	})
	return m
}

func (m *podMonitor) add(v string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.violations) < 10 {
		m.violations = append(m.violations, v)
	}
}

func (m *podMonitor) errors() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.violations...)
}

func startKubelet(t *testing.T, e *testEnv, ns string, delay time.Duration) *fakeKubelet {
	k := &fakeKubelet{e: e, ns: ns, delay: delay}
	run(t, k.run)
	return k
}

// TestDeploymentController runs the ReplicaSet and Deployment controllers
// together against a real three-replica cluster, with a fake kubelet that
// marks pods ready.
func TestDeploymentController(t *testing.T) {
	e := newTestEnv(t)
	logger := hclog.NewNullLogger()
	run(t, (&scheduler.ReplicaSetController{Store: e.store, Writer: e.w, Logger: logger}).Run)
	run(t, (&scheduler.DeploymentController{Store: e.store, Writer: e.w, Logger: logger}).Run)
	ctx := context.Background()

	t.Run("creates a ReplicaSet and its pods", func(t *testing.T) {
		ns := e.namespace(t, "deploy-create")
		startKubelet(t, e, ns, 0)
		labels := map[string]string{"app": "web"}
		if _, err := e.cl.Create(ctx, newDeployment(ns, "web", 3, labels, "nginx:1.25")); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "web", 3) })
		sets := replicaSetsOf(e, ns)
		if len(sets) != 1 {
			t.Fatalf("%d replicasets, want 1", len(sets))
		}
		rs := sets[0]
		hash := rs.Labels[scheduler.PodTemplateHashLabel]
		if hash == "" || rs.Name != "web-"+hash || rs.Spec.Selector.MatchLabels[scheduler.PodTemplateHashLabel] != hash ||
			rs.Spec.Template.Labels[scheduler.PodTemplateHashLabel] != hash || rs.Annotations[scheduler.RevisionAnnotation] != "1" {
			t.Errorf("replicaset %s: labels %v, selector %+v, annotations %v", rs.Name, rs.Labels, rs.Spec.Selector, rs.Annotations)
		}
		if ref := controllerOf(rs); ref == nil || ref.Kind != "Deployment" || ref.Name != "web" {
			t.Errorf("replicaset owner %+v", rs.OwnerReferences)
		}
		for _, p := range podsOf(e.store, ns, labels) {
			if p.Labels[scheduler.PodTemplateHashLabel] != hash {
				t.Errorf("pod %s labels %v", p.Name, p.Labels)
			}
		}
		if rev := getDeployment(t, e, ns, "web").Annotations[scheduler.RevisionAnnotation]; rev != "1" {
			t.Errorf("deployment revision %q, want 1", rev)
		}
		// Scaling the Deployment scales its set.
		updateDeployment(t, e, ns, "web", func(d *api.Deployment) { d.Spec.Replicas = api.Ptr(int32(5)) })
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "web", 5) })
		updateDeployment(t, e, ns, "web", func(d *api.Deployment) { d.Spec.Replicas = api.Ptr(int32(2)) })
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "web", 2) })
		if n := len(replicaSetsOf(e, ns)); n != 1 {
			t.Errorf("%d replicasets after scaling, want 1", n)
		}
	})

	t.Run("rolls out within maxSurge 1 and maxUnavailable 0", func(t *testing.T) {
		ns := e.namespace(t, "deploy-rolling")
		startKubelet(t, e, ns, 150*time.Millisecond)
		labels := map[string]string{"app": "api"}
		d := newDeployment(ns, "api", 4, labels, "api:1")
		d.Spec.Strategy = api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategy,
			RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: api.Ptr(api.FromInt(1)), MaxUnavailable: api.Ptr(api.FromInt(0))}}
		if _, err := e.cl.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "api", 4) })
		mon := monitorPods(t, e.store, ns, func(pods map[string]*api.Pod) string {
			active, ready := 0, 0
			for _, p := range pods {
				if !api.PodIsTerminal(p) {
					active++
				}
				if podReady(p) {
					ready++
				}
			}
			if active > 5 || ready < 4 {
				return fmt.Sprintf("%d pods, %d ready", active, ready)
			}
			return ""
		})
		updateDeployment(t, e, ns, "api", func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "api:2" })
		eventually(t, 20*time.Second, func() error { return rolledOut(t, e, ns, "api", 4) })
		for _, p := range podsOf(e.store, ns, labels) {
			if p.Spec.Containers[0].Image != "api:2" {
				t.Errorf("pod %s runs %s after the rollout", p.Name, p.Spec.Containers[0].Image)
			}
		}
		if rev := getDeployment(t, e, ns, "api").Annotations[scheduler.RevisionAnnotation]; rev != "2" {
			t.Errorf("deployment revision %q, want 2", rev)
		}
		for _, v := range mon.errors() {
			t.Errorf("bound broken: %s", v)
		}
	})

	t.Run("Recreate stops old pods before starting new ones", func(t *testing.T) {
		ns := e.namespace(t, "deploy-recreate")
		startKubelet(t, e, ns, 50*time.Millisecond)
		labels := map[string]string{"app": "db"}
		d := newDeployment(ns, "db", 3, labels, "db:1")
		d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategy}
		if _, err := e.cl.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "db", 3) })
		mon := monitorPods(t, e.store, ns, func(pods map[string]*api.Pod) string {
			images := map[string]int{}
			for _, p := range pods {
				if !api.PodIsTerminal(p) {
					images[p.Spec.Containers[0].Image]++
				}
			}
			if len(images) > 1 {
				return fmt.Sprintf("old and new pods together: %v", images)
			}
			return ""
		})
		updateDeployment(t, e, ns, "db", func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "db:2" })
		eventually(t, 15*time.Second, func() error { return rolledOut(t, e, ns, "db", 3) })
		for _, v := range mon.errors() {
			t.Errorf("recreate broken: %s", v)
		}
	})

	t.Run("revisionHistoryLimit deletes the oldest sets", func(t *testing.T) {
		ns := e.namespace(t, "deploy-history")
		startKubelet(t, e, ns, 0)
		labels := map[string]string{"app": "h"}
		d := newDeployment(ns, "h", 2, labels, "h:1")
		d.Spec.RevisionHistoryLimit = api.Ptr(int32(1))
		if _, err := e.cl.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "h", 2) })
		for v := 2; v <= 4; v++ {
			img := fmt.Sprintf("h:%d", v)
			updateDeployment(t, e, ns, "h", func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = img })
			eventually(t, 15*time.Second, func() error { return rolledOut(t, e, ns, "h", 2) })
		}
		eventually(t, 5*time.Second, func() error {
			revs := map[string]string{}
			for _, rs := range replicaSetsOf(e, ns) {
				revs[rs.Spec.Template.Spec.Containers[0].Image] = rs.Annotations[scheduler.RevisionAnnotation]
			}
			if len(revs) != 2 || revs["h:4"] != "4" || revs["h:3"] != "3" {
				return fmt.Errorf("sets left (image: revision): %v, want h:3 and h:4", revs)
			}
			return nil
		})
	})

	t.Run("paused makes no rollout progress but scales", func(t *testing.T) {
		ns := e.namespace(t, "deploy-paused")
		startKubelet(t, e, ns, 0)
		labels := map[string]string{"app": "p"}
		if _, err := e.cl.Create(ctx, newDeployment(ns, "p", 2, labels, "p:1")); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "p", 2) })
		updateDeployment(t, e, ns, "p", func(d *api.Deployment) {
			d.Spec.Paused = true
			d.Spec.Template.Spec.Containers[0].Image = "p:2"
		})
		eventually(t, 5*time.Second, func() error {
			pr := api.FindCondition(getDeployment(t, e, ns, "p").Status.Conditions, api.DeploymentProgressing)
			if pr == nil || pr.Status != api.ConditionUnknown || pr.Reason != scheduler.ReasonPaused {
				return fmt.Errorf("progressing %+v", pr)
			}
			return nil
		})
		updateDeployment(t, e, ns, "p", func(d *api.Deployment) { d.Spec.Replicas = api.Ptr(int32(3)) })
		eventually(t, 5*time.Second, func() error {
			pods := podsOf(e.store, ns, labels)
			for _, p := range pods {
				if p.Spec.Containers[0].Image != "p:1" {
					return errors.New("a paused deployment rolled out " + p.Name)
				}
			}
			return countf("pods", len(pods), 3)
		})
		if n := len(replicaSetsOf(e, ns)); n != 1 {
			t.Errorf("%d replicasets while paused, want 1", n)
		}
		updateDeployment(t, e, ns, "p", func(d *api.Deployment) { d.Spec.Paused = false })
		eventually(t, 15*time.Second, func() error { return rolledOut(t, e, ns, "p", 3) })
		for _, p := range podsOf(e.store, ns, labels) {
			if p.Spec.Containers[0].Image != "p:2" {
				t.Errorf("pod %s runs %s after resume", p.Name, p.Spec.Containers[0].Image)
			}
		}
	})

	t.Run("progress deadline exceeded", func(t *testing.T) {
		ns := e.namespace(t, "deploy-deadline")
		k := startKubelet(t, e, ns, 0)
		k.setHold(true)
		labels := map[string]string{"app": "stuck"}
		d := newDeployment(ns, "stuck", 2, labels, "stuck:1")
		d.Spec.ProgressDeadlineSeconds = api.Ptr(int32(1))
		if _, err := e.cl.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		eventually(t, 8*time.Second, func() error {
			st := getDeployment(t, e, ns, "stuck").Status
			pr := api.FindCondition(st.Conditions, api.DeploymentProgressing)
			av := api.FindCondition(st.Conditions, api.DeploymentAvailable)
			if pr == nil || pr.Status != api.ConditionFalse || pr.Reason != scheduler.ReasonTimedOut {
				return fmt.Errorf("progressing %+v", pr)
			}
			if av == nil || av.Status != api.ConditionFalse || st.UnavailableReplicas != 2 {
				return fmt.Errorf("available %+v, status %+v", av, st)
			}
			return nil
		})
		k.setHold(false)
		eventually(t, 10*time.Second, func() error { return rolledOut(t, e, ns, "stuck", 2) })
	})
}
