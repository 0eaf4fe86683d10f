package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/scheduler"
	"github.com/google/uuid"
)

// clientWriter is a test-only Writer over the API client, pointed at the
// leader so that each answer comes after the leader's store applied it.
type clientWriter struct {
	cl    *client.Client
	store *state.Store
}

var _ scheduler.Writer = (*clientWriter)(nil)

func (w *clientWriter) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	m := obj.GetObjectMeta()
	m.UID, m.CreationTimestamp = uuid.NewString(), api.NewTime(time.Now())
	return w.wait(w.cl.Create(ctx, obj))
}

func (w *clientWriter) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	return w.wait(w.cl.Update(ctx, obj))
}

func (w *clientWriter) UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error) {
	return w.wait(w.cl.UpdateStatus(ctx, obj))
}

// Delete checks the uid against the store first; the client only carries
// the version, which pins the uid too (a recreated object has a new one).
func (w *clientWriter) DeleteForeground(ctx context.Context, kind, ns, name string, rv api.Version, uid string) error {
	return w.deleteWith(ctx, kind, ns, name, rv, uid, api.DeletePropagationForeground)
}

func (w *clientWriter) Delete(ctx context.Context, kind, ns, name string, rv api.Version, uid string) error {
	return w.deleteWith(ctx, kind, ns, name, rv, uid, "")
}

func (w *clientWriter) deleteWith(ctx context.Context, kind, ns, name string, rv api.Version, uid, propagation string) error {
	if uid != "" {
		if cur, _ := w.store.Get(kind, ns, name); cur != nil && cur.GetObjectMeta().UID != uid {
			return api.Conflict(kind, name, "uid precondition failed")
		}
	}
	if err := w.cl.Delete(ctx, kind, ns, name, client.DeleteOptions{ResourceVersion: rv, PropagationPolicy: propagation}); err != nil {
		return err
	}
	// The delete answered after the leader applied it: wait for the object
	// to leave the leader's store view.
	for i := 0; i < 100; i++ {
		if cur, _ := w.store.Get(kind, ns, name); cur == nil || cur.GetObjectMeta().UID != uid {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func (w *clientWriter) ForceDeletePod(ctx context.Context, ns, name, uid string) error {
	zero := int64(0)
	return w.cl.Delete(ctx, "Pod", ns, name, client.DeleteOptions{UID: uid, GracePeriodSeconds: &zero})
}

func (w *clientWriter) Bind(context.Context, []scheduler.Binding) ([]error, error) {
	return nil, errors.New("clientWriter: Bind is not used by these tests")
}

func (w *clientWriter) wait(obj api.Object, err error) (api.Object, error) {
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.store.WaitForIndex(ctx, uint64(obj.GetObjectMeta().ResourceVersion))
	return obj, nil
}

// testEnv is one cluster shared by a test's subtests, each in its own
// namespace.
type testEnv struct {
	c     *cluster.Cluster
	cl    *client.Client
	store *state.Store
	w     *clientWriter
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	// These tests run the workload controllers themselves, so the servers
	// must not run their own copies.
	c := cluster.New(t, 3, cluster.Options{DisabledControllers: []string{"replicaset", "deployment", "daemonset", "statefulset", "gc"}})
	leader := c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: []string{leader.APIURL()}})
	if err != nil {
		t.Fatal(err)
	}
	store := leader.Server().Node().Store()
	eventually(t, 10*time.Second, func() error {
		if obj, _ := store.Get("Namespace", "", "default"); obj == nil {
			return errors.New("no default namespace yet")
		}
		return nil
	})
	return &testEnv{c: c, cl: cl, store: store, w: &clientWriter{cl: cl, store: store}}
}

// namespace creates a fresh namespace for one subtest.
func (e *testEnv) namespace(t *testing.T, name string) string {
	t.Helper()
	ns := &api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name}}
	if _, err := e.cl.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return name
}

// run starts a controller's Run until the test ends, and checks it stops.
func run(t *testing.T, f func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not true after %v: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// podsOf lists the active (not ended) pods in ns matching labels.
func podsOf(store *state.Store, ns string, labels map[string]string) []*api.Pod {
	sel := api.SelectorFromSet(labels)
	var out []*api.Pod
	for _, obj := range store.View().List("Pod", ns, nil) {
		p := obj.(*api.Pod)
		if sel.Matches(p.Labels) && !api.PodIsTerminal(p) {
			out = append(out, p)
		}
	}
	return out
}

// fakeKubelet marks every pod in ns Running and Ready after delay (0 =
// only when told through ready), as an agent whose probes pass would.
type fakeKubelet struct {
	e     *testEnv
	ns    string
	delay time.Duration
	mu    sync.Mutex
	hold  bool // when set, pods are left pending
}

func (k *fakeKubelet) setHold(v bool) {
	k.mu.Lock()
	k.hold = v
	k.mu.Unlock()
}

func (k *fakeKubelet) run(ctx context.Context) {
	for {
		ch := k.e.store.Changed()
		k.mu.Lock()
		hold := k.hold
		k.mu.Unlock()
		wait := time.Second
		for _, obj := range k.e.store.View().List("Pod", k.ns, nil) {
			p := obj.(*api.Pod)
			if hold || podReady(p) || api.PodIsTerminal(p) {
				continue
			}
			if age := time.Since(p.CreationTimestamp.Time); age < k.delay {
				wait = min(wait, k.delay-age)
				continue
			}
			_ = markReady(ctx, k.e, p)
		}
		select {
		case <-ch:
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
}

// markReady reports the pod Running and Ready, as an agent would. Others
// (the scheduler marking it unschedulable) may write the pod meanwhile, so
// a conflict is retried on the stored version.
func markReady(ctx context.Context, e *testEnv, p *api.Pod) error {
	return e.updatePodStatus(ctx, p, func(q *api.Pod) {
		q.Status.Phase = api.PodRunning
		q.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(time.Now())}}
	})
}

func markPhase(ctx context.Context, e *testEnv, p *api.Pod, phase api.PodPhase, reason string) error {
	return e.updatePodStatus(ctx, p, func(q *api.Pod) {
		q.Status.Phase, q.Status.Reason = phase, reason
		q.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: api.ConditionFalse}}
	})
}

func (e *testEnv) updatePodStatus(ctx context.Context, p *api.Pod, mut func(q *api.Pod)) error {
	for attempt := 0; ; attempt++ {
		q := api.Clone(p)
		mut(q)
		_, err := e.cl.UpdateStatus(ctx, q)
		if !errors.Is(err, api.ErrConflict) || attempt == 20 {
			return err
		}
		cur, _ := e.store.Get("Pod", p.Namespace, p.Name)
		if cur == nil || cur.GetObjectMeta().UID != p.UID {
			return err
		}
		p = cur.(*api.Pod)
	}
}

func testTemplate(labels map[string]string, image string) api.PodTemplateSpec {
	return api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: labels},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "app", Image: image,
			Command: []string{"sleep", "3600"}}}},
	}
}

func countf(what string, got, want int) error {
	if got != want {
		return fmt.Errorf("%s: %d, want %d", what, got, want)
	}
	return nil
}

func clientDelete() client.DeleteOptions { return client.DeleteOptions{} }

func podReady(p *api.Pod) bool {
	c := api.FindCondition(p.Status.Conditions, api.PodReady)
	return c != nil && c.Status == api.ConditionTrue
}

func controllerOf(o api.Object) *api.OwnerReference {
	for _, r := range o.GetObjectMeta().OwnerReferences {
		if r.Controller != nil && *r.Controller {
			return &r
		}
	}
	return nil
}
