package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

const emptyDirPod = `
metadata: {name: sharing, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: Never
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: writer
    command: ["sh", "-c", "echo hello > data/msg; sleep 30"]
    volumeMounts: [{name: scratch, mountPath: data}]
  - name: reader
    command: ["sh", "-c", "for i in $(seq 50); do [ -s $BARQUE_VOLUME_SCRATCH/msg ] && exit 0; sleep 0.1; done; exit 1"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
`

// TestEmptyDirSharedAndOrphansStopped: two exec tasks share an emptyDir
// (one through a relative mountPath, one through BARQUE_VOLUME_<NAME>); then
// the agent is killed, the pod deleted while it is down, and the restarted
// agent stops the pod's remaining task.
func TestEmptyDirSharedAndOrphansStopped(t *testing.T) {
	c := startProcCluster(t)
	cl := c.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.leader(ctx, cl)
	waitWritable(ctx, t, cl)
	agent := c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	pod := applyPod(ctx, t, cl, emptyDirPod)
	p := waitPod(ctx, t, cl, pod.Name, "reader done, writer running", func(p *api.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 2 && cs[0].State.Running != nil && cs[1].State.Terminated != nil
	})
	if code := p.Status.ContainerStatuses[1].State.Terminated.ExitCode; code != 0 {
		t.Fatalf("the reader did not see the writer's file through the emptyDir: exit %d", code)
	}
	writer := taskPIDs(p)[0]

	c.kill(agent)
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	c.start(agent)
	for ctx.Err() == nil {
		if syscall.Kill(writer, 0) != nil {
			return // stopped by the restarted agent
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("task %d of a pod deleted while the agent was down still runs", writer)
}
