package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// TestJobRunNomadFile: `barque job run` submits the Nomad job file of the
// examples (exec driver, dynamic port, health check, template) and follows
// the rollout until both instances are healthy; `job status` shows it and
// `job stop` removes it.
func TestJobRunNomadFile(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}

	if out, code := run(t, env, "", "job", "plan", "../../examples/web.nomad.hcl"); code != 1 || !strings.Contains(out, "+ deployment.apps/web-frontend") {
		t.Fatalf("plan before the first run must show creations and exit 1: %d\n%s", code, out)
	}
	out, code := run(t, env, "", "job", "run", "--timeout", "60s", "../../examples/web.nomad.hcl")
	if code != 0 || !strings.Contains(out, "Job rollout completed successfully") {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "job", "plan", "../../examples/web.nomad.hcl"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan of the running job must show no change and exit 0: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "job", "plan", "--var", "x=1", "../../examples/web.nomad.hcl"); code != 255 {
		t.Fatalf("plan with an undeclared variable must exit 255: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "job", "status", "web"); code != 0 || !strings.Contains(out, "2/2 available") {
		t.Fatalf("job status: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "job", "stop", "web"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
	bad := "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n      comand = \"x\"\n    }\n  }\n}\n"
	path := t.TempDir() + "/bad.nomad.hcl"
	if err := writeFile(path, bad); err != nil {
		t.Fatal(err)
	}
	if out, code = run(t, env, "", "job", "run", path); code != 1 || !strings.Contains(out, "bad.nomad.hcl:5") || !strings.Contains(out, "comand") {
		t.Fatalf("a bad job file must exit 1 with file:line and the name: %d\n%s", code, out)
	}
}
