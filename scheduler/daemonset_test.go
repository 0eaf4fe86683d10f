package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/internal/hollow"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

func newDaemonSet(ns, name string, labels map[string]string) *api.DaemonSet {
	return &api.DaemonSet{
		TypeMeta:   api.TypeMeta{Kind: "DaemonSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.DaemonSetSpec{Selector: &api.LabelSelector{MatchLabels: labels},
			Template: testTemplate(labels, "busybox:1.36")},
	}
}

func getDS(t *testing.T, e *testEnv, ns, name string) *api.DaemonSet {
	t.Helper()
	obj, _ := e.store.Get("DaemonSet", ns, name)
	if obj == nil {
		t.Fatalf("daemonset %s/%s not found", ns, name)
	}
	return obj.(*api.DaemonSet)
}

// startHollow runs count hollow nodes until the test ends.
func startHollow(t *testing.T, e *testEnv, prefix string, count int) *hollow.Hollow {
	t.Helper()
	return startHollowWith(t, e, hollow.Config{Prefix: prefix, Count: count})
}

// startHollowWith runs the hollow nodes cfg describes until the test ends.
func startHollowWith(t *testing.T, e *testEnv, cfg hollow.Config) *hollow.Hollow {
	t.Helper()
	cfg.Client, cfg.HeartbeatInterval = e.cl, time.Second
	prefix := cfg.Prefix
	h, err := hollow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-h.Registered():
	case <-time.After(20 * time.Second):
		t.Fatalf("hollow nodes %s not registered", prefix)
	}
	return h
}

// daemonPods maps node -> the active daemon pods of ns on it.
func daemonPods(e *testEnv, ns string) map[string][]*api.Pod {
	out := map[string][]*api.Pod{}
	for _, p := range podsOf(e.store, ns, nil) {
		if p.DeletionTimestamp == nil {
			out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p)
		}
	}
	return out
}

// onePerNode checks that exactly nodes hold one pod each, with revision
// hash (any when "") and, when ready, Ready.
func onePerNode(e *testEnv, ns string, nodes []string, hash string, ready bool) error {
	got := daemonPods(e, ns)
	if len(got) != len(nodes) {
		return fmt.Errorf("pods on %d nodes, want %d: %v", len(got), len(nodes), keys(got))
	}
	for _, n := range nodes {
		ps := got[n]
		if len(ps) != 1 {
			return fmt.Errorf("node %s has %d pods", n, len(ps))
		}
		if hash != "" && ps[0].Labels[scheduler.DaemonSetRevisionLabel] != hash {
			return fmt.Errorf("node %s pod has revision %q", n, ps[0].Labels[scheduler.DaemonSetRevisionLabel])
		}
		if ready && !podReady(ps[0]) {
			return fmt.Errorf("node %s pod not ready", n)
		}
	}
	return nil
}

func keys(m map[string][]*api.Pod) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func dsStatus(t *testing.T, e *testEnv, ns, name string, desired, ready, updated int32) error {
	ds := getDS(t, e, ns, name)
	st := ds.Status
	if st.DesiredNumberScheduled != desired || st.CurrentNumberScheduled != desired || st.NumberReady != ready ||
		st.NumberAvailable != ready || st.UpdatedNumberScheduled != updated || st.NumberMisscheduled != 0 ||
		st.ObservedGeneration != ds.Generation {
		return fmt.Errorf("status %+v (generation %d)", st, ds.Generation)
	}
	return nil
}

func updateNode(t *testing.T, e *testEnv, name string, mut func(n *api.Node)) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		obj, _ := e.store.Get("Node", "", name)
		n := api.Clone(obj.(*api.Node))
		mut(n)
		_, err := e.cl.Update(context.Background(), n)
		return err
	})
}

