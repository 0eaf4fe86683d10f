package execdriver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/barque-io/barque/node/driver"
)

// barqueBin is the barque binary built once for all tests: the executor
// the driver starts.
var barqueBin string

func TestMain(m *testing.M) {
	if dir := os.Getenv(fakeAgentEnv); dir != "" {
		runFakeAgent(dir)
	}
	dir, err := os.MkdirTemp("", "barque-exec-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	barqueBin = filepath.Join(dir, "barque")
	build := exec.Command("go", "build", "-o", barqueBin, "github.com/barque-io/barque/cmd/barque")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build barque:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newTestDriver(t *testing.T, stateDir string) *Driver {
	t.Helper()
	d, err := New(Config{ExecutorPath: barqueBin, StateDir: stateDir, Logger: hclog.New(&hclog.LoggerOptions{
		Name: t.Name(), Level: hclog.Warn, Output: os.Stderr,
	})})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var podSeq atomic.Int64

// testTask is a task running argv with fresh task and log directories.
func testTask(t *testing.T, argv ...string) *driver.TaskConfig {
	t.Helper()
	base := t.TempDir()
	cfg := &driver.TaskConfig{
		PodUID:   fmt.Sprintf("test%d-%d", os.Getpid(), podSeq.Add(1)),
		PodName:  "p",
		TaskName: "web",
		Command:  argv,
		TaskDir:  filepath.Join(base, "task"),
		LogDir:   filepath.Join(base, "logs"),
	}
	for _, d := range []string{cfg.TaskDir, cfg.LogDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// startTask starts cfg and makes sure the task is gone when the test ends.
func startTask(t *testing.T, d *Driver, cfg *driver.TaskConfig) *driver.TaskHandle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h, err := d.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background(), h, "SIGKILL", time.Second) })
	return h
}

func waitExit(t *testing.T, d *Driver, h *driver.TaskHandle, timeout time.Duration) driver.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ch, err := d.Wait(ctx, h)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	r := <-ch
	if ctx.Err() != nil {
		t.Fatalf("task did not exit within %v", timeout)
	}
	return r
}

func readLog(t *testing.T, cfg *driver.TaskConfig, stream string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range driver.LogFiles(cfg.LogDir, cfg.TaskName, stream) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// eventually polls cond for up to timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !pollUntil(cond, 20*time.Millisecond, time.Now().Add(timeout), nil) {
		t.Fatalf("timed out waiting for %s", what)
	}
}
