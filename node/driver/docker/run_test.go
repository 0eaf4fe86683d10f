package docker

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/node/driver"
)

func TestFingerprint(t *testing.T) {
	d := newTestDriver(t)
	fp := d.Fingerprint(testCtx(t))
	if !fp.Available || fp.Attributes["driver.docker.version"] == "" {
		t.Fatalf("fingerprint = %+v, want available with a version", fp)
	}

	gone, err := New(Config{Host: "unix://" + t.TempDir() + "/no-docker.sock"})
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	if fp := gone.Fingerprint(context.Background()); fp.Available || fp.Reason == "" {
		t.Fatalf("fingerprint without engine = %+v, want unavailable with a reason", fp)
	}
}

func TestEchoHello(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t, "echo", "hello")
	h := start(t, d, cfg)
	if h.Driver != Name || h.Container == "" || h.StartedAt.IsZero() || len(h.State) == 0 {
		t.Fatalf("handle = %+v", h)
	}
	r := waitExit(t, d, h, 30*time.Second)
	if !r.Successful() {
		t.Fatalf("exit = %+v, want success", r)
	}
	if got := readLog(t, cfg, "stdout"); got != "hello\n" {
		t.Fatalf("stdout log = %q, want hello", got)
	}
}

func TestExitCodeAndStderr(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t, "exit", "3")
	r := waitExit(t, d, start(t, d, cfg), 30*time.Second)
	if r.ExitCode != 3 || r.OOMKilled || r.Err != nil {
		t.Fatalf("exit = %+v, want code 3", r)
	}

	cfg = taskConfig(t, "echo-err", "oops")
	waitExit(t, d, start(t, d, cfg), 30*time.Second)
	if got := readLog(t, cfg, "stderr"); got != "oops\n" {
		t.Fatalf("stderr log = %q", got)
	}
	if got := readLog(t, cfg, "stdout"); got != "" {
		t.Fatalf("stdout log = %q, want empty", got)
	}
}

// Command replaces the image's entrypoint, as in Kubernetes; Env, labels
// and the name follow the task.
func TestCommandEnvAndLabels(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t)
	cfg.Command = []string{"/testapp", "env"}
	cfg.Env = map[string]string{"GREETING": "hi there", "NOMAD_TASK_NAME": "app"}
	h := start(t, d, cfg)
	r := waitExit(t, d, h, 30*time.Second)
	if !r.Successful() {
		t.Fatalf("exit = %+v", r)
	}
	out := readLog(t, cfg, "stdout")
	for _, want := range []string{"GREETING=hi there", "NOMAD_TASK_NAME=app"} {
		if !strings.Contains(out, want) {
			t.Errorf("env output lacks %q:\n%s", want, out)
		}
	}
	c, err := d.inspect(testCtx(t), h.Container)
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.Labels[LabelPodUID] != cfg.PodUID || c.Config.Labels[LabelTask] != "app" {
		t.Errorf("labels = %v", c.Config.Labels)
	}
	if want := "/" + containerName(cfg); c.Name != want {
		t.Errorf("name = %q, want %q", c.Name, want)
	}
}

func TestLogRotation(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t, "lines", "300", "100")
	cfg.LogMaxBytes, cfg.LogMaxFiles = 4096, 3
	r := waitExit(t, d, start(t, d, cfg), 30*time.Second)
	if !r.Successful() {
		t.Fatalf("exit = %+v", r)
	}
	files := driver.LogFiles(cfg.LogDir, cfg.TaskName, "stdout")
	if len(files) != 3 {
		t.Fatalf("log files = %v, want 3", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Size() > 4096 {
			t.Fatalf("%s: %v, size over 4096", f, err)
		}
	}
	// The newest file ends with the last line.
	if got := readLog(t, cfg, "stdout"); !strings.HasSuffix(got, strings.Repeat("x", 88)+"\n") ||
		!strings.Contains(got, "0000000300 ") {
		t.Fatalf("rotated logs lost the end:\n%s", got[max(0, len(got)-300):])
	}
}

func TestMissingImage(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t, "echo", "never")
	cfg.Image = "barque-no-such-image:v0"
	_, err := d.Start(testCtx(t), cfg)
	if !errors.Is(err, driver.ErrImageMissing) {
		t.Fatalf("Start error = %v, want ErrImageMissing", err)
	}
	for _, want := range []string{`"barque-no-such-image:v0" not found locally`, "no registry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestRecoverMissing(t *testing.T) {
	d := newTestDriver(t)
	h := &driver.TaskHandle{Driver: Name, TaskName: "app", Container: "barque-no-such-container"}
	if err := d.Recover(testCtx(t), h); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("Recover = %v, want ErrTaskNotFound", err)
	}
	if _, err := d.Wait(testCtx(t), h); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("Wait = %v, want ErrTaskNotFound", err)
	}
	if err := d.Stop(testCtx(t), h, "", time.Second); err != nil {
		t.Fatalf("Stop of a missing container = %v, want nil", err)
	}
	if err := d.Destroy(testCtx(t), h); err != nil {
		t.Fatalf("Destroy of a missing container = %v, want nil", err)
	}
}

// Pod volumes and the agent's task directories are bound into the task.
func TestMounts(t *testing.T) {
	d := newTestDriver(t)
	vol, alloc := t.TempDir(), t.TempDir()
	for dir, text := range map[string]string{vol: "from the volume\n", alloc: "shared by the pod\n"} {
		if err := os.WriteFile(dir+"/note", []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := taskConfig(t, "cat", "/data/note", "/alloc/note")
	cfg.AllocDir = alloc
	cfg.Mounts = []driver.Mount{{Source: vol, Target: "/data", ReadOnly: true}}
	r := waitExit(t, d, start(t, d, cfg), 30*time.Second)
	if !r.Successful() {
		t.Fatalf("exit = %+v, stderr %q", r, readLog(t, cfg, "stderr"))
	}
	if got := readLog(t, cfg, "stdout"); got != "from the volume\nshared by the pod\n" {
		t.Fatalf("stdout = %q", got)
	}
}
