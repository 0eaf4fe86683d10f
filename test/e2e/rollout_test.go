package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/bench/nodefail"
)

// TestRolloutCLI drives `barque rollout` against three servers and one
// agent: status waits for a Deployment of exec pods, restart makes a second
// revision, history lists both, undo goes back to the first template, and
// pause/resume flip spec.paused; a canary rollout stops status at the
// promotion, and promote lets it finish; a Deployment past its progress
// deadline makes status exit 1.
func TestRolloutCLI(t *testing.T) {
	c, cl, ctx, _ := startWithAgents(t, "n1")
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	rollout := func(args ...string) (string, int) {
		return run(t, env, "", append([]string{"rollout"}, args...)...)
	}
	t.Cleanup(func() {
		for _, name := range []string{"ro", "ca"} {
			if pods, err := nodefail.Pods(context.Background(), cl, name); err == nil {
				nodefail.KillTasks(pods)
			}
		}
	})

	d := nodefail.Deployment("ro", 2)
	d.Annotations = map[string]string{"kubernetes.io/change-cause": "first"}
	if _, err := cl.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	out, code := rollout("status", "deployment/ro", "--timeout", "60s")
	if code != 0 || !strings.Contains(out, `deployment "ro" successfully rolled out`) {
		t.Fatalf("status: %d\n%s", code, out)
	}

	if out, code = rollout("restart", "deploy/ro"); code != 0 || !strings.Contains(out, "deployment.apps/ro restarted") {
		t.Fatalf("restart: %d\n%s", code, out)
	}
	out, code = rollout("status", "deployment", "ro", "--timeout", "60s")
	if code != 0 || !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("status after restart: %d\n%s", code, out)
	}
	t.Logf("status after restart:\n%s", out)
	out, code = rollout("history", "deployment/ro")
	if code != 0 || !strings.Contains(out, "REVISION  CHANGE-CAUSE") || !strings.Contains(out, "1         first") || !strings.Contains(out, "\n2 ") {
		t.Fatalf("history: %d\n%s", code, out)
	}

	if out, code = rollout("undo", "deployment/ro", "--to-revision=1"); code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("undo: %d\n%s", code, out)
	}
	got := getDeploymentE2E(ctx, t, cl, "ro")
	if _, ok := got.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]; ok {
		t.Fatalf("undo kept the restart annotation: %v", got.Spec.Template.Annotations)
	}
	if _, ok := got.Spec.Template.Labels["pod-template-hash"]; ok {
		t.Fatalf("undo copied the pod-template-hash label: %v", got.Spec.Template.Labels)
	}
	if out, code = rollout("status", "deployment/ro", "--timeout", "60s"); code != 0 {
		t.Fatalf("status after undo: %d\n%s", code, out)
	}
	// The first revision's set is now the newest: history shows 2 and 3.
	if out, code = rollout("history", "deployment/ro"); code != 0 || !strings.Contains(out, "\n3 ") || strings.Contains(out, "\n1 ") {
		t.Fatalf("history after undo: %d\n%s", code, out)
	}

	if out, code = rollout("pause", "deployment/ro"); code != 0 || !getDeploymentE2E(ctx, t, cl, "ro").Spec.Paused {
		t.Fatalf("pause: %d\n%s", code, out)
	}
	if out, code = rollout("pause", "deployment/ro"); code != 1 || !strings.Contains(out, "already paused") {
		t.Fatalf("second pause: %d\n%s", code, out)
	}
	if out, code = rollout("undo", "deployment/ro"); code != 1 || !strings.Contains(out, "paused") {
		t.Fatalf("undo while paused: %d\n%s", code, out)
	}
	if out, code = rollout("resume", "deployment/ro"); code != 0 || getDeploymentE2E(ctx, t, cl, "ro").Spec.Paused {
		t.Fatalf("resume: %d\n%s", code, out)
	}
	if out, code = rollout("status", "pod/ro"); code != 1 || !strings.Contains(out, "only deployments") {
		t.Fatalf("status of a pod: %d\n%s", code, out)
	}

	rolloutCanary(ctx, t, cl, rollout)

	// Pods that fit nowhere: the Deployment exceeds its progress deadline
	// and status exits 1 saying so.
	stuck := nodefail.Deployment("stuck", 1)
	stuck.Spec.ProgressDeadlineSeconds = api.Ptr(int32(2))
	stuck.Spec.Template.Spec.NodeSelector = map[string]string{"no-such": "label"}
	if _, err := cl.Create(ctx, stuck); err != nil {
		t.Fatal(err)
	}
	if out, code = rollout("status", "deployment/stuck", "--timeout", "60s"); code != 1 || !strings.Contains(out, "exceeded its progress deadline") {
		t.Fatalf("status of a stuck deployment: %d\n%s", code, out)
	}
}

func getDeploymentE2E(ctx context.Context, t *testing.T, cl *client.Client, name string) *api.Deployment {
	t.Helper()
	obj, err := cl.Get(ctx, "Deployment", "default", name, client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*api.Deployment)
}

// rolloutCanary: after a restart of a Deployment with one canary, status
// returns (exit 0) once the canary is healthy and says it needs a
// promotion; promote lets the rollout finish.
func rolloutCanary(ctx context.Context, t *testing.T, cl *client.Client, rollout func(args ...string) (string, int)) {
	t.Helper()
	d := nodefail.Deployment("ca", 2)
	d.Spec.Strategy.Canary = &api.DeploymentCanary{Replicas: 1}
	if _, err := cl.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	if out, code := rollout("status", "deployment/ca", "--timeout", "60s"); code != 0 || !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("status of the first canary rollout: %d\n%s", code, out)
	}
	if out, code := rollout("promote", "deployment/ca"); code != 1 || !strings.Contains(out, "no canaries") {
		t.Fatalf("promote without canaries: %d\n%s", code, out)
	}
	if out, code := rollout("restart", "deployment/ca"); code != 0 {
		t.Fatalf("restart: %d\n%s", code, out)
	}
	out, code := rollout("status", "deployment/ca", "--timeout", "60s")
	if code != 0 || !strings.Contains(out, `Waiting for promotion of deployment "ca": 1 of 1 canaries healthy`) || !strings.Contains(out, "requires promotion") {
		t.Fatalf("status of the canaries: %d\n%s", code, out)
	}
	st := getDeploymentE2E(ctx, t, cl, "ca").Status
	if c := st.Canary; c == nil || c.Promoted || c.Healthy != 1 || st.UpdatedReplicas != 1 || st.Replicas != 3 {
		t.Fatalf("before the promotion: %+v, canary %+v", st, c)
	}
	if out, code = rollout("promote", "deployment/ca"); code != 0 || !strings.Contains(out, "deployment.apps/ca promoted") {
		t.Fatalf("promote: %d\n%s", code, out)
	}
	if out, code = rollout("status", "deployment/ca", "--timeout", "60s"); code != 0 || !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("status after the promotion: %d\n%s", code, out)
	}
	if out, code = rollout("promote", "deployment/ca"); code != 0 || !strings.Contains(out, "already promoted") {
		t.Fatalf("second promote: %d\n%s", code, out)
	}
}
