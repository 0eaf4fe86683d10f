package execdriver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// startTimeout bounds how long Start waits for the executor to report the
// task's PID when the caller's context has no deadline.
const startTimeout = 30 * time.Second

// readyFD is where the executor finds the ready pipe: the first of
// cmd.ExtraFiles.
const readyFD = 3

// Start implements driver.Driver: it starts the executor and returns once
// the executor has started the task.
func (d *Driver) Start(ctx context.Context, cfg *driver.TaskConfig) (*driver.TaskHandle, error) {
	if cfg == nil || cfg.TaskName == "" || len(cfg.Command) == 0 {
		return nil, errors.New("exec driver: task needs a name and a command")
	}
	name := cgroupName(cfg) + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	stateDir := filepath.Join(d.cfg.StateDir, name)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("exec driver: state dir: %w", err)
	}
	task := *cfg
	if task.LogDir == "" {
		task.LogDir = filepath.Join(stateDir, "logs")
	}
	specPath := filepath.Join(stateDir, specFile)
	if err := writeJSONAtomic(specPath, spec{Task: task, StateDir: stateDir, ReadyFD: readyFD}); err != nil {
		return nil, fmt.Errorf("exec driver: write spec: %w", err)
	}
	cmd, ready, err := d.launch(stateDir, specPath)
	if err != nil {
		return nil, err
	}
	defer ready.Close()
	msg, err := d.awaitReady(ctx, cmd, ready, stateDir)
	if err != nil {
		// The executor may still be finishing (writing its status, removing
		// cgroups): a failed Start leaves nothing running behind it.
		d.awaitExecutorExit(cmd)
		return nil, err
	}
	st := handleState{ExecutorPID: cmd.Process.Pid, TaskStart: msg.StartTime, StateDir: stateDir,
		Cgroups: msg.Cgroups, CgroupDirs: msg.CgroupDirs}
	st.ExecutorStart, _ = procStartTime(cmd.Process.Pid)
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	d.logger.Info("task started", "task", cfg.TaskName, "pod", cfg.PodUID, "pid", msg.PID, "executor_pid", st.ExecutorPID)
	return &driver.TaskHandle{Driver: Name, TaskName: cfg.TaskName, PID: msg.PID, StartedAt: time.Now(), State: raw}, nil
}

// launch starts the executor in its own session, so that neither a signal
// to the agent's group nor the agent's death reaches it, and reaps it in
// the background.
func (d *Driver) launch(stateDir, specPath string) (*exec.Cmd, *os.File, error) {
	logf, err := os.OpenFile(filepath.Join(stateDir, executorLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("exec driver: executor log: %w", err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("exec driver: ready pipe: %w", err)
	}
	defer w.Close()
	cmd := exec.Command(d.cfg.ExecutorPath, "executor", specPath)
	cmd.Dir = stateDir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("exec driver: start executor: %w", err)
	}
	done := make(chan struct{})
	d.mu.Lock()
	d.reaped[cmd.Process.Pid] = done
	d.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return cmd, r, nil
}

// awaitExecutorExit waits (boundedly) for an executor that failed to start
// its task to exit, killing it if it lingers.
func (d *Driver) awaitExecutorExit(cmd *exec.Cmd) {
	d.mu.Lock()
	done := d.reaped[cmd.Process.Pid]
	d.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// awaitReady reads the executor's one-line report. If the context ends
// first the executor is told to stop (it forwards that to the task).
func (d *Driver) awaitReady(ctx context.Context, cmd *exec.Cmd, ready io.Reader, stateDir string) (readyMsg, error) {
	got := make(chan readyMsg, 1)
	fail := make(chan error, 1)
	go func() {
		var m readyMsg
		line, err := bufio.NewReader(ready).ReadBytes('\n')
		if err == nil || len(line) > 0 {
			err = json.Unmarshal(line, &m)
		}
		if err != nil {
			fail <- err
			return
		}
		got <- m
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case m := <-got:
		if m.Error != "" {
			return m, fmt.Errorf("exec driver: %s", m.Error)
		}
		return m, nil
	case err := <-fail:
		return readyMsg{}, fmt.Errorf("exec driver: executor failed (%v): %s", err, logTail(stateDir))
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return readyMsg{}, fmt.Errorf("exec driver: start: %w", ctx.Err())
	case <-timer.C:
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return readyMsg{}, errors.New("exec driver: executor did not report the task's PID in time")
	}
}

// logTail is the end of the executor's log, to explain a failed start.
func logTail(stateDir string) string {
	data, _ := os.ReadFile(filepath.Join(stateDir, executorLogFile))
	s := strings.TrimSpace(string(data))
	if len(s) > 500 {
		s = s[len(s)-500:]
	}
	return s
}
