package scheduler_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

func newStatefulSet(ns, name string, replicas int32, labels map[string]string) *api.StatefulSet {
	return &api.StatefulSet{
		TypeMeta:   api.TypeMeta{Kind: "StatefulSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.StatefulSetSpec{Replicas: api.Ptr(replicas), ServiceName: name,
			Selector: &api.LabelSelector{MatchLabels: labels}, Template: testTemplate(labels, "busybox:1.36")},
	}
}

func getSTS(t *testing.T, e *testEnv, ns, name string) *api.StatefulSet {
	t.Helper()
	obj, _ := e.store.Get("StatefulSet", ns, name)
	if obj == nil {
		t.Fatalf("statefulset %s/%s not found", ns, name)
	}
	return obj.(*api.StatefulSet)
}

func updateSTS(t *testing.T, e *testEnv, ns, name string, mut func(s *api.StatefulSet)) uint64 {
	t.Helper()
	var idx uint64
	eventually(t, 5*time.Second, func() error {
		s := api.Clone(getSTS(t, e, ns, name))
		mut(s)
		obj, err := e.cl.Update(context.Background(), s)
		if err == nil {
			idx = uint64(obj.GetObjectMeta().ResourceVersion)
		}
		return err
	})
	return idx
}

// stsPods maps ordinal -> pod for the pods of set name in ns.
func stsPods(e *testEnv, ns, name string) map[int]*api.Pod {
	out := map[int]*api.Pod{}
	for _, obj := range e.store.View().List("Pod", ns, nil) {
		p := obj.(*api.Pod)
		if i, err := strconv.Atoi(strings.TrimPrefix(p.Name, name+"-")); err == nil {
			out[i] = p
		}
	}
	return out
}

// exactlyReady checks that ordinals 0…n-1, and no others, exist Running
// and Ready, at revision rev when rev is not "".
func exactlyReady(e *testEnv, ns, name string, n int, rev string) error {
	pods := stsPods(e, ns, name)
	if len(pods) != n {
		return fmt.Errorf("%d pods, want %d", len(pods), n)
	}
	for i := 0; i < n; i++ {
		p := pods[i]
		if p == nil || p.Status.Phase != api.PodRunning || !podReady(p) {
			return fmt.Errorf("%s-%d missing or not ready", name, i)
		}
		if got := p.Labels[scheduler.StatefulSetRevisionLabel]; rev != "" && got != rev {
			return fmt.Errorf("%s-%d at revision %s, want %s", name, i, got, rev)
		}
	}
	return nil
}

// stsEvent is one pod change of a namespace, with the ordinals present and
// ready just before it.
type stsEvent struct {
	index   uint64
	typ     state.EventType
	ordinal int
	present map[int]bool
	ready   map[int]bool
}

