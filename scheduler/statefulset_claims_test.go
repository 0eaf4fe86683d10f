package scheduler_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/hollow"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

// newStorageSet is a StatefulSet whose container mounts the claim template
// "data".
func newStorageSet(ns, name string, replicas int32, rp *api.StatefulSetPersistentVolumeClaimRetentionPolicy) *api.StatefulSet {
	s := newStatefulSet(ns, name, replicas, map[string]string{"app": name})
	s.Spec.Template.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "data", MountPath: "/data"}}
	s.Spec.VolumeClaimTemplates = []api.PersistentVolumeClaim{{ObjectMeta: api.ObjectMeta{Name: "data"},
		Spec: api.PersistentVolumeClaimSpec{AccessModes: []string{api.ReadWriteOnce},
			Resources: api.VolumeResourceRequirements{Requests: api.ResourceList{"storage": "1Gi"}}}}}
	s.Spec.PersistentVolumeClaimRetentionPolicy = rp
	return s
}

func getClaim(e *testEnv, ns, name string) *api.PersistentVolumeClaim {
	obj, _ := e.store.Get("PersistentVolumeClaim", ns, name)
	if obj == nil {
		return nil
	}
	return obj.(*api.PersistentVolumeClaim)
}

// boundClaim waits until claim ns/name is bound and Bound, and returns it.
func boundClaim(t *testing.T, e *testEnv, ns, name string) *api.PersistentVolumeClaim {
	t.Helper()
	var c *api.PersistentVolumeClaim
	eventually(t, 10*time.Second, func() error {
		if c = getClaim(e, ns, name); c == nil || c.ClaimNode() == "" || c.Status.Phase != api.ClaimBound {
			return fmt.Errorf("claim %s not bound: %+v", name, c)
		}
		return nil
	})
	return c
}

// pinnedTo reports the nodes a pod's required affinity allows by
// metadata.name, in its first term.
func pinnedTo(p *api.Pod) []string {
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	var out []string
	for _, f := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields {
		if f.Key == "metadata.name" && f.Operator == api.NodeSelectorOpIn {
			out = append(out, f.Values...)
		}
	}
	return out
}

func claimVolume(p *api.Pod, name string) string {
	for _, v := range p.Spec.Volumes {
		if v.Name == name && v.PersistentVolumeClaim != nil {
			return v.PersistentVolumeClaim.ClaimName
		}
	}
	return ""
}

// failedSchedulingWith checks that a FailedScheduling event about pod says
// reason.
func failedSchedulingWith(ctx context.Context, e *testEnv, ns string, pod *api.Pod, reason string) error {
	evs, err := e.cl.List(ctx, "Event", ns, client.ListOptions{})
	if err != nil {
		return err
	}
	for _, o := range evs.Items {
		ev := o.(*api.Event)
		if ev.InvolvedObject.UID == pod.UID && ev.Reason == "FailedScheduling" && strings.Contains(ev.Message, reason) {
			return nil
		}
	}
	return fmt.Errorf("no FailedScheduling event for %s saying %q", pod.Name, reason)
}

