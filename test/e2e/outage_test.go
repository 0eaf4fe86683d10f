package e2e

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

const steadyPod = `
metadata: {name: steady, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: Always
  containers:
  - name: main
    command: ["sh", "-c", "while true; do sleep 1; done"]
`

// TestTasksSurviveControlPlaneOutage: every server process is SIGKILLed while
// an agent runs a pod; the task keeps running untouched; when the servers
// come back (from their data dirs) the agent reconciles without restarting
// it: same PID, no restart counted.
func TestTasksSurviveControlPlaneOutage(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	pod := applyPod(ctx, t, cl, steadyPod)
	running := waitPod(ctx, t, cl, pod.Name, "running", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && p.Status.ContainerStatuses[0].State.Running != nil
	})
	pids := taskPIDs(running)
	if len(pids) != 1 {
		t.Fatalf("task pids %v", pids)
	}

	for _, p := range c.procs {
		c.kill(p)
	}
	time.Sleep(4 * time.Second) // the agent's heartbeats and watch fail meanwhile
	if err := syscall.Kill(pids[0], 0); err != nil {
		t.Fatalf("the task died while the servers were down: %v", err)
	}
	for _, p := range c.procs {
		c.start(p)
	}
	c.leader(ctx, cl)
	waitWritable(ctx, t, cl)
	time.Sleep(4 * time.Second) // the agent re-lists and reports again
	after := waitPod(ctx, t, cl, pod.Name, "running after the outage", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && p.Status.ContainerStatuses[0].State.Running != nil
	})
	if got := taskPIDs(after); fmt.Sprint(got) != fmt.Sprint(pids) || after.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Fatalf("after the outage: pids %v (want %v), restarts %d", got, pids, after.Status.ContainerStatuses[0].RestartCount)
	}
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
}
