package docker

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// A fresh driver (a restarted agent) given the persisted handle reattaches
// to the same running container, resumes its logs and can stop it.
func TestRecoverRunning(t *testing.T) {
	first := newTestDriver(t)
	port := freePort(t)
	cfg := taskConfig(t, "serve")
	cfg.HostNetwork = true
	cfg.Env = map[string]string{"PORT": strconv.Itoa(port)}
	h := start(t, first, cfg)
	expectOK(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/", "ok ")
	// The agent persists the handle as JSON and dies without stopping tasks.
	saved, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()

	second := newTestDriver(t)
	var restored driver.TaskHandle
	if err := json.Unmarshal(saved, &restored); err != nil {
		t.Fatal(err)
	}
	if err := second.Recover(testCtx(t), &restored); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	c, err := second.inspect(testCtx(t), restored.Container)
	if err != nil || c.ID != h.Container || !c.State.Running {
		t.Fatalf("after Recover: container %s running=%v err=%v; want %s running", c.ID, c.State != nil && c.State.Running, err, h.Container)
	}
	expectOK(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/", "ok ")

	ch, err := second.Wait(testCtx(t), &restored)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Stop(testCtx(t), &restored, "SIGTERM", 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case r := <-ch:
		if !r.Successful() {
			t.Fatalf("exit = %+v", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after Stop")
	}
	// The new stream wrote the shutdown line after the old one's lines.
	out := readLog(t, cfg, "stdout")
	if !strings.Contains(out, "listening on") || !strings.HasSuffix(out, "stopping on terminated\n") {
		t.Fatalf("stdout after recovery = %q", out)
	}
}

// A container that exited while no agent watched reports its exit.
func TestRecoverExited(t *testing.T) {
	first := newTestDriver(t)
	cfg := taskConfig(t, "exit", "5")
	h := start(t, first, cfg)
	waitExit(t, first, h, 30*time.Second)
	first.Close()

	second := newTestDriver(t)
	if err := second.Recover(testCtx(t), h); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if r := waitExit(t, second, h, 10*time.Second); r.ExitCode != 5 {
		t.Fatalf("exit = %+v, want 5", r)
	}
}