// stsHistory replays the store's retained history of ns's pods.
func stsHistory(t *testing.T, store *state.Store, ns, name string) []stsEvent {
	t.Helper()
	pods := map[int]*api.Pod{}
	var out []stsEvent
	var last uint64
	for {
		evs, _, err := store.EventsAfter(last, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		for _, ev := range evs {
			m := ev.Object.GetObjectMeta()
			if ev.Kind != "Pod" || m.Namespace != ns {
				continue
			}
			i, err := strconv.Atoi(strings.TrimPrefix(m.Name, name+"-"))
			if err != nil {
				continue
			}
			se := stsEvent{index: ev.Index, typ: ev.Type, ordinal: i, present: map[int]bool{}, ready: map[int]bool{}}
			for j, p := range pods {
				se.present[j] = true
				se.ready[j] = p.Status.Phase == api.PodRunning && podReady(p)
			}
			out = append(out, se)
			if ev.Type == state.Deleted {
				delete(pods, i)
			} else {
				pods[i] = ev.Object.(*api.Pod)
			}
		}
		last = evs[len(evs)-1].Index
	}
}

// TestStatefulSetController runs one StatefulSet controller against a real
// three-replica cluster with hollow nodes, which report bound pods Running
// and Ready, and checks each duty in its own namespace.
func TestStatefulSetController(t *testing.T) {
	e := newTestEnv(t)
	startHollow(t, e, "sts-node-", 3)
	c := &scheduler.StatefulSetController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}
	run(t, c.Run)
	ctx := context.Background()

	t.Run("OrderedReady creates in order, keeps names, scales down from the top", func(t *testing.T) {
		ns := e.namespace(t, "sts-ordered")
		labels := map[string]string{"app": "web"}
		set, err := e.cl.Create(ctx, newStatefulSet(ns, "web", 4, labels))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "web", 4, "") })
		for i, p := range stsPods(e, ns, "web") {
			name := fmt.Sprintf("web-%d", i)
			ref := controllerOf(p)
			if ref == nil || ref.UID != set.GetObjectMeta().UID || ref.Kind != "StatefulSet" {
				t.Errorf("%s owner = %+v", p.Name, p.OwnerReferences)
			}
			if p.Labels["app"] != "web" || p.Labels[scheduler.StatefulSetPodNameLabel] != name ||
				p.Labels[scheduler.StatefulSetPodIndexLabel] != strconv.Itoa(i) {
				t.Errorf("%s labels %v", p.Name, p.Labels)
			}
			if p.Spec.Hostname != name || p.Spec.Subdomain != "web" {
				t.Errorf("%s hostname %q subdomain %q", p.Name, p.Spec.Hostname, p.Spec.Subdomain)
			}
		}
		eventually(t, 5*time.Second, func() error {
			st := getSTS(t, e, ns, "web").Status
			if st.Replicas != 4 || st.ReadyReplicas != 4 || st.AvailableReplicas != 4 || st.CurrentReplicas != 4 ||
				st.UpdatedReplicas != 4 || st.CurrentRevision == "" || st.CurrentRevision != st.UpdateRevision ||
				st.ObservedGeneration != 1 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})

		// A deleted pod comes back under its name.
		old := stsPods(e, ns, "web")[1]
		if err := e.cl.Delete(ctx, "Pod", ns, "web-1", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			if p := stsPods(e, ns, "web")[1]; p == nil || p.UID == old.UID {
				return fmt.Errorf("web-1 not recreated")
			}
			return exactlyReady(e, ns, "web", 4, "")
		})

		scaledAt := updateSTS(t, e, ns, "web", func(s *api.StatefulSet) { s.Spec.Replicas = api.Ptr(int32(1)) })
		eventually(t, 10*time.Second, func() error { return exactlyReady(e, ns, "web", 1, "") })

		for _, ev := range stsHistory(t, e.store, ns, "web") {
			if ev.typ == state.Added {
				for j := 0; j < ev.ordinal; j++ {
					if !ev.ready[j] {
						t.Errorf("index %d: web-%d created while web-%d not ready", ev.index, ev.ordinal, j)
					}
				}
			}
			if ev.typ == state.Deleted && ev.index > scaledAt {
				for j := range ev.present {
					if j > ev.ordinal {
						t.Errorf("index %d: web-%d deleted while web-%d still there", ev.index, ev.ordinal, j)
					}
				}
			}
		}
	})

	t.Run("Parallel creates and deletes all at once", func(t *testing.T) {
		ns := e.namespace(t, "sts-parallel")
		// No node matches: pods stay pending, so only Parallel gets past 0.
		for _, policy := range []string{api.ParallelPodManagement, api.OrderedReadyPodManagement} {
			name := strings.ToLower(policy)
			labels := map[string]string{"app": name}
			s := newStatefulSet(ns, name, 5, labels)
			s.Spec.PodManagementPolicy = policy
			s.Spec.Template.Spec.NodeSelector = map[string]string{"nowhere": "true"}
			if _, err := e.cl.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, 10*time.Second, func() error { return countf("parallel pods", len(stsPods(e, ns, "parallel")), 5) })
		time.Sleep(500 * time.Millisecond)
		if n := len(stsPods(e, ns, "orderedready")); n != 1 {
			t.Errorf("OrderedReady created %d pods while web-0 is pending, want 1", n)
		}
		updateSTS(t, e, ns, "parallel", func(s *api.StatefulSet) { s.Spec.Replicas = api.Ptr(int32(0)) })
		eventually(t, 10*time.Second, func() error { return countf("parallel pods", len(stsPods(e, ns, "parallel")), 0) })
	})

	t.Run("RollingUpdate replaces from the highest ordinal, honours the partition", func(t *testing.T) {
		ns := e.namespace(t, "sts-rolling")
		labels := map[string]string{"app": "db"}
		if _, err := e.cl.Create(ctx, newStatefulSet(ns, "db", 3, labels)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "db", 3, "") })
		rev1 := stsPods(e, ns, "db")[0].Labels[scheduler.StatefulSetRevisionLabel]
		updatedAt := updateSTS(t, e, ns, "db", func(s *api.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "busybox:1.37" })
		var rev2 string
		eventually(t, 20*time.Second, func() error {
			st := getSTS(t, e, ns, "db").Status
			rev2 = st.UpdateRevision
			if rev2 == rev1 || st.CurrentRevision != rev2 || st.UpdatedReplicas != 3 || st.ReadyReplicas != 3 {
				return fmt.Errorf("status %+v", st)
			}
			return exactlyReady(e, ns, "db", 3, rev2)
		})
		var deleted []int
		for _, ev := range stsHistory(t, e.store, ns, "db") {
			if ev.typ == state.Deleted && ev.index > updatedAt {
				deleted = append(deleted, ev.ordinal)
				if next := ev.ordinal + 1; next < 3 && !ev.ready[next] {
					t.Errorf("index %d: db-%d deleted before db-%d was back and ready", ev.index, ev.ordinal, next)
				}
			}
		}
		if fmt.Sprint(deleted) != "[2 1 0]" {
			t.Errorf("update deleted ordinals %v, want [2 1 0]", deleted)
		}

		// Partition 2: only db-2 moves to the next revision, and a pod below
		// the partition comes back at the current one.
		updateSTS(t, e, ns, "db", func(s *api.StatefulSet) {
			s.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateStatefulSetStrategy{Partition: api.Ptr(int32(2))}
			s.Spec.Template.Spec.Containers[0].Image = "busybox:1.38"
		})
		eventually(t, 20*time.Second, func() error {
			st := getSTS(t, e, ns, "db").Status
			if st.UpdateRevision == rev2 || st.CurrentRevision != rev2 || st.UpdatedReplicas != 1 ||
				st.CurrentReplicas != 2 || st.ReadyReplicas != 3 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
		old := stsPods(e, ns, "db")[0]
		if err := e.cl.Delete(ctx, "Pod", ns, "db-0", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			p := stsPods(e, ns, "db")[0]
			if p == nil || p.UID == old.UID || !podReady(p) {
				return fmt.Errorf("db-0 not back")
			}
			if got := p.Labels[scheduler.StatefulSetRevisionLabel]; got != rev2 {
				return fmt.Errorf("db-0 back at revision %s, want the current %s", got, rev2)
			}
			if img := p.Spec.Containers[0].Image; img != "busybox:1.37" {
				return fmt.Errorf("db-0 back with image %s", img)
			}
			return nil
		})
		if p := stsPods(e, ns, "db")[1]; p.Labels[scheduler.StatefulSetRevisionLabel] != rev2 {
			t.Errorf("db-1 below the partition was updated")
		}
	})

	t.Run("OnDelete updates only pods the user deletes", func(t *testing.T) {
		ns := e.namespace(t, "sts-ondelete")
		labels := map[string]string{"app": "od"}
		s := newStatefulSet(ns, "od", 2, labels)
		s.Spec.UpdateStrategy = api.StatefulSetUpdateStrategy{Type: api.OnDeleteStrategyType}
		if _, err := e.cl.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "od", 2, "") })
		rev1 := stsPods(e, ns, "od")[0].Labels[scheduler.StatefulSetRevisionLabel]
		updateSTS(t, e, ns, "od", func(s *api.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "busybox:1.37" })
		var rev2 string
		eventually(t, 5*time.Second, func() error {
			st := getSTS(t, e, ns, "od").Status
			if rev2 = st.UpdateRevision; rev2 == rev1 || st.CurrentRevision != rev1 || st.UpdatedReplicas != 0 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
		time.Sleep(300 * time.Millisecond)
		if err := exactlyReady(e, ns, "od", 2, rev1); err != nil {
			t.Fatalf("OnDelete changed pods by itself: %v", err)
		}
		if err := e.cl.Delete(ctx, "Pod", ns, "od-1", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			p := stsPods(e, ns, "od")[1]
			if p == nil || p.Labels[scheduler.StatefulSetRevisionLabel] != rev2 || !podReady(p) {
				return fmt.Errorf("od-1 not back at %s", rev2)
			}
			st := getSTS(t, e, ns, "od").Status
			if st.UpdatedReplicas != 1 || st.CurrentReplicas != 1 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
		if p := stsPods(e, ns, "od")[0]; p.Labels[scheduler.StatefulSetRevisionLabel] != rev1 {
			t.Errorf("od-0 updated without being deleted")
		}
	})

	t.Run("a pod lost with its node is replaced only once the node is deleted", func(t *testing.T) {
		ns := e.namespace(t, "sts-lost")
		h := startHollow(t, e, "sts-lost-", 1)
		node := h.Nodes()[0]
		labels := map[string]string{"app": "q"}
		s := newStatefulSet(ns, "q", 1, labels)
		s.Spec.Template.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": node}
		if _, err := e.cl.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "q", 1, "") })
		h.Stop()
		lost := stsPods(e, ns, "q")[0]
		if err := markPhase(ctx, e, lost, api.PodFailed, scheduler.ReasonNodeLost); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			if p := stsPods(e, ns, "q")[0]; p == nil || p.UID != lost.UID {
				t.Fatalf("q-0 replaced while its node %s still exists", node)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := e.cl.Delete(ctx, "Node", "", node, clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			p := stsPods(e, ns, "q")[0]
			if p == nil || p.UID == lost.UID || api.PodIsTerminal(p) {
				return fmt.Errorf("q-0 not replaced")
			}
			return nil
		})
	})
}
