package jobspec

import (
	"testing"

	"github.com/barque-io/barque/api"
)

// TestTaskUserAndKillSignal: a task's `user` becomes runAsUser and its
// `kill_signal` the container's lifecycle.stopSignal, which the agent uses.
func TestTaskUserAndKillSignal(t *testing.T) {
	src := `job "j" {
  group "g" {
    task "t" {
      driver      = "exec"
      user        = "65534"
      kill_signal = "int"
      config { command = "sleep" }
    }
  }
}
`
	job, err := Parse("j.nomad.hcl", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := job.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		d, ok := o.(*api.Deployment)
		if !ok {
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.SecurityContext == nil || c.SecurityContext.RunAsUser == nil || *c.SecurityContext.RunAsUser != 65534 {
			t.Errorf("user: securityContext %+v", c.SecurityContext)
		}
		if c.StopSignalOf() != "SIGINT" {
			t.Errorf("kill_signal: stopSignal %q, want SIGINT", c.StopSignalOf())
		}
		return
	}
	t.Fatalf("no Deployment among %d objects", len(objs))
}
