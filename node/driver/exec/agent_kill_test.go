package execdriver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// fakeAgentEnv makes the test binary act as an agent: start one task,
// print its handle, then wait to be killed.
const fakeAgentEnv = "BARQUE_EXEC_TEST_AGENT"

// runFakeAgent is called from TestMain in the child process.
func runFakeAgent(stateDir string) {
	d, err := New(Config{ExecutorPath: os.Getenv("BARQUE_EXEC_TEST_BIN"), StateDir: stateDir})
	if err == nil {
		var cfg driver.TaskConfig
		if err = json.Unmarshal([]byte(os.Getenv("BARQUE_EXEC_TEST_TASK")), &cfg); err == nil {
			var h *driver.TaskHandle
			if h, err = d.Start(context.Background(), &cfg); err == nil {
				err = json.NewEncoder(os.Stdout).Encode(h)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	select {}
}

// The agent is SIGKILLed; its task keeps running under the executor, and
// the next agent recovers, stops and waits for it.
func TestTaskSurvivesAgentKill(t *testing.T) {
	stateDir := t.TempDir()
	cfg := testTask(t, "sleep", "30")
	raw, _ := json.Marshal(cfg)
	agent := exec.Command(os.Args[0])
	agent.Env = append(os.Environ(), fakeAgentEnv+"="+stateDir,
		"BARQUE_EXEC_TEST_BIN="+barqueBin, "BARQUE_EXEC_TEST_TASK="+string(raw))
	agent.Stderr = os.Stderr
	out, err := agent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
	var h driver.TaskHandle
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&h); err != nil {
		t.Fatalf("fake agent: %v", err)
	}
	_ = agent.Process.Signal(syscall.SIGKILL)
	_ = agent.Wait()

	d := newTestDriver(t, stateDir)
	t.Cleanup(func() { _ = d.Stop(context.Background(), &h, "SIGKILL", time.Second) })
	if err := d.Recover(context.Background(), &h); err != nil {
		t.Fatalf("recover after agent kill: %v", err)
	}
	ch, err := d.Wait(context.Background(), &h)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(context.Background(), &h, "", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if r.Signal != int(syscall.SIGTERM) {
			t.Fatalf("result %+v, want SIGTERM", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit reported")
	}
}
