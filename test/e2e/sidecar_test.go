package e2e

import (
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

const sidecarPod = `
metadata: {name: withsidecar, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: Never
  initContainers:
  - name: setup
    command: ["sh", "-c", "echo ready > $NOMAD_ALLOC_DIR/init.txt"]
  - name: logger
    restartPolicy: Always
    command: ["sh", "-c", "while true; do echo tick >> $NOMAD_ALLOC_DIR/side.log; sleep 0.2; done"]
  containers:
  - name: main
    command: ["sh", "-c", "sleep 1; test -f $NOMAD_ALLOC_DIR/init.txt && test -s $NOMAD_ALLOC_DIR/side.log"]
`

// TestSidecarRunsBesideMain: an init container runs to completion, a
// sidecar (an init container with restartPolicy Always) starts next and
// keeps running beside the main container, which sees both; when the main
// container is done the pod succeeds and the sidecar is stopped.
func TestSidecarRunsBesideMain(t *testing.T) {
	c, cl, ctx := startWritable(t, 60*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	pod := applyPod(ctx, t, cl, sidecarPod)
	// The phase turns Succeeded when the main container is done; the
	// sidecar's stop is reported right after.
	done := waitPod(ctx, t, cl, pod.Name, "finished with its sidecar stopped", func(p *api.Pod) bool {
		finished := p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
		return finished && len(p.Status.InitContainerStatuses) == 2 && p.Status.InitContainerStatuses[1].State.Running == nil
	})
	if done.Status.Phase != api.PodSucceeded {
		t.Fatalf("pod %s: main %+v", done.Status.Phase, done.Status.ContainerStatuses)
	}
	if len(done.Status.InitContainerStatuses) != 2 || done.Status.InitContainerStatuses[1].State.Running != nil {
		t.Fatalf("init statuses after the pod finished: %+v", done.Status.InitContainerStatuses)
	}
}
