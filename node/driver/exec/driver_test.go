package execdriver

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/node/driver"
)

func TestExitCodeAndLogs(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	cfg := testTask(t, "sh", "-c", "echo hi; echo err >&2; exit 3")
	h := startTask(t, d, cfg)
	if h.PID <= 0 || h.Driver != Name {
		t.Fatalf("bad handle %+v", h)
	}
	r := waitExit(t, d, h, 10*time.Second)
	if r.Err != nil || r.ExitCode != 3 || r.Signal != 0 || r.Successful() {
		t.Fatalf("result %+v, want exit code 3", r)
	}
	if got := readLog(t, cfg, "stdout"); got != "hi\n" {
		t.Errorf("stdout %q", got)
	}
	if got := readLog(t, cfg, "stderr"); got != "err\n" {
		t.Errorf("stderr %q", got)
	}
	// Stop on an exited task is a harmless no-op.
	if err := d.Stop(context.Background(), h, "", time.Second); err != nil {
		t.Errorf("stop after exit: %v", err)
	}
	if err := d.Destroy(context.Background(), h); err != nil {
		t.Errorf("destroy: %v", err)
	}
}

func TestEnvAndWorkDir(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	cfg := testTask(t, "sh", "-c", `echo "foo=$FOO"; echo "dir=$(pwd)"; echo "path=$PATH"`)
	cfg.Env = map[string]string{"FOO": "bar baz"}
	h := startTask(t, d, cfg)
	if r := waitExit(t, d, h, 10*time.Second); !r.Successful() {
		t.Fatalf("result %+v", r)
	}
	out := readLog(t, cfg, "stdout")
	for _, want := range []string{"foo=bar baz\n", "dir=" + cfg.TaskDir + "\n", "path=" + defaultPath + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout %q lacks %q", out, want)
		}
	}
}

func TestStartFailsForMissingCommand(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	cfg := testTask(t, "no-such-command-barque")
	if _, err := d.Start(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("start: %v, want not found", err)
	}
}

func TestStopGracefulSignal(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	h := startTask(t, d, testTask(t, "sleep", "30"))
	start := time.Now()
	if err := d.Stop(context.Background(), h, "SIGTERM", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("stop of a TERM-respecting task took %v", el)
	}
	r := waitExit(t, d, h, 5*time.Second)
	if r.Signal != int(syscall.SIGTERM) || r.ExitCode != 128+int(syscall.SIGTERM) {
		t.Fatalf("result %+v, want SIGTERM", r)
	}
}

// A task that ignores SIGTERM gets the whole grace period, then SIGKILL.
func TestStopEscalatesToKill(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	cfg := testTask(t, "sh", "-c", `trap "" TERM; echo ready; sleep 30`)
	h := startTask(t, d, cfg)
	eventually(t, 5*time.Second, "trap installed", func() bool { return readLog(t, cfg, "stdout") == "ready\n" })
	const grace = 700 * time.Millisecond
	start := time.Now()
	if err := d.Stop(context.Background(), h, "", grace); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if el < grace || el > grace+5*time.Second {
		t.Errorf("stop took %v, want just over the %v grace", el, grace)
	}
	r := waitExit(t, d, h, 5*time.Second)
	if r.Signal != int(syscall.SIGKILL) {
		t.Fatalf("result %+v, want SIGKILL", r)
	}
	// Idempotent.
	if err := d.Stop(context.Background(), h, "", grace); err != nil {
		t.Errorf("second stop: %v", err)
	}
}

func TestLogRotation(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	cfg := testTask(t, "sh", "-c", `i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done`)
	cfg.LogMaxBytes, cfg.LogMaxFiles = 100, 3
	h := startTask(t, d, cfg)
	if r := waitExit(t, d, h, 10*time.Second); !r.Successful() {
		t.Fatalf("result %+v", r)
	}
	files := driver.LogFiles(cfg.LogDir, cfg.TaskName, "stdout")
	if len(files) != 3 {
		t.Fatalf("files %v, want 3", files)
	}
	if _, err := os.Stat(driver.LogFileName(cfg.LogDir, cfg.TaskName, "stdout", 3)); err == nil {
		t.Error("a fourth file was kept")
	}
	for _, f := range files[:2] { // all but the newest are full
		if st, _ := os.Stat(f); st.Size() != 100 {
			t.Errorf("%s has %d bytes, want 100", f, st.Size())
		}
	}
	var full bytes.Buffer
	for i := 0; i < 200; i++ {
		full.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	got := readLog(t, cfg, "stdout")
	if !strings.HasSuffix(full.String(), got) || !strings.HasSuffix(got, "line 199\n") {
		t.Errorf("kept logs are not the tail of the output: %q", got)
	}
}

func TestExec(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	cfg := testTask(t, "sleep", "30")
	cfg.Env = map[string]string{"FOO": "in-task"}
	h := startTask(t, d, cfg)
	var out bytes.Buffer
	code, err := d.Exec(context.Background(), h, []string{"sh", "-c", `echo "$FOO $(pwd)"; exit 4`}, nil, &out, &out)
	if err != nil || code != 4 {
		t.Fatalf("exec: code %d, err %v", code, err)
	}
	if want := "in-task " + cfg.TaskDir + "\n"; out.String() != want {
		t.Errorf("exec output %q, want %q", out.String(), want)
	}
}

func TestFingerprint(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	fp := d.Fingerprint(context.Background())
	if !fp.Available {
		t.Fatalf("not available: %s", fp.Reason)
	}
	switch m := fp.Attributes["driver.exec.cgroups"]; m {
	case cgroupsV1, cgroupsV2, cgroupsNone:
		t.Logf("cgroups: %s", m)
	default:
		t.Errorf("cgroups attribute %q", m)
	}
}

// Signalling the executor is as good as signalling the task.
func TestSignalToExecutorIsForwarded(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	cfg := testTask(t, "sh", "-c", `trap 'echo got-hup; exit 5' HUP; echo ready; while :; do sleep 0.05; done`)
	h := startTask(t, d, cfg)
	eventually(t, 5*time.Second, "trap installed", func() bool { return readLog(t, cfg, "stdout") == "ready\n" })
	st, _ := decodeHandle(h)
	if err := syscall.Kill(st.ExecutorPID, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if r := waitExit(t, d, h, 5*time.Second); r.ExitCode != 5 {
		t.Fatalf("result %+v, want exit code 5 from the HUP trap", r)
	}
	if out := readLog(t, cfg, "stdout"); !strings.Contains(out, "got-hup") {
		t.Errorf("stdout %q", out)
	}
}
