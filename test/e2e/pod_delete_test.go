package e2e

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// TestPodDeletionWaitsForTheNode: a deleted pod that a node runs stays,
// Terminating, while its task handles SIGTERM (here 2 s of cleanup), and
// is gone once the agent saw it stop, as with Kubernetes' kubelet; `barque
// delete` returns only then. A forced delete removes a pod at once.
func TestPodDeletionWaitsForTheNode(t *testing.T) {
	c, cl, ctx := startWritable(t, 120*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	dir := t.TempDir()
	slowStop := func(name string) *api.Pod {
		mark := filepath.Join(dir, name)
		return applyPod(ctx, t, cl, fmt.Sprintf(`
metadata: {name: %s, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  terminationGracePeriodSeconds: 20
  containers:
  - name: main
    command: ["sh", "-c", "trap 'echo TERM > %s; sleep 2; echo done >> %s; exit 0' TERM; echo up; while :; do sleep 0.1; done"]
`, name, mark, mark))
	}
	running := func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning }
	pod := slowStop("graceful")
	waitPod(ctx, t, cl, pod.Name, "Running", running)
	time.Sleep(300 * time.Millisecond) // let the shell set its trap
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, deleteOpts()); err != nil {
		t.Fatal(err)
	}
	obj, err := cl.Get(ctx, "Pod", "default", pod.Name, client.GetOptions{})
	if err != nil {
		t.Fatalf("the pod right after its delete: %v, want it still there, terminating", err)
	}
	if m := obj.GetObjectMeta(); m.DeletionTimestamp == nil || m.DeletionGracePeriodSeconds == nil || *m.DeletionGracePeriodSeconds != 20 {
		t.Fatalf("the deleted pod's metadata: %+v, want a deletionTimestamp and a 20 s grace period", m)
	}
	mark := filepath.Join(dir, "graceful")
	for {
		if got, _ := readFile(mark); got == "TERM\n" {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the task never got SIGTERM")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if _, err := cl.Get(ctx, "Pod", "default", pod.Name, client.GetOptions{}); err != nil {
		t.Fatalf("the pod 1 s into its task's 2 s of cleanup: %v, want it still there", err)
	}
	waitGone(ctx, t, cl, "Pod", pod.Name)
	if got, _ := readFile(mark); got != "TERM\ndone\n" {
		t.Fatalf("the task's cleanup did not finish before the pod was gone: %q", got)
	}

	// The CLI waits for the same; --force --grace-period=0 does not.
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	pod = slowStop("cli")
	waitPod(ctx, t, cl, pod.Name, "Running", running)
	time.Sleep(300 * time.Millisecond)
	out, code := run(t, env, "", "delete", "pod", "cli")
	if _, err := cl.Get(ctx, "Pod", "default", "cli", client.GetOptions{}); code != 0 || !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("barque delete pod: exit %d (%s), then get: %v; want the pod gone when delete returns", code, out, err)
	}
	if got, _ := readFile(filepath.Join(dir, "cli")); got != "TERM\ndone\n" {
		t.Fatalf("after barque delete returned, the task's marker is %q", got)
	}
	pod = slowStop("forced")
	waitPod(ctx, t, cl, pod.Name, "Running", running)
	out, code = run(t, env, "", "delete", "pod", "forced", "--force", "--grace-period=0", "--wait=false")
	if _, err := cl.Get(ctx, "Pod", "default", "forced", client.GetOptions{}); code != 0 || !errors.Is(err, api.ErrNotFound) || !strings.Contains(out, "Immediate deletion") {
		t.Fatalf("barque delete --force --grace-period=0: exit %d (%s), then get: %v", code, out, err)
	}
	if out, code = run(t, env, "", "delete", "pod", "x", "--now", "--grace-period=3"); code != 1 || !strings.Contains(out, "--now") {
		t.Fatalf("--now with --grace-period: exit %d, want 1 with a message:\n%s", code, out)
	}
}

// TestShorterGracePeriodHurriesTheNode: a second delete with a shorter
// grace period cuts short a stop already under way, as with the kubelet:
// a task that ignores SIGTERM, deleted with its 60 s, then with 1 s, is
// killed and gone within seconds, not a minute.
func TestShorterGracePeriodHurriesTheNode(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	pod := applyPod(ctx, t, cl, `
metadata: {name: stubborn, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  terminationGracePeriodSeconds: 60
  containers:
  - name: main
    command: ["sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.1; done"]
`)
	waitPod(ctx, t, cl, pod.Name, "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	time.Sleep(300 * time.Millisecond) // let the shell set its trap
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, deleteOpts()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := cl.Get(ctx, "Pod", "default", pod.Name, client.GetOptions{}); err != nil {
		t.Fatalf("the pod 1 s into its 60 s grace period: %v", err)
	}
	one := int64(1)
	hurried := time.Now()
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, client.DeleteOptions{GracePeriodSeconds: &one}); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, cl, "Pod", pod.Name)
	if d := time.Since(hurried); d > 15*time.Second {
		t.Fatalf("gone %v after the delete with a 1 s grace period, want a few seconds", d.Round(time.Millisecond))
	} else {
		t.Logf("gone %v after the delete with a 1 s grace period", d.Round(time.Millisecond))
	}
}
