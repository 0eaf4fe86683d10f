package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// TestStopSignal (audit 4g): a task whose container names
// lifecycle.stopSignal SIGINT (a job file's kill_signal) is stopped with
// SIGINT, not SIGTERM: it ignores SIGTERM, and on SIGINT writes a file and
// exits, well within its 20 s grace period.
func TestStopSignal(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	mark := filepath.Join(t.TempDir(), "stopped")
	pod := applyPod(ctx, t, cl, fmt.Sprintf(`
metadata: {name: sigint, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  terminationGracePeriodSeconds: 20
  containers:
  - name: trap
    lifecycle: {stopSignal: SIGINT}
    command: ["sh", "-c", "trap '' TERM; trap 'echo SIGINT > %s; exit 0' INT; echo up; while :; do sleep 0.1; done"]
`, mark))
	waitPod(ctx, t, cl, pod.Name, "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	time.Sleep(300 * time.Millisecond) // let the shell set its traps
	deleted := time.Now()
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, deleteOpts()); err != nil {
		t.Fatal(err)
	}
	for time.Since(deleted) < 15*time.Second {
		// The shell creates the file before it writes to it: an empty
		// read is "not yet".
		if got, err := readFile(mark); err == nil && got != "" {
			if got != "SIGINT\n" {
				t.Fatalf("marker %q", got)
			}
			t.Logf("the task got SIGINT %v after the delete", time.Since(deleted).Round(time.Millisecond))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the task never got its stop signal SIGINT (it ignores SIGTERM)")
}
