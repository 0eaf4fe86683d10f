package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/internal/hollow"
)

func prioPod(name, mem string, prio int32) *api.Pod {
	p := pod(name, mem)
	p.Spec.Priority = api.Ptr(prio)
	return p
}

// TestPreemptionOnHollowNodes: two nodes full of low-priority pods; a pod
// of equal priority that fits nowhere evicts nothing, and a high-priority
// one evicts the fewest pods that make room (two, on one node), says so in
// Events, and is then bound there.
func TestPreemptionOnHollowNodes(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h, err := hollow.New(hollow.Config{Client: cl, Prefix: "pre", Count: 2, CPU: "4", Memory: "1Gi", Pods: 10})
	if err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	<-h.Registered()

	for i := 0; i < 8; i++ { // 4 x 250Mi per 1Gi node: 24Mi left on each
		createPod(ctx, t, cl, prioPod(fmt.Sprintf("low%d", i), "250Mi", 1))
	}
	waitPods(ctx, t, cl, "8 low pods bound", func(ps map[string]*api.Pod) bool { return countBound(ps, "low") == 8 })
	createPod(ctx, t, cl, prioPod("peer", "400Mi", 1))
	waitPods(ctx, t, cl, "peer unschedulable", func(ps map[string]*api.Pod) bool {
		if ps["peer"] == nil {
			return false
		}
		c := api.FindCondition(ps["peer"].Status.Conditions, api.PodScheduled)
		return c != nil && c.Status == api.ConditionFalse
	})
	createPod(ctx, t, cl, prioPod("high", "400Mi", 100))
	final := waitPods(ctx, t, cl, "high bound", func(ps map[string]*api.Pod) bool { return ps["high"] != nil && ps["high"].Spec.NodeName != "" })

	checkVictims(t, final, "pre-00000")
	if final["peer"].Spec.NodeName != "" {
		t.Fatalf("equal-priority pod was bound to %s", final["peer"].Spec.NodeName)
	}
	if got := final["high"].Status.NominatedNodeName; got != "pre-00000" {
		t.Fatalf("nominatedNodeName %q", got)
	}
	checkPreemptionEvents(ctx, t, cl, 8-countBound(final, "low"))
}

// checkVictims: exactly two low pods are gone, and the high-priority pod
// is bound to the node (both need two victims; the smaller name wins).
func checkVictims(t *testing.T, ps map[string]*api.Pod, node string) {
	t.Helper()
	if n := countBound(ps, "low"); n != 6 {
		t.Fatalf("%d low pods left, want 6 (two evicted)", n)
	}
	if got := ps["high"].Spec.NodeName; got != node {
		t.Fatalf("high bound to %s, want %s", got, node)
	}
	perNode := map[string]int{}
	for name, p := range ps {
		if len(name) > 3 && name[:3] == "low" {
			perNode[p.Spec.NodeName]++
		}
	}
	if perNode[node] != 2 {
		t.Fatalf("low pods per node %v: the victims should all come from %s", perNode, node)
	}
}

func checkPreemptionEvents(ctx context.Context, t *testing.T, cl *client.Client, victims int) {
	t.Helper()
	evs, err := cl.List(ctx, "Event", "default", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	preempting, preempted := 0, 0
	for _, o := range evs.Items {
		e := o.(*api.Event)
		switch {
		case e.InvolvedObject.Name == "high" && e.Reason == "Preempting":
			preempting++
			if e.Message != "Preempted 2 pods on node pre-00000 to make room" {
				t.Fatalf("preemptor event %q", e.Message)
			}
		case e.Reason == "Preempted":
			preempted++
			if e.Message != "Preempted by default/high on node pre-00000" {
				t.Fatalf("victim event %q", e.Message)
			}
		case e.InvolvedObject.Name == "peer" && (e.Reason == "Preempting" || e.Reason == "Preempted"):
			t.Fatalf("peer event %s: %s", e.Reason, e.Message)
		}
	}
	if preempting != 1 || preempted != victims || victims != 2 {
		t.Fatalf("events: %d Preempting, %d Preempted, %d victims", preempting, preempted, victims)
	}
}

func createPod(ctx context.Context, t *testing.T, cl *client.Client, obj *api.Pod) {
	t.Helper()
	if _, err := cl.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
}

// waitPods polls the default namespace's pods, by name, until ok holds.
func waitPods(ctx context.Context, t *testing.T, cl *client.Client, what string, ok func(map[string]*api.Pod) bool) map[string]*api.Pod {
	t.Helper()
	for ctx.Err() == nil {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{})
		if err == nil {
			ps := map[string]*api.Pod{}
			for _, o := range list.Items {
				p := o.(*api.Pod)
				ps[p.Name] = p
			}
			if ok(ps) {
				return ps
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return nil
}

func countBound(ps map[string]*api.Pod, prefix string) int {
	n := 0
	for name, p := range ps {
		if len(name) >= len(prefix) && name[:len(prefix)] == prefix && p.Spec.NodeName != "" {
			n++
		}
	}
	return n
}

// TestPreemptionWaitsForTerminatingVictims: victims held by a finalizer
// stay, being deleted; the preemptor waits for them instead of evicting
// more, and is bound once they are gone.
func TestPreemptionWaitsForTerminatingVictims(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h, err := hollow.New(hollow.Config{Client: cl, Prefix: "fin", Count: 1, CPU: "4", Memory: "1Gi", Pods: 10,
		HeartbeatInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	<-h.Registered()
	for i := 0; i < 4; i++ {
		p := prioPod(fmt.Sprintf("low%d", i), "250Mi", 1)
		p.Finalizers = []string{"example.com/hold"}
		createPod(ctx, t, cl, p)
	}
	waitPods(ctx, t, cl, "4 low pods bound", func(ps map[string]*api.Pod) bool { return countBound(ps, "low") == 4 })
	createPod(ctx, t, cl, prioPod("high", "400Mi", 100))
	waitPods(ctx, t, cl, "victims terminating", func(ps map[string]*api.Pod) bool { return countDeleting(ps) >= 2 })
	// Heartbeats change the store every 100ms, so the scheduler runs many
	// rounds meanwhile; none may evict a third pod.
	time.Sleep(time.Second)
	ps := waitPods(ctx, t, cl, "pods", func(map[string]*api.Pod) bool { return true })
	if n := countDeleting(ps); n != 2 {
		t.Fatalf("%d pods being deleted, want the 2 first victims only", n)
	}
	for _, p := range ps {
		if p.DeletionTimestamp != nil {
			p.Finalizers = nil
			if _, err := cl.Update(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	ps = waitPods(ctx, t, cl, "high bound", func(ps map[string]*api.Pod) bool { return ps["high"].Spec.NodeName != "" })
	if n := countBound(ps, "low"); n != 2 {
		t.Fatalf("%d low pods left, want 2", n)
	}
}

func countDeleting(ps map[string]*api.Pod) int {
	n := 0
	for _, p := range ps {
		if p.DeletionTimestamp != nil {
			n++
		}
	}
	return n
}
