package scheduler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

func newReplicaSet(ns, name string, replicas int32, labels map[string]string) *api.ReplicaSet {
	return &api.ReplicaSet{
		TypeMeta:   api.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.ReplicaSetSpec{Replicas: api.Ptr(replicas), Selector: &api.LabelSelector{MatchLabels: labels},
			Template: testTemplate(labels, "busybox:1.36")},
	}
}

func getRS(t *testing.T, e *testEnv, ns, name string) *api.ReplicaSet {
	t.Helper()
	obj, _ := e.store.Get("ReplicaSet", ns, name)
	if obj == nil {
		t.Fatalf("replicaset %s/%s not found", ns, name)
	}
	return obj.(*api.ReplicaSet)
}

// TestReplicaSetController runs one ReplicaSet controller against a real
// three-replica cluster and checks each duty in its own namespace.
func TestReplicaSetController(t *testing.T) {
	e := newTestEnv(t)
	rsc := &scheduler.ReplicaSetController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}
	run(t, rsc.Run)
	ctx := context.Background()

	t.Run("creates replicas with owner, labels and status", func(t *testing.T) {
		ns := e.namespace(t, "rs-create")
		labels := map[string]string{"app": "web"}
		rs, err := e.cl.Create(ctx, newReplicaSet(ns, "web", 5, labels))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("pods", len(podsOf(e.store, ns, labels)), 5) })
		for _, p := range podsOf(e.store, ns, labels) {
			ref := controllerOf(p)
			if ref == nil || ref.UID != rs.GetObjectMeta().UID || ref.Kind != "ReplicaSet" || ref.Name != "web" {
				t.Errorf("pod %s owner = %+v", p.Name, p.OwnerReferences)
			}
			if !strings.HasPrefix(p.Name, "web-") || len(p.Name) != len("web-")+5 || p.Spec.NodeName != "" {
				t.Errorf("pod %s: name or node %q", p.Name, p.Spec.NodeName)
			}
		}
		eventually(t, 5*time.Second, func() error {
			st := getRS(t, e, ns, "web").Status
			if st.Replicas != 5 || st.FullyLabeledReplicas != 5 || st.ReadyReplicas != 0 || st.ObservedGeneration != 1 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
		for _, p := range podsOf(e.store, ns, labels)[:2] {
			if err := markReady(ctx, e, p); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, 5*time.Second, func() error {
			st := getRS(t, e, ns, "web").Status
			if st.ReadyReplicas != 2 || st.AvailableReplicas != 2 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
		// Settled: no more pods than asked, even after more passes.
		time.Sleep(200 * time.Millisecond)
		if n := len(e.store.View().List("Pod", ns, nil)); n != 5 {
			t.Errorf("%d pods in the namespace, want 5", n)
		}
	})

	t.Run("replaces deleted and failed pods", func(t *testing.T) {
		ns := e.namespace(t, "rs-replace")
		labels := map[string]string{"app": "api"}
		if _, err := e.cl.Create(ctx, newReplicaSet(ns, "api", 3, labels)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("pods", len(podsOf(e.store, ns, labels)), 3) })
		pods := podsOf(e.store, ns, labels)
		if err := e.cl.Delete(ctx, "Pod", ns, pods[0].Name, clientDelete()); err != nil {
			t.Fatal(err)
		}
		if err := markPhase(ctx, e, pods[1], api.PodFailed, "NodeLost"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			all := e.store.View().List("Pod", ns, nil)
			names := map[string]bool{}
			for _, o := range all {
				names[o.GetObjectMeta().Name] = true
			}
			if names[pods[0].Name] || names[pods[1].Name] || !names[pods[2].Name] {
				return fmt.Errorf("pods %v: want %s and %s replaced, %s kept", names, pods[0].Name, pods[1].Name, pods[2].Name)
			}
			return countf("pods", len(all), 3)
		})
	})

	t.Run("scales down not-ready pods first, and up again", func(t *testing.T) {
		ns := e.namespace(t, "rs-scale")
		labels := map[string]string{"app": "db"}
		if _, err := e.cl.Create(ctx, newReplicaSet(ns, "db", 4, labels)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("pods", len(podsOf(e.store, ns, labels)), 4) })
		ready := map[string]bool{}
		for _, p := range podsOf(e.store, ns, labels)[:2] {
			if err := markReady(ctx, e, p); err != nil {
				t.Fatal(err)
			}
			ready[p.Name] = true
		}
		eventually(t, 5*time.Second, func() error { return countf("ready", int(getRS(t, e, ns, "db").Status.ReadyReplicas), 2) })
		scaleRS(t, e, ns, "db", 2)
		eventually(t, 10*time.Second, func() error {
			pods := podsOf(e.store, ns, labels)
			for _, p := range pods {
				if !ready[p.Name] {
					return fmt.Errorf("not-ready pod %s kept", p.Name)
				}
			}
			return countf("pods", len(pods), 2)
		})
		scaleRS(t, e, ns, "db", 6)
		eventually(t, 10*time.Second, func() error { return countf("pods", len(podsOf(e.store, ns, labels)), 6) })
		scaleRS(t, e, ns, "db", 0)
		eventually(t, 10*time.Second, func() error { return countf("pods", len(podsOf(e.store, ns, labels)), 0) })
		eventually(t, 5*time.Second, func() error {
			st := getRS(t, e, ns, "db").Status
			if st.Replicas != 0 || st.ObservedGeneration != 4 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
	})

	t.Run("minReadySeconds delays availability", func(t *testing.T) {
		ns := e.namespace(t, "rs-minready")
		labels := map[string]string{"app": "slow"}
		rs := newReplicaSet(ns, "slow", 1, labels)
		rs.Spec.MinReadySeconds = 2
		if _, err := e.cl.Create(ctx, rs); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("pods", len(podsOf(e.store, ns, labels)), 1) })
		if err := markReady(ctx, e, podsOf(e.store, ns, labels)[0]); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, func() error { return countf("ready", int(getRS(t, e, ns, "slow").Status.ReadyReplicas), 1) })
		if st := getRS(t, e, ns, "slow").Status; st.AvailableReplicas != 0 {
			t.Errorf("available at once despite minReadySeconds: %+v", st)
		}
		// Nothing else changes: the controller must look again by itself.
		eventually(t, 6*time.Second, func() error { return countf("available", int(getRS(t, e, ns, "slow").Status.AvailableReplicas), 1) })
	})
}

func scaleRS(t *testing.T, e *testEnv, ns, name string, n int32) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
		rs := api.Clone(getRS(t, e, ns, name))
		rs.Spec.Replicas = api.Ptr(n)
		_, err := e.cl.Update(context.Background(), rs)
		return err
	})
}
