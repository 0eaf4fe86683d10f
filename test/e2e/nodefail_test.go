package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/bench/nodefail"
)

// TestNodeFailReplacesPods (issue #3): three servers, two agents, a
// Deployment of four exec pods. The agent holding the most pods is SIGKILLed
// together with its tasks; the leader marks the node lost and its pods
// Failed/NodeLost, and the Deployment runs four pods on the survivor again.
// The time is logged (bench-nodefail measures it); the bound is generous.
func TestNodeFailReplacesPods(t *testing.T) {
	c, cl, ctx, agents := startWithAgents(t, "n1", "n2")

	const replicas = 4
	if _, err := cl.Create(ctx, nodefail.Deployment("nf", replicas)); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	pods, err := nodefail.WaitRunning(ctx, cl, "nf", replicas)
	if err != nil {
		t.Fatal(err)
	}
	dead, victims := nodefail.Victim(pods)
	survivor := map[string]string{"n1": "n2", "n2": "n1"}[dead]
	t.Logf("%d of %d pods on %s, which dies: %s", len(victims), replicas, dead, nodefail.Describe(pods))
	// Tasks die with their agent too (they survive it on purpose): whatever
	// happens on the node afterwards, the old pods must not run anywhere.
	t.Cleanup(func() { nodefail.KillTasks(pods) })

	killed := time.Now()
	c.kill(agents[dead])
	nodefail.KillTasks(victims)
	octx, ocancel := context.WithTimeout(ctx, 60*time.Second)
	defer ocancel()
	r, err := nodefail.Observe(octx, cl, "nf", dead, victims, replicas, killed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("node failure to replacement: node marked lost after %v (%s); %d pods Running on %s after %v",
		r.Detected.Round(time.Millisecond), r.Reason, replicas, survivor, r.Replaced.Round(time.Millisecond))

	if r.Lost != len(victims) {
		after, _ := nodefail.Pods(ctx, cl, "nf")
		t.Fatalf("%d of the %d pods on %s were marked Failed/NodeLost: %s", r.Lost, len(victims), dead, nodefail.Describe(after))
	}
	n := waitNodeReady(ctx, t, cl, dead, api.ConditionUnknown)
	tainted := false
	for _, taint := range n.Spec.Taints {
		tainted = tainted || taint.Key == "node.kubernetes.io/unreachable"
	}
	if !tainted {
		t.Fatalf("node %s lost but not tainted unreachable: %+v", dead, n.Spec.Taints)
	}
	after, err := nodefail.Pods(ctx, cl, "nf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nodefail.KillTasks(after) })
	on := 0
	for _, p := range after {
		if p.Status.Phase == api.PodRunning {
			if p.Spec.NodeName != survivor {
				t.Fatalf("pod %s Running on %s, want %s", p.Name, p.Spec.NodeName, survivor)
			}
			on++
		}
	}
	if on != replicas {
		t.Fatalf("%d pods Running on %s, want %d: %s", on, survivor, replicas, nodefail.Describe(after))
	}
}