// TestDaemonSetController: one pod per hollow node, following nodes that
// join, leave and get a NoExecute taint; a template change rolls out with
// never more than one node without an available pod; OnDelete waits.
func TestDaemonSetController(t *testing.T) {
	e := newTestEnv(t)
	h1 := startHollow(t, e, "dsa", 5)
	dsc := &scheduler.DaemonSetController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}
	run(t, dsc.Run)
	ctx := context.Background()
	ns := e.namespace(t, "ds")
	labels := map[string]string{"app": "agent"}
	if _, err := e.cl.Create(ctx, newDaemonSet(ns, "agent", labels)); err != nil {
		t.Fatal(err)
	}
	nodes := h1.Nodes()
	eventually(t, 20*time.Second, func() error { return onePerNode(e, ns, nodes, "", true) })
	eventually(t, 10*time.Second, func() error { return dsStatus(t, e, ns, "agent", 5, 5, 5) })

	h2 := startHollow(t, e, "dsb", 2)
	nodes = append(nodes, h2.Nodes()...)
	eventually(t, 20*time.Second, func() error { return onePerNode(e, ns, nodes, "", true) })

	// A node leaves: its pod goes.
	if err := e.cl.Delete(ctx, "Node", "", nodes[0], clientDelete()); err != nil {
		t.Fatal(err)
	}
	nodes = nodes[1:]
	eventually(t, 20*time.Second, func() error { return onePerNode(e, ns, nodes, "", true) })

	// A NoExecute taint evicts the daemon; a NoSchedule one keeps it.
	updateNode(t, e, nodes[0], func(n *api.Node) {
		n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: "dedicated", Value: "db", Effect: api.TaintNoExecute})
	})
	updateNode(t, e, nodes[1], func(n *api.Node) {
		n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: "dedicated", Value: "web", Effect: api.TaintNoSchedule})
	})
	eventually(t, 20*time.Second, func() error { return onePerNode(e, ns, nodes[1:], "", true) })
	eventually(t, 10*time.Second, func() error { return dsStatus(t, e, ns, "agent", 5, 5, 5) })
	nodes = nodes[1:]

	t.Run("rolling update keeps maxUnavailable", func(t *testing.T) {
		var mu sync.Mutex
		minAvail := len(nodes)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				n := 0
				for _, ps := range daemonPods(e, ns) {
					for _, p := range ps {
						if podReady(p) {
							n++
							break
						}
					}
				}
				mu.Lock()
				minAvail = min(minAvail, n)
				mu.Unlock()
			}
		}()
		var hash string
		eventually(t, 10*time.Second, func() error {
			ds := api.Clone(getDS(t, e, ns, "agent"))
			ds.Spec.Template.Spec.Containers[0].Image = "busybox:1.37"
			_, err := e.cl.Update(ctx, ds)
			return err
		})
		eventually(t, 30*time.Second, func() error {
			for _, ps := range daemonPods(e, ns) {
				if ps[0].Spec.Containers[0].Image == "busybox:1.37" {
					hash = ps[0].Labels[scheduler.DaemonSetRevisionLabel]
				}
			}
			if hash == "" {
				return fmt.Errorf("no updated pod yet")
			}
			// nodes[0] has a NoSchedule taint: its old pod stays, as no
			// new one could be created there.
			if err := onePerNode(e, ns, nodes, "", true); err != nil {
				return err
			}
			got := daemonPods(e, ns)
			for _, n := range nodes[1:] {
				if got[n][0].Labels[scheduler.DaemonSetRevisionLabel] != hash {
					return fmt.Errorf("node %s not updated yet", n)
				}
			}
			if got[nodes[0]][0].Labels[scheduler.DaemonSetRevisionLabel] == hash {
				return fmt.Errorf("node %s (NoSchedule taint) updated", nodes[0])
			}
			return nil
		})
		close(stop)
		wg.Wait()
		if minAvail < len(nodes)-1 {
			t.Errorf("at one point only %d of %d nodes had a ready pod (maxUnavailable 1)", minAvail, len(nodes))
		}
		eventually(t, 10*time.Second, func() error { return dsStatus(t, e, ns, "agent", 5, 5, 4) })
	})

	t.Run("OnDelete replaces only deleted pods", func(t *testing.T) {
		eventually(t, 10*time.Second, func() error {
			ds := api.Clone(getDS(t, e, ns, "agent"))
			ds.Spec.UpdateStrategy = api.DaemonSetUpdateStrategy{Type: api.OnDeleteStrategyType}
			ds.Spec.Template.Spec.Containers[0].Image = "busybox:1.38"
			_, err := e.cl.Update(ctx, ds)
			return err
		})
		eventually(t, 10*time.Second, func() error { return dsStatus(t, e, ns, "agent", 5, 5, 0) })
		victim := daemonPods(e, ns)[nodes[2]][0]
		if err := e.cl.Delete(ctx, "Pod", ns, victim.Name, clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() error {
			ps := daemonPods(e, ns)[nodes[2]]
			if len(ps) != 1 || ps[0].Spec.Containers[0].Image != "busybox:1.38" || !podReady(ps[0]) {
				return fmt.Errorf("node %s: %d pods, not replaced with the new template yet", nodes[2], len(ps))
			}
			return nil
		})
		eventually(t, 10*time.Second, func() error { return dsStatus(t, e, ns, "agent", 5, 5, 1) })
	})
}
