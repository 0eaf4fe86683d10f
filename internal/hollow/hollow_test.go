package hollow

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func TestConfigChecked(t *testing.T) {
	if _, err := New(Config{Count: 1}); err == nil {
		t.Error("no client: want an error")
	}
	cl, err := client.New(client.Config{Addresses: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Client: cl}); err == nil {
		t.Error("no count: want an error")
	}
	h, err := New(Config{Client: cl, Prefix: "hn", Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(h.Nodes()); got != "[hn-00000 hn-00001 hn-00002]" {
		t.Errorf("Nodes() = %s", got)
	}
}

// TestNodesRegisterAndHeartbeat: 200 hollow nodes register Ready with their
// capacity, labels and taints, and their heartbeats move lastHeartbeatTime.
func TestNodesRegisterAndHeartbeat(t *testing.T) {
	_, cl := newCluster(t)
	h, err := New(Config{Client: cl, Prefix: "hn", Count: 200, HeartbeatInterval: 500 * time.Millisecond,
		Labels: func(i int) map[string]string { return map[string]string{"zone": fmt.Sprintf("z%d", i%3)} },
		Taints: func(i int) []api.Taint {
			if i == 0 {
				return []api.Taint{{Key: "dedicated", Value: "gpu", Effect: api.TaintNoSchedule}}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, h)
	waitRegistered(t, h, 20*time.Second)
	ctx := context.Background()
	list, err := cl.List(ctx, "Node", "", client.ListOptions{LabelSelector: "barque.io/hollow=true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 200 {
		t.Fatalf("%d hollow nodes listed, want 200", len(list.Items))
	}
	for _, o := range list.Items {
		n := o.(*api.Node)
		if !nodeReady(n) || n.Status.Allocatable["cpu"] != "4" || n.Status.Capacity["memory"] != "16Gi" ||
			n.Status.Capacity["pods"] != "110" || fmt.Sprint(n.Status.Drivers) != "[docker exec]" || n.Labels["zone"] == "" {
			t.Fatalf("node %s: %+v %+v", n.Name, n.Labels, n.Status)
		}
	}
	first, err := cl.Get(ctx, "Node", "", "hn-00000", client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if taints := first.(*api.Node).Spec.Taints; len(taints) != 1 || taints[0].Key != "dedicated" {
		t.Errorf("hn-00000 taints = %+v", taints)
	}
	// Heartbeats go to the leader's memory, not to the log: every node
	// heartbeats, and the stored node does not change.
	eventually(t, 10*time.Second, func() error {
		if s := h.Stats(); s.Heartbeats < 200 {
			return fmt.Errorf("%d heartbeats, want one per node at least", s.Heartbeats)
		}
		return nil
	})
	cur, err := cl.Get(ctx, "Node", "", "hn-00000", client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rv0, rv := first.GetObjectMeta().ResourceVersion, cur.GetObjectMeta().ResourceVersion; rv != rv0 || !nodeReady(cur.(*api.Node)) {
		t.Errorf("heartbeats rewrote hn-00000 (resourceVersion %d -> %d) or it is not Ready", rv0, rv)
	}
	if s := h.Stats(); s.NodesRegistered != 200 || s.Heartbeats == 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestPodsRunAndAreForgotten: pods bound to hollow nodes (before and after
// Run starts) become Running; others are left alone; deleted pods are
// forgotten.
func TestPodsRunAndAreForgotten(t *testing.T) {
	_, cl := newCluster(t)
	ctx := context.Background()
	h, err := New(Config{Client: cl, Prefix: "hp", Count: 10, StartDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := createPods(ctx, cl, "early", 5, h.Nodes(), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Create(ctx, testPod("elsewhere", "real-node")); err != nil {
		t.Fatal(err)
	}
	start(t, h)
	if err := createPods(ctx, cl, "late", 25, h.Nodes(), 10); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, func() error {
		l, err := cl.List(ctx, "Pod", "default", client.ListOptions{FieldSelector: "status.phase=Running"})
		if err != nil {
			return err
		}
		if len(l.Items) != 30 {
			return fmt.Errorf("%d pods running, want 30 (%+v)", len(l.Items), h.Stats())
		}
		return nil
	})
	got, err := cl.Get(ctx, "Pod", "default", "late-3", client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkRunning(t, got.(*api.Pod))
	other, err := cl.Get(ctx, "Pod", "default", "elsewhere", client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ph := other.(*api.Pod).Status.Phase; ph == api.PodRunning {
		t.Errorf("a pod bound to a real node was reported %s", ph)
	}
	if s := h.Stats(); s.PodsStarted != 30 || s.PodsTracked != 30 {
		t.Errorf("stats %+v, want 30 started and tracked", s)
	}
	for _, name := range []string{"early-0", "late-7"} {
		if err := cl.Delete(ctx, "Pod", "default", name, client.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, func() error {
		if n := h.Stats().PodsTracked; n != 28 {
			return fmt.Errorf("%d pods tracked, want 28", n)
		}
		return nil
	})
	// A deleted pod a hollow node runs is deleted gracefully; the node
	// ends its grace period at once, as an agent does once the pod's
	// tasks stopped.
	eventually(t, 5*time.Second, func() error {
		for _, name := range []string{"early-0", "late-7"} {
			if _, err := cl.Get(ctx, "Pod", "default", name, client.GetOptions{}); !errors.Is(err, api.ErrNotFound) {
				return fmt.Errorf("pod %s after its delete: %v", name, err)
			}
		}
		return nil
	})
	// A pod recreated under a deleted pod's name is a new pod: it starts.
	if _, err := cl.Create(ctx, testPod("late-7", h.Nodes()[0])); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() error {
		p, err := cl.Get(ctx, "Pod", "default", "late-7", client.GetOptions{})
		if err != nil {
			return err
		}
		if p.(*api.Pod).Status.Phase != api.PodRunning {
			return fmt.Errorf("recreated pod is %q", p.(*api.Pod).Status.Phase)
		}
		return nil
	})
}

func checkRunning(t *testing.T, p *api.Pod) {
	t.Helper()
	st := p.Status
	if st.Phase != api.PodRunning || st.HostIP != HostIP || st.StartTime == nil {
		t.Fatalf("pod %s status %+v", p.Name, st)
	}
	for _, typ := range []string{api.PodScheduled, api.PodInitialized, api.ContainersReady, api.PodReady} {
		if c := api.FindCondition(st.Conditions, typ); c == nil || c.Status != api.ConditionTrue {
			t.Errorf("pod %s condition %s = %+v", p.Name, typ, c)
		}
	}
	if len(st.ContainerStatuses) != 2 || len(st.InitContainerStatuses) != 1 {
		t.Fatalf("pod %s container statuses %+v", p.Name, st)
	}
	for _, cs := range st.ContainerStatuses {
		if !cs.Ready || cs.State.Running == nil || cs.State.Running.StartedAt == nil {
			t.Errorf("pod %s container %s: %+v", p.Name, cs.Name, cs)
		}
	}
	if st.InitContainerStatuses[0].State.Terminated == nil {
		t.Errorf("init container not completed: %+v", st.InitContainerStatuses[0])
	}
}
