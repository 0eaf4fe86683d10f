package execdriver

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
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

// TestExecEnds: a command a signal ends reports 128+signal (137 for
// SIGKILL), as Kubernetes does, not -1; a cancelled exec kills the
// command's whole process group, so a child it started does not outlive
// it; and an exec whose command left a child holding its output returns
// soon after the command exits.
func TestExecEnds(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	h := startTask(t, d, testTask(t, "sleep", "30"))
	var out bytes.Buffer
	if code, err := d.Exec(context.Background(), h, []string{"sh", "-c", "kill -9 $$"}, nil, &out, &out); err != nil || code != 137 {
		t.Fatalf("a command killed by SIGKILL: code %d, err %v, want 137", code, err)
	}

	pidFile := filepath.Join(t.TempDir(), "child")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _ = d.Exec(ctx, h, []string{"sh", "-c", "sleep 30 & echo $! > " + pidFile + "; wait"}, nil, &out, &out)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a cancelled exec returned after %v", took)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the child (pid %d) of a cancelled exec still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}

	start = time.Now()
	code, err := d.Exec(context.Background(), h, []string{"sh", "-c", "sleep 30 & echo started"}, nil, &out, &out)
	if took := time.Since(start); err != nil || code != 0 || took > 5*time.Second {
		t.Fatalf("an exec leaving a child behind: code %d, err %v, after %v", code, err, took)
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

// TestExecTTY: a command run with ExecTTY has a terminal on stdin and
// stdout, of the size given, and a resize reaches it; Exec gives none.
func TestExecTTY(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	h := startTask(t, d, testTask(t, "sleep", "30"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var out bytes.Buffer
	code, err := d.Exec(ctx, h, []string{"sh", "-c", "test -t 0 && echo yes || echo no"}, nil, &out, &out)
	if err != nil || code != 0 || out.String() != "no\n" {
		t.Fatalf("exec without a terminal: code %d, err %v, output %q", code, err, out.String())
	}

	out.Reset()
	code, err = d.ExecTTY(ctx, h, []string{"sh", "-c", "test -t 0 && test -t 1 && echo yes; stty size; echo err >&2; exit 5"},
		driver.TermSize{Width: 100, Height: 30}, nil, &out, nil)
	if err != nil || code != 5 {
		t.Fatalf("exec on a terminal: code %d, err %v, output %q", code, err, out.String())
	}
	// The terminal turns "\n" into "\r\n"; stderr is the same terminal.
	if got := out.String(); got != "yes\r\n30 100\r\nerr\r\n" {
		t.Fatalf("exec on a terminal printed %q", got)
	}

	// A resize: each line typed makes the shell print the current size.
	pr, pw := io.Pipe()
	defer pw.Close()
	resize := make(chan driver.TermSize, 1)
	lines := &lineWaiter{ch: make(chan string, 100)}
	res := make(chan error, 1)
	go func() {
		_, err := d.ExecTTY(ctx, h, []string{"sh", "-c", "stty -echo; echo ready; while read x; do stty size; done"},
			driver.TermSize{Width: 80, Height: 24}, pr, lines, resize)
		res <- err
	}()
	lines.wait(t, "ready")
	_, _ = pw.Write([]byte("\n"))
	lines.wait(t, "24 80")
	resize <- driver.TermSize{Width: 132, Height: 50}
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, _ = pw.Write([]byte("\n"))
		if lines.next(t) == "50 132" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the resize never reached the terminal")
		}
	}
	_, _ = pw.Write([]byte{4}) // ^D: EOF for read, the loop ends
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// lineWaiter collects written output as lines.
type lineWaiter struct {
	buf []byte
	ch  chan string
}

func (l *lineWaiter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.ch <- strings.TrimRight(string(l.buf[:i]), "\r")
		l.buf = l.buf[i+1:]
	}
}

func (l *lineWaiter) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-l.ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no output line in 10 s")
		return ""
	}
}

func (l *lineWaiter) wait(t *testing.T, want string) {
	t.Helper()
	for {
		if got := l.next(t); got == want {
			return
		}
	}
}
