package execdriver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// A second driver on the same state dir is a restarted agent.
func TestRecoverRunningTask(t *testing.T) {
	stateDir := t.TempDir()
	h := startTask(t, newTestDriver(t, stateDir), testTask(t, "sleep", "30"))

	d2 := newTestDriver(t, stateDir)
	if err := d2.Recover(context.Background(), h); err != nil {
		t.Fatalf("recover: %v", err)
	}
	st, _ := decodeHandle(h)
	if !alive(h.PID, st.TaskStart) {
		t.Fatal("task not running after recover")
	}
	ch, err := d2.Wait(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Stop(context.Background(), h, "SIGTERM", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if r.Err != nil || r.Signal != int(syscall.SIGTERM) {
			t.Fatalf("result %+v, want SIGTERM", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait on recovered handle did not return")
	}
}

func TestRecoverTaskThatExitedWhileAgentWasDown(t *testing.T) {
	stateDir := t.TempDir()
	h := startTask(t, newTestDriver(t, stateDir), testTask(t, "sh", "-c", "exit 7"))
	st, _ := decodeHandle(h)
	eventually(t, 10*time.Second, "status file", func() bool {
		_, ok, _ := readStatus(st.StateDir)
		return ok
	})

	d2 := newTestDriver(t, stateDir)
	if err := d2.Recover(context.Background(), h); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if r := waitExit(t, d2, h, 5*time.Second); r.ExitCode != 7 || r.Err != nil {
		t.Fatalf("result %+v, want exit code 7", r)
	}
}

// An executor killed with SIGKILL leaves no status: the task is reported
// lost and its orphan is killed, so the agent can start a fresh one.
func TestRecoverAfterExecutorKilled(t *testing.T) {
	stateDir := t.TempDir()
	d1 := newTestDriver(t, stateDir)
	h := startTask(t, d1, testTask(t, "sleep", "30"))
	st, _ := decodeHandle(h)
	ch, err := d1.Wait(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(st.ExecutorPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r := <-ch; r.Err == nil {
		t.Errorf("wait after executor death: %+v, want an error", r)
	}
	d2 := newTestDriver(t, stateDir)
	if err := d2.Recover(context.Background(), h); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("recover: %v, want ErrTaskNotFound", err)
	}
	eventually(t, 5*time.Second, "orphan killed", func() bool { return !alive(h.PID, st.TaskStart) })
	for _, dir := range st.CgroupDirs {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("orphaned cgroup %s left behind", dir)
		}
	}
}

func TestRecoverUnknownHandle(t *testing.T) {
	d := newTestDriver(t, t.TempDir())
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// PID 1 is alive, but its start time is not the one recorded.
	h := &driver.TaskHandle{Driver: Name, TaskName: "web", PID: 1,
		State: []byte(`{"executorPid":1,"executorStart":1,"taskStart":1,"stateDir":"` + dir + `"}`)}
	if err := d.Recover(context.Background(), h); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("recover: %v, want ErrTaskNotFound", err)
	}
	if err := d.Recover(context.Background(), &driver.TaskHandle{}); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("recover empty handle: %v", err)
	}
}