// TestStatefulSetClaims runs the StatefulSet controller and the garbage
// collector against a three-replica cluster with hollow nodes and checks
// volumeClaimTemplates: claims per pod, bound to the first node, the
// replacement pinned there, retention, and a claim whose node is gone.
func TestStatefulSetClaims(t *testing.T) {
	e := newTestEnv(t)
	startHollow(t, e, "sts-claim-node", 3)
	run(t, (&scheduler.StatefulSetController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}).Run)
	run(t, (&scheduler.GarbageCollector{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}).Run)
	ctx := context.Background()

	t.Run("claims per pod, bound to its node, the replacement pinned there, retained on scale-down", func(t *testing.T) {
		ns := e.namespace(t, "sts-claims")
		if _, err := e.cl.Create(ctx, newStorageSet(ns, "db", 2, nil)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "db", 2, "") })
		nodes := map[int]string{}
		for i, p := range stsPods(e, ns, "db") {
			name := fmt.Sprintf("data-db-%d", i)
			if got := claimVolume(p, "data"); got != name {
				t.Errorf("%s: volume data claims %q, want %q", p.Name, got, name)
			}
			c := boundClaim(t, e, ns, name)
			if c.ClaimNode() != p.Spec.NodeName {
				t.Errorf("%s bound to %s, its pod runs on %s", name, c.ClaimNode(), p.Spec.NodeName)
			}
			if c.Labels["app"] != "db" || len(c.OwnerReferences) != 0 || c.Spec.Resources.Requests["storage"] != "1Gi" ||
				!slices.Equal(c.Spec.AccessModes, []string{api.ReadWriteOnce}) {
				t.Errorf("claim %s: labels %v, owners %v, spec %+v", name, c.Labels, c.OwnerReferences, c.Spec)
			}
			nodes[i] = c.ClaimNode()
		}

		// The replacement of db-0 is pinned to its claim's node.
		old := stsPods(e, ns, "db")[0]
		claimUID := getClaim(e, ns, "data-db-0").UID
		if err := e.cl.Delete(ctx, "Pod", ns, "db-0", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			if p := stsPods(e, ns, "db")[0]; p == nil || p.UID == old.UID {
				return fmt.Errorf("db-0 not recreated")
			}
			return exactlyReady(e, ns, "db", 2, "")
		})
		p := stsPods(e, ns, "db")[0]
		if got := pinnedTo(p); !slices.Equal(got, []string{nodes[0]}) {
			t.Errorf("replacement db-0 pinned to %v, want [%s]", got, nodes[0])
		}
		if p.Annotations[scheduler.StatefulSetClaimNodeAnnotation] != nodes[0] || p.Spec.NodeName != nodes[0] {
			t.Errorf("replacement db-0 on %s (pin annotation %q), its claim on %s",
				p.Spec.NodeName, p.Annotations[scheduler.StatefulSetClaimNodeAnnotation], nodes[0])
		}
		if c := getClaim(e, ns, "data-db-0"); c == nil || c.UID != claimUID {
			t.Errorf("data-db-0 was replaced")
		}

		// Scale-down keeps the claim (Retain); scaling up again reuses it
		// on its node.
		updateSTS(t, e, ns, "db", func(s *api.StatefulSet) { s.Spec.Replicas = api.Ptr(int32(1)) })
		eventually(t, 10*time.Second, func() error { return exactlyReady(e, ns, "db", 1, "") })
		time.Sleep(300 * time.Millisecond)
		kept := getClaim(e, ns, "data-db-1")
		if kept == nil {
			t.Fatal("data-db-1 deleted on scale-down under the default Retain policy")
		}
		updateSTS(t, e, ns, "db", func(s *api.StatefulSet) { s.Spec.Replicas = api.Ptr(int32(2)) })
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "db", 2, "") })
		if p := stsPods(e, ns, "db")[1]; p.Spec.NodeName != nodes[1] {
			t.Errorf("db-1 back on %s, its claim is on %s", p.Spec.NodeName, nodes[1])
		}
		if c := getClaim(e, ns, "data-db-1"); c == nil || c.UID != kept.UID {
			t.Errorf("data-db-1 not reused")
		}

		// Deleting the set (Retain) leaves the claims.
		if err := e.cl.Delete(ctx, "StatefulSet", ns, "db", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("db pods", len(stsPods(e, ns, "db")), 0) })
		time.Sleep(300 * time.Millisecond)
		for i := 0; i < 2; i++ {
			if getClaim(e, ns, fmt.Sprintf("data-db-%d", i)) == nil {
				t.Errorf("data-db-%d deleted with its set under the default Retain policy", i)
			}
		}
	})

	t.Run("Delete policies: scale-down and set deletion delete the claims", func(t *testing.T) {
		ns := e.namespace(t, "sts-claims-delete")
		rp := &api.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: api.DeleteClaimRetention, WhenScaled: api.DeleteClaimRetention}
		set, err := e.cl.Create(ctx, newStorageSet(ns, "tmp", 3, rp))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "tmp", 3, "") })
		for i := 0; i < 3; i++ {
			c := boundClaim(t, e, ns, fmt.Sprintf("data-tmp-%d", i))
			if len(c.OwnerReferences) != 1 || c.OwnerReferences[0].UID != set.GetObjectMeta().UID {
				t.Errorf("%s owners %v, want the set", c.Name, c.OwnerReferences)
			}
		}
		updateSTS(t, e, ns, "tmp", func(s *api.StatefulSet) { s.Spec.Replicas = api.Ptr(int32(1)) })
		eventually(t, 10*time.Second, func() error {
			if err := exactlyReady(e, ns, "tmp", 1, ""); err != nil {
				return err
			}
			for i := 1; i < 3; i++ {
				if getClaim(e, ns, fmt.Sprintf("data-tmp-%d", i)) != nil {
					return fmt.Errorf("data-tmp-%d still there after scale-down", i)
				}
			}
			return nil
		})
		if getClaim(e, ns, "data-tmp-0") == nil {
			t.Fatal("data-tmp-0 deleted, its ordinal is still in range")
		}
		if err := e.cl.Delete(ctx, "StatefulSet", ns, "tmp", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			if getClaim(e, ns, "data-tmp-0") != nil {
				return fmt.Errorf("data-tmp-0 still there after its set was deleted")
			}
			return nil
		})
	})

	t.Run("a claim whose node is gone is Lost, its pod Pending; deleting the claim releases it", func(t *testing.T) {
		ns := e.namespace(t, "sts-claims-lost")
		first := startHollow(t, e, "sts-claim-first", 1)
		lost := first.Nodes()[0]
		spare := "sts-claim-spare-00000"
		s := newStorageSet(ns, "q", 1, nil)
		s.Spec.Template.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{{
				MatchExpressions: []api.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: api.NodeSelectorOpIn, Values: []string{lost, spare}}},
			}}}}}
		if _, err := e.cl.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "q", 1, "") })
		if c := boundClaim(t, e, ns, "data-q-0"); c.ClaimNode() != lost {
			t.Fatalf("data-q-0 bound to %s, want %s", c.ClaimNode(), lost)
		}

		// The node dies and is deleted; the pod is deleted too.
		first.Stop()
		if err := e.cl.Delete(ctx, "Node", "", lost, clientDelete()); err != nil {
			t.Fatal(err)
		}
		old := stsPods(e, ns, "q")[0]
		if err := e.cl.Delete(ctx, "Pod", ns, "q-0", clientDelete()); err != nil {
			t.Fatal(err)
		}
		startHollow(t, e, "sts-claim-spare", 1)
		goneReason := "claim data-q-0 is bound to node " + lost + ", which is gone: delete the claim to release it"
		eventually(t, 10*time.Second, func() error {
			if c := getClaim(e, ns, "data-q-0"); c == nil || c.Status.Phase != api.ClaimLost {
				return fmt.Errorf("data-q-0 not Lost: %+v", c)
			}
			p := stsPods(e, ns, "q")[0]
			if p == nil || p.UID == old.UID {
				return fmt.Errorf("q-0 not recreated")
			}
			if got := pinnedTo(p); !slices.Equal(got, []string{lost}) {
				return fmt.Errorf("q-0 pinned to %v, want [%s]", got, lost)
			}
			if c := api.FindCondition(p.Status.Conditions, api.PodScheduled); c == nil || c.Status != api.ConditionFalse {
				return fmt.Errorf("q-0 not reported unschedulable: %+v", p.Status)
			}
			if c := api.FindCondition(p.Status.Conditions, api.PodScheduled); !strings.Contains(c.Message, goneReason) {
				return fmt.Errorf("q-0 unschedulable for %q, want the claim's reason %q", c.Message, goneReason)
			}
			return nil
		})
		// The scheduler's event says it too.
		eventually(t, 10*time.Second, func() error {
			return failedSchedulingWith(ctx, e, ns, stsPods(e, ns, "q")[0], goneReason)
		})
		// The template's own requirement is kept, ANDed with the pin.
		p := stsPods(e, ns, "q")[0]
		if terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms; len(terms) != 1 ||
			len(terms[0].MatchExpressions) != 1 {
			t.Errorf("q-0 affinity terms %+v", terms)
		}
		time.Sleep(500 * time.Millisecond)
		if p := stsPods(e, ns, "q")[0]; p.Spec.NodeName != "" {
			t.Fatalf("q-0 bound to %s while its claim is on the gone node %s", p.Spec.NodeName, lost)
		}

		// Deleting the claim releases the ordinal: a fresh claim, an
		// unpinned pod, which runs on the spare node.
		lostClaim := getClaim(e, ns, "data-q-0")
		if err := e.cl.Delete(ctx, "PersistentVolumeClaim", ns, "data-q-0", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error {
			if err := exactlyReady(e, ns, "q", 1, ""); err != nil {
				return err
			}
			if p := stsPods(e, ns, "q")[0]; p.Spec.NodeName != spare {
				return fmt.Errorf("q-0 on %s, want %s", p.Spec.NodeName, spare)
			}
			c := getClaim(e, ns, "data-q-0")
			if c == nil || c.UID == lostClaim.UID || c.ClaimNode() != spare || c.Status.Phase != api.ClaimBound {
				return fmt.Errorf("data-q-0 not recreated and bound to %s: %+v", spare, c)
			}
			return nil
		})
	})

	t.Run("a new claim larger than its node's ephemeral-storage keeps its pod Pending", func(t *testing.T) {
		ns := e.namespace(t, "sts-claims-storage")
		small := startHollowWith(t, e, hollow.Config{Prefix: "sts-claim-small", Count: 1, EphemeralStorage: "512Mi"}).Nodes()[0]
		onSmall := func(name, storage string) *api.StatefulSet {
			s := newStorageSet(ns, name, 1, nil)
			s.Spec.Template.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": small}
			s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests["storage"] = storage
			return s
		}
		if _, err := e.cl.Create(ctx, onSmall("big", "1Gi")); err != nil {
			t.Fatal(err)
		}
		const reason = "1 insufficient ephemeral-storage for claim data-big-0"
		eventually(t, 10*time.Second, func() error {
			p := stsPods(e, ns, "big")[0]
			if p == nil {
				return fmt.Errorf("big-0 not created")
			}
			if c := api.FindCondition(p.Status.Conditions, api.PodScheduled); c == nil || c.Status != api.ConditionFalse ||
				!strings.Contains(c.Message, reason) {
				return fmt.Errorf("big-0 not unschedulable for %q: %+v", reason, p.Status)
			}
			return failedSchedulingWith(ctx, e, ns, p, reason)
		})
		// A claim that fits goes there and is bound there; once bound, its
		// size no longer counts.
		if _, err := e.cl.Create(ctx, onSmall("fit", "256Mi")); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error { return exactlyReady(e, ns, "fit", 1, "") })
		if c := boundClaim(t, e, ns, "data-fit-0"); c.ClaimNode() != small {
			t.Errorf("data-fit-0 bound to %s, want %s", c.ClaimNode(), small)
		}
		if p := stsPods(e, ns, "big")[0]; p.Spec.NodeName != "" {
			t.Errorf("big-0 bound to %s", p.Spec.NodeName)
		}
	})
}
