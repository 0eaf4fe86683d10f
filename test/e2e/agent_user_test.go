package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

const runAsPod = `
metadata: {name: runas, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: Never
  securityContext: {runAsUser: 65534}
  containers:
  - name: pod-level
    command: ["sh", "-c", "echo $(id -u) $(id -g); touch $NOMAD_TASK_DIR/mine"]
  - name: own
    securityContext: {runAsUser: 4242, runAsGroup: 4343}
    command: ["sh", "-c", "echo $(id -u) $(id -g)"]
`

// TestTasksRunAsUser (audit 4c): exec tasks run as the pod's or the
// container's runAsUser/runAsGroup (the container's wins), and own their
// task directory.
func TestTasksRunAsUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the agent must run as root to switch users")
	}
	c := startProcCluster(t)
	// Tasks running as other users must be able to reach their directories
	// under the agent's data dir (t.TempDir() is 0700).
	for dir := c.dir; dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
		_ = os.Chmod(dir, 0o755)
	}
	cl := c.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c.leader(ctx, cl)
	waitWritable(ctx, t, cl)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	pod := applyPod(ctx, t, cl, runAsPod)
	waitPod(ctx, t, cl, pod.Name, "Succeeded", func(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded })
	logs := filepath.Join(c.dir, "n1", "alloc", pod.UID, "alloc", "logs")
	for task, want := range map[string]string{"pod-level": "65534 65534\n", "own": "4242 4343\n"} {
		if got, err := readFile(filepath.Join(logs, task+".stdout.0")); err != nil || got != want {
			t.Errorf("task %s printed uid and gid %q (%v), want %q", task, got, err, want)
		}
	}
}
