package docker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

const testImage = "barque-testapp:latest"

// skipReason is set by TestMain when the tests cannot run against a real
// engine; every test then skips with it.
var skipReason string

func TestMain(m *testing.M) {
	skipReason = prepare()
	if skipReason != "" {
		fmt.Fprintln(os.Stderr, "docker driver tests will skip:", skipReason)
	}
	os.Exit(m.Run())
}

// prepare checks for an engine and builds the test image once.
func prepare() string {
	d, err := New(Config{})
	if err != nil {
		return err.Error()
	}
	defer d.Close()
	fp := d.Fingerprint(context.Background())
	if !fp.Available {
		return "no Docker daemon answers: " + fp.Reason
	}
	script, err := filepath.Abs("../../../scripts/build-test-images.sh")
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, script).CombinedOutput()
	if err != nil {
		// An engine that answers but cannot build is a failure, not a skip.
		fmt.Fprintf(os.Stderr, "build test image: %v\n%s", err, out)
		os.Exit(1)
	}
	return ""
}

// newTestDriver returns a driver, or skips the test without an engine.
func newTestDriver(t *testing.T) *Driver {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	d, err := New(Config{Logger: hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: testWriter{t}})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var nameChars = regexp.MustCompile(`[^a-z0-9]+`)

// taskConfig is a task of barque-testapp running args, with a pod of its
// own (a fresh UID, so runs never collide on container names).
func taskConfig(t *testing.T, args ...string) *driver.TaskConfig {
	return &driver.TaskConfig{
		PodUID:      uuid.NewString(),
		PodName:     strings.Trim(nameChars.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-"),
		Namespace:   "default",
		TaskName:    "app",
		Image:       testImage,
		Args:        args,
		LogDir:      t.TempDir(),
		KillTimeout: 5 * time.Second,
	}
}

// testCtx bounds a test's calls to the engine.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// start starts cfg and removes its container when the test ends.
func start(t *testing.T, d *Driver, cfg *driver.TaskConfig) *driver.TaskHandle {
	t.Helper()
	h, err := d.Start(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { forceRemove(t, d.client, h.Container) })
	return h
}

func forceRemove(t *testing.T, c *client.Client, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil && !strings.Contains(err.Error(), "No such container") {
		t.Logf("cleanup: remove %s: %v", shortID(id), err)
	}
}

// waitExit waits for the task's exit, failing the test after limit.
func waitExit(t *testing.T, d *Driver, h *driver.TaskHandle, limit time.Duration) driver.ExitResult {
	t.Helper()
	ch, err := d.Wait(testCtx(t), h)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	select {
	case r := <-ch:
		return r
	case <-time.After(limit):
		t.Fatalf("task did not exit within %v", limit)
		return driver.ExitResult{}
	}
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

// eventually retries cond until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
