package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/bench/nodefail"
)

// TestLeaderChangeKeepsNodesReady (audit 2c): three servers, two agents
// heartbeating, a Deployment's pods on them. The leader is SIGKILLed twice
// (the first one restarted in between). Watching the Node and Pod objects
// throughout, no node may leave Ready=True and no pod may be marked lost;
// a new leader counts missed heartbeats from its takeover. The watch runs
// past the node grace period (10 s) after the second election.
func TestLeaderChangeKeepsNodesReady(t *testing.T) {
	c, cl, ctx, _ := startWithAgents(t, "n1", "n2")
	if _, err := cl.Create(ctx, nodefail.Deployment("steady", 4)); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	pods, err := nodefail.WaitRunning(ctx, cl, "steady", 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nodefail.KillTasks(pods) })

	v := &violations{}
	wctx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, kind := range []string{"Node", "Pod"} {
		wg.Add(1)
		go func(kind string) { defer wg.Done(); v.watch(wctx, cl, kind) }(kind)
	}

	for round := 1; round <= 2; round++ {
		old := c.leader(ctx, cl)
		c.kill(old)
		killed := time.Now()
		next := c.leader(ctx, cl)
		t.Logf("round %d: killed leader %s; %s leads after %v", round, old.name, next.name, time.Since(killed).Round(time.Millisecond))
		if round == 1 {
			time.Sleep(3 * time.Second)
			c.start(old) // back to three, so the second kill keeps a quorum
			time.Sleep(3 * time.Second)
		}
	}
	time.Sleep(12 * time.Second) // past the node grace period
	stopWatch()
	wg.Wait()
	if bad := v.list(); len(bad) > 0 {
		t.Fatalf("during leader changes:\n%s", bad)
	}
	for _, n := range []string{"n1", "n2"} {
		waitNodeReady(ctx, t, cl, n, api.ConditionTrue)
	}
	after, err := nodefail.Pods(ctx, cl, "steady")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(podUIDs(after)) != fmt.Sprint(podUIDs(pods)) {
		t.Fatalf("pods were replaced: before %s, after %s", nodefail.Describe(pods), nodefail.Describe(after))
	}
}

func podUIDs(pods []*api.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.UID)
	}
	return out
}

// violations collects every Node that left Ready=True and every Pod marked
// lost, as seen by a watch (every change, not just the end state).
type violations struct {
	mu  sync.Mutex
	bad []string
}

func (v *violations) add(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.bad = append(v.bad, fmt.Sprintf(format, args...))
}

func (v *violations) list() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := ""
	for _, b := range v.bad {
		out += "  " + b + "\n"
	}
	return out
}

func (v *violations) check(o api.Object) {
	switch x := o.(type) {
	case *api.Node:
		if cond := api.FindCondition(x.Status.Conditions, api.NodeReady); cond == nil || cond.Status != api.ConditionTrue {
			v.add("node %s not Ready at version %d: %+v", x.Name, x.ResourceVersion, cond)
		}
	case *api.Pod:
		if x.Status.Phase == api.PodFailed || x.Status.Reason == "NodeLost" {
			v.add("pod %s %s/%s at version %d", x.Name, x.Status.Phase, x.Status.Reason, x.ResourceVersion)
		}
	}
}

// watch lists kind, checks every object, then checks every change until
// ctx ends, listing again if the history it resumes from is gone.
func (v *violations) watch(ctx context.Context, cl *client.Client, kind string) {
	for ctx.Err() == nil {
		list, err := cl.List(ctx, kind, "", client.ListOptions{})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for _, o := range list.Items {
			v.check(o)
		}
		w, err := cl.Watch(ctx, kind, "", client.WatchOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for ev := range w.Events() {
			if ev.Err == nil && ev.Object != nil && ev.Type != client.EventDeleted {
				v.check(ev.Object)
			}
		}
		w.Stop()
	}
}
