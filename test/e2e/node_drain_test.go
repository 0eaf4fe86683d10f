package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

const drainDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: drained, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: drained}}
  template:
    metadata: {labels: {app: drained}, annotations: {barque.io/driver: exec}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        command: ["sleep", "3600"]
`

// TestNodeDrain: `barque node drain` cordons the node holding a
// Deployment's pods and evicts them; the Deployment runs again on the other
// node; `node eligibility --enable` lifts the cordon.
func TestNodeDrain(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	c.startAgent("n2")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	waitNodeReady(ctx, t, cl, "n2", api.ConditionTrue)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	if out, code := run(t, env, drainDeployment, "apply", "-f", "-"); code != 0 {
		t.Fatalf("apply: %s", out)
	}
	on := func(node string) int {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "app=drained"})
		if err != nil {
			return -1
		}
		k := 0
		for _, o := range list.Items {
			if p := o.(*api.Pod); p.Spec.NodeName == node && p.Status.Phase == api.PodRunning {
				k++
			}
		}
		return k
	}
	busy := ""
	for ctx.Err() == nil && busy == "" {
		for _, n := range []string{"n1", "n2"} {
			if on(n) > 0 && on("n1")+on("n2") == 2 {
				busy = n
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	other := map[string]string{"n1": "n2", "n2": "n1"}[busy]
	out, code := run(t, env, "", "node", "drain", busy, "--deadline", "60s")
	if code != 0 || !strings.Contains(out, "drained") {
		t.Fatalf("drain: %d\n%s", code, out)
	}
	for ctx.Err() == nil && on(other) != 2 {
		time.Sleep(100 * time.Millisecond)
	}
	if on(other) != 2 || on(busy) != 0 {
		t.Fatalf("after the drain: %d pods on %s, %d on the drained %s", on(other), other, on(busy), busy)
	}
	if out, code := run(t, env, "", "node", "eligibility", busy, "--enable"); code != 0 {
		t.Fatalf("eligibility: %s", out)
	}
	obj, err := cl.Get(ctx, "Node", "", busy, client.GetOptions{})
	if err != nil || obj.(*api.Node).Spec.Unschedulable {
		t.Fatalf("the node is still cordoned: %v", err)
	}
}
