package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// artifactJob's task prints an artifact copied from the node's disk; a
// second group's artifact does not exist, which leaves its task waiting.
const artifactJob = `job "art" {
  type = "batch"
  group "show" {
    task "show" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/motd.txt; cat local/copy/motd.txt local/shipped.txt"]
      }
      artifact {
        source = "shipped.txt"
      }
      artifact {
        source = "file://ARTDIR/motd.txt"
      }
      artifact {
        source      = "ARTDIR"
        destination = "local/copy"
      }
    }
  }
  group "missing" {
    task "missing" {
      driver = "exec"
      config {
        command = "true"
      }
      artifact {
        source = "/nonexistent/barque-e2e/file.txt"
      }
    }
  }
}
`

// dispatchJob is a parameterized job that prints its payload and a meta value.
const dispatchJob = `job "echo" {
  type = "batch"
  parameterized {
    payload       = "required"
    meta_required = ["greeting"]
  }
  group "echo" {
    task "echo" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"payload:$(cat local/in.txt)\"; echo \"meta:$NOMAD_META_greeting\""]
      }
      dispatch_payload {
        file = "in.txt"
      }
    }
  }
}
`

// TestJobArtifactsAndDispatch: an exec task reads artifacts the agent
// copied from the node; a missing artifact leaves its task waiting with
// reason ArtifactError; a parameterized job runs nothing until
// dispatched, and its dispatched child prints its payload and meta.
func TestJobArtifactsAndDispatch(t *testing.T) {
	c, cl, ctx := startWritable(t, 120*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	dir, artDir := t.TempDir(), t.TempDir()
	if err := writeFile(filepath.Join(artDir, "motd.txt"), "artifact-from-node\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/shipped.txt", "shipped-with-the-job\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/art.nomad.hcl", strings.ReplaceAll(artifactJob, "ARTDIR", artDir)); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", "--detach", dir+"/art.nomad.hcl"); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	logs := waitJobLogs(ctx, t, env, "art", "shipped-with-the-job\n", 1) // printed last
	if strings.Count(logs, "artifact-from-node\n") != 2 {                // the file, and the directory's copy
		t.Fatalf("the task did not print the node's artifacts:\n%s", logs)
	}
	waitPodWaiting(ctx, t, cl, "barque.io/job=art,barque.io/group=missing", "ArtifactError", "/nonexistent/barque-e2e/file.txt")

	bad := strings.Replace(dispatchJob, `file = "in.txt"`, `file = "in.txt"`+"\n      }\n      artifact {\n        source = \"https://example.com/x.tgz\"", 1)
	if err := writeFile(dir+"/bad.nomad.hcl", bad); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", dir+"/bad.nomad.hcl"); code != 1 || !strings.Contains(out, "bad.nomad.hcl:18") ||
		!strings.Contains(out, "no network fetches") || !strings.Contains(out, "https://example.com/x.tgz") {
		t.Fatalf("a network artifact must be refused with file:line and the source: %d\n%s", code, out)
	}

	if err := writeFile(dir+"/echo.nomad.hcl", dispatchJob); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", dir+"/echo.nomad.hcl"); code != 0 || !strings.Contains(out, "job dispatch echo") {
		t.Fatalf("job run of a parameterized job: %d\n%s", code, out)
	}
	if out, code := run(t, env, "", "job", "plan", dir+"/echo.nomad.hcl"); code != 0 || !strings.Contains(out, "Parameterized job") {
		t.Fatalf("plan of the registered parameterized job must show no change: %d\n%s", code, out)
	}
	if list, err := cl.List(ctx, "Job", "default", client.ListOptions{LabelSelector: "barque.io/job=echo"}); err != nil || len(list.Items) != 0 {
		t.Fatalf("a parameterized job must not run: %v %v", list, err)
	}
	if out, code := run(t, env, "hi", "job", "dispatch", "echo", "-"); code != 1 || !strings.Contains(out, "greeting") {
		t.Fatalf("a dispatch without the required meta must exit 1 naming it: %d\n%s", code, out)
	}
	if out, code := run(t, env, "", "job", "dispatch", "-meta", "greeting=hello", "echo"); code != 1 || !strings.Contains(out, "requires a payload") {
		t.Fatalf("a dispatch without the required payload must exit 1: %d\n%s", code, out)
	}
	payload := filepath.Join(dir, "payload.txt")
	if err := os.WriteFile(payload, []byte("the-payload"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, env, "", "job", "dispatch", "-meta", "greeting=hello-meta", "echo", payload)
	m := regexp.MustCompile(`Dispatched Job ID = (echo-dispatch-\d+-[0-9a-f]{8})`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("job dispatch: %d\n%s", code, out)
	}
	logs = waitJobLogs(ctx, t, env, m[1], "meta:hello-meta", 1)
	if !strings.Contains(logs, "payload:the-payload") {
		t.Fatalf("the dispatched job did not print its payload:\n%s", logs)
	}
	if out, code := run(t, env, "", "job", "status", "echo"); code != 0 || !strings.Contains(out, m[1]) || !strings.Contains(out, "Payload") {
		t.Fatalf("job status must list the dispatched job: %d\n%s", code, out)
	} else {
		t.Logf("job status echo:\n%s\nlogs:\n%s", out, logs)
	}
}

// waitJobLogs polls `job logs` until the output holds want n times.
func waitJobLogs(ctx context.Context, t *testing.T, env []string, job, want string, n int) string {
	t.Helper()
	var logs string
	for ctx.Err() == nil {
		logs, _ = run(t, env, "", "job", "logs", job)
		if strings.Count(logs, want) >= n {
			return logs
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("job %s's logs never held %q:\n%s", job, want, logs)
	return ""
}

// waitPodWaiting waits for a pod of the selector whose task waits with reason.
func waitPodWaiting(ctx context.Context, t *testing.T, cl *client.Client, selector, reason, inMessage string) {
	t.Helper()
	var last string
	for ctx.Err() == nil {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: selector})
		if err == nil {
			for _, o := range list.Items {
				for _, s := range o.(*api.Pod).Status.ContainerStatuses {
					if w := s.State.Waiting; w != nil {
						last = w.Reason + ": " + w.Message
						if w.Reason == reason && strings.Contains(w.Message, inMessage) {
							return
						}
					}
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no pod of %s waits with %s (last: %s)", selector, reason, last)
}

// dockerArtifactJob: a docker task sees its artifacts and payload where a
// Nomad docker task does, under /local.
const dockerArtifactJob = `job "dart" {
  type = "batch"
  parameterized {}
  group "show" {
    task "show" {
      driver = "docker"
      config {
        image = "barque-testapp:latest"
        args  = ["cat", "/local/motd.txt", "/local/input.txt"]
      }
      artifact {
        source = "ARTDIR/motd.txt"
      }
      dispatch_payload {
        file = "input.txt"
      }
    }
  }
}
`

// TestJobArtifactsDocker: artifacts and the payload of a docker task.
func TestJobArtifactsDocker(t *testing.T) {
	c, _, ctx := startDockerCluster(t)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	dir, artDir := t.TempDir(), t.TempDir()
	if err := writeFile(filepath.Join(artDir, "motd.txt"), "docker-artifact\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/dart.nomad.hcl", strings.ReplaceAll(dockerArtifactJob, "ARTDIR", artDir)); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", dir+"/dart.nomad.hcl"); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	out, code := run(t, env, "docker-payload\n", "job", "dispatch", "dart", "-")
	m := regexp.MustCompile(`Dispatched Job ID = (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("job dispatch: %d\n%s", code, out)
	}
	logs := waitJobLogs(ctx, t, env, m[1], "docker-payload", 1)
	if !strings.Contains(logs, "docker-artifact") {
		t.Fatalf("the docker task did not print its artifact:\n%s", logs)
	}
}
