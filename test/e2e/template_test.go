package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// templateJob is a Nomad job whose templates need rendering on the node:
// a file with the task's dynamic port and an env template with its
// allocation index. The task prints what it sees.
const templateJob = `job "tmpl" {
  group "app" {
    network {
      port "http" {}
    }
    task "show" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/app.conf local/name.conf; echo \"env:GREETING=$GREETING\"; echo \"want:port=$NOMAD_PORT_http\"; exec sleep 600"]
      }
      template {
        data        = "port={{ env \"NOMAD_PORT_http\" }}\nname=[[ env \"NOMAD_TASK_NAME\" | toUpper ]]\n"
        destination = "local/app.conf"
        perms       = "0600"
      }
      template {
        data            = "name=[[ env \"NOMAD_TASK_NAME\" | toUpper ]]\n"
        destination     = "local/name.conf"
        left_delimiter  = "[["
        right_delimiter = "]]"
      }
      template {
        data        = "GREETING=hello-{{ env \"NOMAD_ALLOC_INDEX\" }}\n"
        destination = "local/app.env"
        env         = true
      }
    }
  }
}
`

// TestJobTemplatesRendered: `barque job run` of a Nomad job file with a
// file template and an env template; the task sees the rendered file and
// variable. A template calling Consul's key is refused before submission.
func TestJobTemplatesRendered(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	dir := t.TempDir()

	bad := strings.Replace(templateJob, `{{ env \"NOMAD_PORT_http\" }}`, `{{ key \"config/port\" }}`, 1)
	if err := writeFile(dir+"/bad.nomad.hcl", bad); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", dir+"/bad.nomad.hcl"); code == 0 || !strings.Contains(out, `function "key"`) ||
		!strings.Contains(out, "local/app.conf:1") {
		t.Fatalf("a template calling key must be refused, naming the function and the template: %d\n%s", code, out)
	}

	if err := writeFile(dir+"/tmpl.nomad.hcl", templateJob); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", "--timeout", "60s", dir+"/tmpl.nomad.hcl"); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	var logs string
	for ctx.Err() == nil {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "barque.io/job=tmpl"})
		if err == nil && len(list.Items) == 1 {
			logs, _ = run(t, env, "", "logs", list.Items[0].(*api.Pod).Name)
			if strings.Contains(logs, "env:GREETING") {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	port := ""
	for _, line := range strings.Split(logs, "\n") {
		if p, ok := strings.CutPrefix(line, "want:port="); ok {
			port = p
		}
	}
	if port == "" || port == "0" {
		t.Fatalf("the task has no NOMAD_PORT_http:\n%s", logs)
	}
	for _, want := range []string{"port=" + port + "\n", "name=[[ env", "name=SHOW\n", "env:GREETING=hello-0\n"} {
		if !strings.Contains(logs, want) {
			t.Errorf("task output lacks %q:\n%s", want, logs)
		}
	}
	if out, code := run(t, env, "", "job", "stop", "tmpl"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
}

// dockerTemplateJob: the same templates for docker tasks, where the
// rendered files are bind-mounted at their destinations.
const dockerTemplateJob = `job "dtmpl" {
  type = "batch"
  group "app" {
    network {
      port "http" {}
    }
    task "files" {
      driver = "docker"
      config {
        image = "barque-testapp:latest"
        args  = ["cat", "/local/app.conf", "/etc/app/app.ini"]
        ports = ["http"]
      }
      template {
        data        = "port={{ env \"NOMAD_PORT_http\" }}\n"
        destination = "local/app.conf"
      }
      template {
        data        = "[app]\ntask={{ env \"NOMAD_TASK_NAME\" }}\n"
        destination = "/etc/app/app.ini"
      }
    }
    task "env" {
      driver = "docker"
      config {
        image = "barque-testapp:latest"
        args  = ["env"]
      }
      template {
        data        = "GREETING=hello-{{ env \"NOMAD_ALLOC_INDEX\" }}\n"
        destination = "local/app.env"
        env         = true
      }
    }
  }
}
`

// TestJobTemplatesRenderedDocker: templates of docker tasks.
func TestJobTemplatesRenderedDocker(t *testing.T) {
	c, cl, ctx := startDockerCluster(t)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	path := t.TempDir() + "/dtmpl.nomad.hcl"
	if err := writeFile(path, dockerTemplateJob); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", "--detach", path); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	var files, vars string
	var pod *api.Pod
	for ctx.Err() == nil && !(strings.Contains(files, "task=") && strings.Contains(vars, "GREETING=")) {
		time.Sleep(200 * time.Millisecond)
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "barque.io/job=dtmpl"})
		if err != nil || len(list.Items) == 0 {
			continue
		}
		pod = list.Items[0].(*api.Pod)
		files, _ = run(t, env, "", "logs", pod.Name, "-c", "files")
		vars, _ = run(t, env, "", "logs", pod.Name, "-c", "env")
	}
	if pod == nil {
		t.Fatal("no pod")
	}
	port := ""
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == "http" {
				port = itoa(int(p.HostPort))
			}
		}
	}
	for _, want := range []string{"port=" + port + "\n", "[app]\ntask=files\n"} {
		if !strings.Contains(files, want) {
			t.Errorf("files task output lacks %q:\n%s", want, files)
		}
	}
	if !strings.Contains(vars, "GREETING=hello-0\n") {
		t.Errorf("env task output lacks GREETING=hello-0:\n%s", vars)
	}
	run(t, env, "", "job", "stop", "dtmpl")
}
