package execdriver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/barque-io/barque/node/driver"
)

// forwardedSignals are passed on to the task's process group, so that
// signalling the executor is as good as signalling the task.
var forwardedSignals = []os.Signal{
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
}

// logDrainTimeout bounds how long the executor waits for the task's
// output pipes after the task's processes are gone.
const logDrainTimeout = 5 * time.Second

// RunExecutor is `barque executor <spec.json>`: it supervises one task
// until it exits, then records how it ended and returns. It runs in its own
// session, so it outlives an agent that is killed or restarted.
func RunExecutor(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: barque executor <spec.json>")
	}
	var sp spec
	if err := readJSON(args[0], &sp); err != nil {
		return fmt.Errorf("executor: read spec: %w", err)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "executor", Output: os.Stderr, Level: hclog.Info}).
		With("pod", sp.Task.PodUID, "task", sp.Task.TaskName)
	e := &executor{sp: &sp, logger: logger}
	return e.run()
}

type executor struct {
	sp        *spec
	logger    hclog.Logger
	cmd       *exec.Cmd
	cg        *taskCgroup
	copiers   sync.WaitGroup
	pipes     []*os.File // read ends, closed once drained
	childEnds []*os.File // write ends, the task's stdout and stderr
	writers   []io.Closer
}

func (e *executor) run() error {
	sigs := make(chan os.Signal, 8)
	// Catch the signals before the task exists, so none kills the
	// executor instead of reaching the task.
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)

	pid, start, err := e.start()
	if err != nil {
		e.logger.Error("task did not start", "error", err)
		e.ready(readyMsg{Error: err.Error()})
		e.closeLogs()
		return e.finish(exitStatus{ExitCode: -1, Error: err.Error(), At: time.Now()})
	}
	mode := cgroupsNone
	if e.cg != nil {
		mode = e.cg.mode
	}
	e.logger.Info("task started", "pid", pid, "cgroups", mode)
	e.ready(readyMsg{PID: pid, StartTime: start, Cgroups: mode, CgroupDirs: e.cg.dirs()})

	done := make(chan struct{})
	go e.forward(sigs, pid, done)
	st := e.wait()
	close(done)
	return e.finish(st)
}

// start prepares logs and cgroup and launches the task.
func (e *executor) start() (pid int, start uint64, err error) {
	// The child gets its own copies of the pipes' write ends; ours must
	// go in any case, or the copiers would never see EOF.
	defer func() {
		for _, f := range e.childEnds {
			f.Close()
		}
	}()
	cmd, err := buildCommand(&e.sp.Task)
	if err != nil {
		return 0, 0, err
	}
	e.cmd = cmd
	if err := e.openLogs(); err != nil {
		return 0, 0, err
	}
	if err := e.makeCgroup(); err != nil {
		return 0, 0, err
	}
	if err := e.cg.start(cmd); err != nil {
		e.cg.destroy()
		return 0, 0, fmt.Errorf("start %q: %w", cmd.Path, err)
	}
	start, err = procStartTime(cmd.Process.Pid)
	if err != nil {
		e.logger.Warn("no start time for task", "error", err)
	}
	return cmd.Process.Pid, start, nil
}

// makeCgroup puts limits on the task where the node allows it. When limits
// are asked for but the cgroup cannot be made, the task is not started:
// a memory limit that silently does not apply is worse than an error.
func (e *executor) makeCgroup() error {
	cg, err := newTaskCgroup(detectCgroups(), &e.sp.Task)
	if err != nil {
		r := e.sp.Task.Resources
		if r.MemoryBytes > 0 || r.CPUMillis > 0 {
			return err
		}
		e.logger.Warn("running without a cgroup", "error", err)
		return nil
	}
	e.cg = cg
	return nil
}

// openLogs connects the task's stdout and stderr to rotating log files
// through pipes the executor drains.
func (e *executor) openLogs() error {
	t := &e.sp.Task
	for i, stream := range []string{"stdout", "stderr"} {
		w, err := driver.NewRotatingWriter(t.LogDir, t.TaskName, stream, t.LogMaxBytes, t.LogMaxFiles)
		if err != nil {
			return err
		}
		e.writers = append(e.writers, w)
		r, pw, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("log pipe: %w", err)
		}
		e.pipes = append(e.pipes, r)
		e.childEnds = append(e.childEnds, pw)
		if i == 0 {
			e.cmd.Stdout = pw
		} else {
			e.cmd.Stderr = pw
		}
		e.copiers.Add(1)
		go func() {
			defer e.copiers.Done()
			if _, err := io.Copy(w, r); err != nil && !errors.Is(err, os.ErrClosed) {
				e.logger.Warn("log copy failed", "stream", stream, "error", err)
			}
		}()
	}
	return nil
}

func (e *executor) forward(sigs <-chan os.Signal, pid int, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case s := <-sigs:
			e.logger.Info("forwarding signal", "signal", s)
			if err := syscall.Kill(-pid, s.(syscall.Signal)); err != nil && err != syscall.ESRCH {
				e.logger.Warn("forward signal", "signal", s, "error", err)
			}
		}
	}
}

// wait reaps the task, then clears out what it left behind: other members
// of its process group and cgroup, which would otherwise hold the log
// pipes open and escape the task's lifetime.
func (e *executor) wait() exitStatus {
	err := e.cmd.Wait()
	st := exitStatus{At: time.Now()}
	ws, ok := e.cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ok && ws.Signaled():
		st.Signal = int(ws.Signal())
		st.ExitCode = 128 + st.Signal
	case ok:
		st.ExitCode = ws.ExitStatus()
	case err != nil:
		st.ExitCode, st.Error = -1, err.Error()
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	st.OOMKilled = e.cg.oomKilled(st.Signal == int(syscall.SIGKILL))
	if err := e.cg.destroy(); err != nil {
		e.logger.Warn("cgroup cleanup", "error", err)
	}
	e.closeLogs()
	e.logger.Info("task exited", "exit_code", st.ExitCode, "signal", st.Signal, "oom_killed", st.OOMKilled)
	return st
}

// closeLogs waits (bounded) for the copiers to drain the pipes.
func (e *executor) closeLogs() {
	drained := make(chan struct{})
	go func() { e.copiers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(logDrainTimeout):
		e.logger.Warn("task output still open; closing logs")
	}
	for _, p := range e.pipes {
		p.Close()
	}
	<-drained
	for _, w := range e.writers {
		w.Close()
	}
}

// ready tells the driver, on the pipe it passed, that the task runs (or
// why not). The agent may be gone by now; that is fine.
func (e *executor) ready(m readyMsg) {
	if e.sp.ReadyFD <= 0 {
		return
	}
	f := os.NewFile(uintptr(e.sp.ReadyFD), "ready")
	defer f.Close()
	if err := json.NewEncoder(f).Encode(m); err != nil {
		e.logger.Warn("report ready", "error", err)
	}
}

// finish writes the status file the driver's Wait reads.
func (e *executor) finish(st exitStatus) error {
	if err := writeJSONAtomic(filepath.Join(e.sp.StateDir, statusFile), st); err != nil {
		return fmt.Errorf("executor: write status: %w", err)
	}
	return nil
}
