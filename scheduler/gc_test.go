package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

func configMap(ns, name string, owners ...api.Object) *api.ConfigMap {
	c := &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}}
	for i, o := range owners {
		m := o.GetObjectMeta()
		c.OwnerReferences = append(c.OwnerReferences, api.OwnerReference{APIVersion: o.GetTypeMeta().APIVersion,
			Kind: o.GetTypeMeta().Kind, Name: m.Name, UID: m.UID, Controller: api.Ptr(i == 0), BlockOwnerDeletion: api.Ptr(true)})
	}
	return c
}

func mustCreate(t *testing.T, e *testEnv, obj api.Object) api.Object {
	t.Helper()
	out, err := e.cl.Create(context.Background(), obj)
	if err != nil {
		t.Fatalf("create %s %s: %v", obj.GetTypeMeta().Kind, obj.GetObjectMeta().Name, err)
	}
	return out
}

func gone(e *testEnv, kind, ns string, names ...string) error {
	for _, n := range names {
		if obj, _ := e.store.Get(kind, ns, n); obj != nil {
			return fmt.Errorf("%s %s/%s still there", kind, ns, n)
		}
	}
	return nil
}

// releaseConfigMap drops the finalizers that hold a ConfigMap.
func releaseConfigMap(t *testing.T, e *testEnv, ns, name string) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
		cur, _ := e.store.Get("ConfigMap", ns, name)
		u := api.Clone(cur.(*api.ConfigMap))
		u.Finalizers = nil
		_, err := e.cl.Update(context.Background(), u)
		return err
	})
}

func ownerRS(t *testing.T, e *testEnv, ns string) api.Object {
	return mustCreate(t, e, newReplicaSet(ns, "owner", 0, map[string]string{"app": "gc"}))
}

