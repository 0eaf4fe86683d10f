package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/bench/nodefail"
)

// TestLostPodsStoppedWhenAgentReturns (issue #3, audit 2e): only the agent
// is SIGKILLed; its exec tasks keep running. The leader marks the node lost
// and its pods Failed/NodeLost; the Deployment's pods are replaced on the
// other node (and the ended ones deleted), a bare pod stays Failed. When the
// agent restarts it must stop every one of those old tasks, and must not
// report the bare pod Running again: it stays Failed/NodeLost.
func TestLostPodsStoppedWhenAgentReturns(t *testing.T) {
	c, cl, ctx, agents := startWithAgents(t, "n1", "n2")
	const replicas = 2
	if _, err := cl.Create(ctx, nodefail.Deployment("lost", replicas)); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	pods, err := nodefail.WaitRunning(ctx, cl, "lost", replicas)
	if err != nil {
		t.Fatal(err)
	}
	dead, victims := nodefail.Victim(pods)
	solo := applyPod(ctx, t, cl, fmt.Sprintf(`
metadata: {name: solo, annotations: {barque.io/driver: exec}}
spec:
  nodeName: %s
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: sleep
    command: ["sleep", "3600"]
`, dead))
	running := waitPod(ctx, t, cl, solo.Name, "Running", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && len(taskPIDs(p)) == 1
	})
	victims = append(victims, running)
	var pids []int
	for _, p := range victims {
		pids = append(pids, taskPIDs(p)...)
	}
	t.Cleanup(func() { nodefail.KillTasks(victims) })

	c.kill(agents[dead]) // the agent only: its tasks keep running
	octx, ocancel := context.WithTimeout(ctx, 60*time.Second)
	defer ocancel()
	if _, err := nodefail.Observe(octx, cl, "lost", dead, victims[:len(victims)-1], replicas, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitPod(ctx, t, cl, solo.Name, "marked lost", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodFailed && p.Status.Reason == "NodeLost"
	})
	for _, pid := range pids {
		if syscall.Kill(pid, 0) != nil {
			t.Fatalf("task pid %d died with its agent; the test needs it alive", pid)
		}
	}

	c.start(agents[dead])
	waitNodeReady(ctx, t, cl, dead, api.ConditionTrue)
	for _, pid := range pids {
		waitPIDGone(ctx, t, pid)
	}
	// The returned agent must not resurrect the bare pod: watch it for a
	// while (its status reports would have landed within this time).
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		obj, err := cl.Get(ctx, "Pod", "default", solo.Name, client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p := obj.(*api.Pod); p.Status.Phase != api.PodFailed || p.Status.Reason != "NodeLost" {
			t.Fatalf("lost pod %s went from Failed/NodeLost to %s/%s", p.Name, p.Status.Phase, p.Status.Reason)
		}
		time.Sleep(200 * time.Millisecond)
	}
	after, err := nodefail.Pods(ctx, cl, "lost")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range victims[:len(victims)-1] {
		for _, p := range after {
			if p.UID == v.UID && p.Status.Phase != api.PodFailed {
				t.Fatalf("lost pod %s is %s again", p.Name, p.Status.Phase)
			}
		}
	}
	// The bare pod's files stay for `barque logs` while it exists, although
	// no worker runs for it on the returned agent; deleting it removes them.
	soloDir := filepath.Join(c.dir, dead, "alloc", solo.UID)
	if _, err := os.Stat(soloDir); err != nil {
		t.Fatalf("the lost pod's directory: %v", err)
	}
	if err := cl.Delete(ctx, "Pod", "default", solo.Name, client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		if _, err := os.Stat(soloDir); os.IsNotExist(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the files of deleted pod %s are still in %s", solo.Name, soloDir)
}

// waitPIDGone waits until process pid has exited (a zombie counts as gone: it
// is reaped by its parent's parent, which may be slow).
func waitPIDGone(ctx context.Context, t *testing.T, pid int) {
	t.Helper()
	for ctx.Err() == nil {
		if syscall.Kill(pid, 0) != nil || isZombie(pid) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("task pid %d still runs", pid)
}

func isZombie(pid int) bool {
	b, err := readFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := len(b) - 1
	for i > 0 && b[i] != ')' {
		i--
	}
	return i+2 < len(b) && b[i+2] == 'Z'
}
