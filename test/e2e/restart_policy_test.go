package e2e

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// restartPod is an exec pod with one task c running script under policy.
func restartPod(name, policy, script string) string {
	return fmt.Sprintf(`
metadata: {name: %s, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: %s
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    command: ["sh", "-c", %q]
`, name, policy, script)
}

// TestRestartPolicies (audit 4h): Never with a failing task leaves the pod
// Failed with no restart; Always restarts a task that exited 0 (the count
// grows, the pod stays Running); a task that keeps failing shows
// CrashLoopBackOff with a back-off that doubles (1 s, 2 s, 4 s), seen in
// the status message and in the time between its runs.
func TestRestartPolicies(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	runs := `date +%s.%N >> $NOMAD_ALLOC_DIR/runs; `
	// Each pod is made when its check starts: the crash loop's first
	// back-offs last only seconds.

	t.Run("Never", func(t *testing.T) {
		never := applyPod(ctx, t, cl, restartPod("never", "Never", "exit 3"))
		p := waitPod(ctx, t, cl, never.Name, "Failed", func(p *api.Pod) bool { return p.Status.Phase == api.PodFailed })
		cs := p.Status.ContainerStatuses[0]
		if cs.RestartCount != 0 || cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 3 || cs.State.Terminated.Reason != "Error" {
			t.Fatalf("status of a failed task under Never: %+v", cs)
		}
		time.Sleep(2 * time.Second) // longer than the first back-off
		obj, err := cl.Get(ctx, "Pod", "default", never.Name, client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p := obj.(*api.Pod); p.Status.Phase != api.PodFailed || p.Status.ContainerStatuses[0].RestartCount != 0 {
			t.Fatalf("a Never pod was restarted: phase %s restarts %d", p.Status.Phase, p.Status.ContainerStatuses[0].RestartCount)
		}
	})

	t.Run("AlwaysAfterCleanExit", func(t *testing.T) {
		always := applyPod(ctx, t, cl, restartPod("always", "Always", runs+"exit 0"))
		p := waitPod(ctx, t, cl, always.Name, "restarted twice after exit 0", func(p *api.Pod) bool {
			return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 2
		})
		cs := p.Status.ContainerStatuses[0]
		if p.Status.Phase != api.PodRunning {
			t.Fatalf("an Always pod whose task exits 0 is %s, want Running", p.Status.Phase)
		}
		last := cs.LastTerminationState.Terminated
		if cs.State.Terminated != nil {
			last = cs.State.Terminated
		}
		if last == nil || last.ExitCode != 0 || last.Reason != "Completed" {
			t.Fatalf("last termination %+v, want exit 0 Completed", last)
		}
	})

	t.Run("CrashLoopBackOff", func(t *testing.T) {
		crash := applyPod(ctx, t, cl, restartPod("crash", "Always", runs+"exit 1"))
		seen := map[string]bool{}
		waitPod(ctx, t, cl, crash.Name, "backing off 1 s, 2 s and 4 s", func(p *api.Pod) bool {
			if len(p.Status.ContainerStatuses) == 1 {
				if w := p.Status.ContainerStatuses[0].State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
					seen[strings.Fields(w.Message + " _ _")[1]] = true
				}
			}
			return seen["1s"] && seen["2s"] && seen["4s"]
		})
		b, err := readFile(filepath.Join(c.dir, "n1", "alloc", crash.UID, "alloc", "runs"))
		if err != nil {
			t.Fatal(err)
		}
		var at []float64
		for _, f := range strings.Fields(b) {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("runs file %q: %v", b, err)
			}
			at = append(at, v)
		}
		if len(at) < 3 {
			t.Fatalf("%d runs recorded, want at least 3: %q", len(at), b)
		}
		// Gaps of about 1 and 2 s (plus the run itself); the 4 s back-off
		// is under way.
		for i, want := range []float64{1, 2} {
			gap := at[i+1] - at[i]
			if gap < want-0.2 || gap > want+1.5 {
				t.Errorf("gap %d between runs %.2fs, want about %.0fs: runs %v", i+1, gap, want, at)
			}
		}
	})
}