// TestGarbageCollector: background, foreground and orphan propagation, and
// namespace deletion, against a real cluster with the test's own collector.
func TestGarbageCollector(t *testing.T) {
	e := newTestEnv(t)
	gc := &scheduler.GarbageCollector{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}
	run(t, gc.Run)
	ctx := context.Background()

	t.Run("background deletes dependents, transitively, and keeps co-owned ones", func(t *testing.T) {
		ns := e.namespace(t, "gc-background")
		rs := ownerRS(t, e, ns)
		keeper := mustCreate(t, e, configMap(ns, "keeper"))
		d0 := mustCreate(t, e, configMap(ns, "d0", rs))
		mustCreate(t, e, configMap(ns, "d1", rs))
		mustCreate(t, e, configMap(ns, "grandchild", d0))
		mustCreate(t, e, configMap(ns, "shared", rs, keeper))
		if err := e.cl.Delete(ctx, "ReplicaSet", ns, "owner", clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return gone(e, "ConfigMap", ns, "d0", "d1", "grandchild") })
		eventually(t, 10*time.Second, func() error {
			obj, _ := e.store.Get("ConfigMap", ns, "shared")
			if obj == nil {
				return fmt.Errorf("co-owned dependent deleted")
			}
			if refs := obj.GetObjectMeta().OwnerReferences; len(refs) != 1 || refs[0].Name != "keeper" {
				return fmt.Errorf("owner references %+v", refs)
			}
			return nil
		})
	})

	t.Run("a dependent created after its owner is gone is collected", func(t *testing.T) {
		ns := e.namespace(t, "gc-late")
		rs := ownerRS(t, e, ns)
		if err := e.cl.Delete(ctx, "ReplicaSet", ns, "owner", clientDelete()); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, e, configMap(ns, "late", rs))
		eventually(t, 10*time.Second, func() error { return gone(e, "ConfigMap", ns, "late") })
	})

	t.Run("foreground goes down the chain", func(t *testing.T) {
		// top -> mid -> leaf, the leaf held by a finalizer: mid is deleted
		// in foreground too, so it stays (deleting) while its leaf does,
		// and top stays while mid does, as in Kubernetes.
		ns := e.namespace(t, "gc-chain")
		top := ownerRS(t, e, ns)
		mid := newReplicaSet(ns, "mid", 0, map[string]string{"app": "mid"})
		mid.OwnerReferences = configMap(ns, "x", top).OwnerReferences
		midObj := mustCreate(t, e, mid)
		leaf := configMap(ns, "leaf", midObj)
		leaf.Finalizers = []string{"barque.io/hold"}
		mustCreate(t, e, leaf)
		if err := e.cl.Delete(ctx, "ReplicaSet", ns, "owner", client.DeleteOptions{PropagationPolicy: api.DeletePropagationForeground}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			obj, _ := e.store.Get("ConfigMap", ns, "leaf")
			if obj == nil || obj.GetObjectMeta().DeletionTimestamp == nil {
				return fmt.Errorf("leaf not marked for deletion")
			}
			return nil
		})
		time.Sleep(300 * time.Millisecond)
		for _, name := range []string{"mid", "owner"} {
			obj, _ := e.store.Get("ReplicaSet", ns, name)
			if obj == nil || obj.GetObjectMeta().DeletionTimestamp == nil {
				t.Fatalf("ReplicaSet %s gone (or not deleting) while the leaf below it remains: %v", name, obj)
			}
		}
		releaseConfigMap(t, e, ns, "leaf")
		eventually(t, 10*time.Second, func() error { return gone(e, "ReplicaSet", ns, "owner", "mid") })
	})

	t.Run("foreground waits for blocking dependents", func(t *testing.T) {
		ns := e.namespace(t, "gc-foreground")
		rs := ownerRS(t, e, ns)
		mustCreate(t, e, configMap(ns, "d0", rs))
		held := configMap(ns, "held", rs)
		held.Finalizers = []string{"barque.io/hold"}
		mustCreate(t, e, held)
		if err := e.cl.Delete(ctx, "ReplicaSet", ns, "owner", client.DeleteOptions{PropagationPolicy: api.DeletePropagationForeground}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			if err := gone(e, "ConfigMap", ns, "d0"); err != nil {
				return err
			}
			obj, _ := e.store.Get("ConfigMap", ns, "held")
			if obj == nil || obj.GetObjectMeta().DeletionTimestamp == nil {
				return fmt.Errorf("held dependent not marked for deletion")
			}
			return nil
		})
		time.Sleep(200 * time.Millisecond)
		obj, _ := e.store.Get("ReplicaSet", ns, "owner")
		if obj == nil || obj.GetObjectMeta().DeletionTimestamp == nil {
			t.Fatalf("owner gone (or not deleting) while a blocking dependent remains: %v", obj)
		}
		releaseConfigMap(t, e, ns, "held")
		eventually(t, 10*time.Second, func() error { return gone(e, "ReplicaSet", ns, "owner") })
	})

	t.Run("orphan releases dependents", func(t *testing.T) {
		ns := e.namespace(t, "gc-orphan")
		rs := ownerRS(t, e, ns)
		mustCreate(t, e, configMap(ns, "d0", rs))
		mustCreate(t, e, configMap(ns, "d1", rs))
		if err := e.cl.Delete(ctx, "ReplicaSet", ns, "owner", client.DeleteOptions{PropagationPolicy: api.DeletePropagationOrphan}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return gone(e, "ReplicaSet", ns, "owner") })
		time.Sleep(200 * time.Millisecond)
		for _, n := range []string{"d0", "d1"} {
			obj, _ := e.store.Get("ConfigMap", ns, n)
			if obj == nil || len(obj.GetObjectMeta().OwnerReferences) != 0 {
				t.Fatalf("orphaned dependent %s: %v", n, obj)
			}
		}
	})

	t.Run("namespace deletion empties it, then releases it", func(t *testing.T) {
		ns := &api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Name: "gc-ns", Finalizers: []string{api.FinalizerKubernetes}}}
		mustCreate(t, e, ns)
		ownerRS(t, e, "gc-ns")
		for i := 0; i < 20; i++ {
			mustCreate(t, e, configMap("gc-ns", fmt.Sprintf("c%d", i)))
		}
		if err := e.cl.Delete(ctx, "Namespace", "", "gc-ns", clientDelete()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cl.Create(ctx, configMap("gc-ns", "new")); err == nil {
			t.Error("created an object in a terminating namespace")
		}
		eventually(t, 10*time.Second, func() error {
			if obj, _ := e.store.Get("Namespace", "", "gc-ns"); obj != nil {
				n := obj.(*api.Namespace)
				left := 0
				for _, k := range api.Kinds() {
					if k.Namespaced {
						left += len(e.store.View().List(k.Kind, "gc-ns", nil))
					}
				}
				return fmt.Errorf("namespace still there (phase %s, finalizers %v, %d objects left)", n.Status.Phase, n.Finalizers, left)
			}
			return nil
		})
		if n := len(e.store.View().List("ConfigMap", "gc-ns", nil)) + len(e.store.View().List("ReplicaSet", "gc-ns", nil)); n != 0 {
			t.Fatalf("%d objects left in the deleted namespace", n)
		}
	})

	t.Run("objects of a namespace deleted at once are collected", func(t *testing.T) {
		ns := e.namespace(t, "gc-ns-bare")
		for i := 0; i < 5; i++ {
			mustCreate(t, e, configMap(ns, fmt.Sprintf("c%d", i)))
		}
		if err := e.cl.Delete(ctx, "Namespace", "", ns, clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			return countf("configmaps left", len(e.store.View().List("ConfigMap", ns, nil)), 0)
		})
	})
}
