package execdriver

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/barque-io/barque/node/driver"
)

const (
	defaultKillTimeout = 30 * time.Second
	// stopPoll is how often Stop looks whether the task has exited.
	stopPoll = 50 * time.Millisecond
	// killWait bounds the wait for the executor after SIGKILL.
	killWait = 10 * time.Second
)

var signalsByName = map[string]syscall.Signal{
	"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT, "SIGHUP": syscall.SIGHUP,
	"SIGQUIT": syscall.SIGQUIT, "SIGKILL": syscall.SIGKILL, "SIGUSR1": syscall.SIGUSR1,
	"SIGUSR2": syscall.SIGUSR2, "SIGWINCH": syscall.SIGWINCH, "SIGABRT": syscall.SIGABRT,
	"SIGALRM": syscall.SIGALRM, "SIGPWR": syscall.SIGPWR, "SIGXCPU": syscall.SIGXCPU, "SIGXFSZ": syscall.SIGXFSZ,
}

// parseSignal accepts "SIGTERM", "TERM", "term" or a number; "" is SIGTERM.
func parseSignal(s string) (syscall.Signal, error) {
	if s == "" {
		return syscall.SIGTERM, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig, ok := signalsByName[name]; ok {
		return sig, nil
	}
	return 0, fmt.Errorf("exec driver: unknown signal %q", s)
}

// Stop implements driver.Driver: the kill signal goes to the task's
// process group; after timeout the group gets SIGKILL. It returns once the
// executor has recorded the exit, and is a no-op for an exited task.
func (d *Driver) Stop(ctx context.Context, h *driver.TaskHandle, signal string, timeout time.Duration) error {
	st, err := decodeHandle(h)
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = defaultKillTimeout
	}
	gone := func() bool { return !alive(h.PID, st.TaskStart) && !alive(st.ExecutorPID, st.ExecutorStart) }
	if gone() {
		return nil
	}
	if err := signalGroup(h.PID, st.TaskStart, sig); err != nil {
		return err
	}
	if pollUntil(gone, stopPoll, time.Now().Add(timeout), ctx.Done()) {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("exec driver: stop %s: %w", h.TaskName, ctx.Err())
	}
	d.logger.Info("task ignored its kill signal; killing it", "task", h.TaskName, "pid", h.PID, "signal", sig)
	if err := signalGroup(h.PID, st.TaskStart, syscall.SIGKILL); err != nil {
		return err
	}
	if !pollUntil(gone, stopPoll, time.Now().Add(killWait), ctx.Done()) {
		return fmt.Errorf("exec driver: stop %s: still running after SIGKILL", h.TaskName)
	}
	return nil
}

// Recover implements driver.Driver. A live executor (the same process: its
// start time matches) means the task runs on; a status file means it
// ended while the agent was away, and Wait will say how. An executor that
// died without a status leaves a task nobody watches: it is killed, and
// the agent starts a fresh one.
func (d *Driver) Recover(ctx context.Context, h *driver.TaskHandle) error {
	st, err := decodeHandle(h)
	if err != nil {
		return err
	}
	if alive(st.ExecutorPID, st.ExecutorStart) {
		d.logger.Info("recovered task", "task", h.TaskName, "pid", h.PID, "executor_pid", st.ExecutorPID)
		return nil
	}
	if _, ok, err := readStatus(st.StateDir); err != nil {
		return err
	} else if ok {
		return nil
	}
	if alive(h.PID, st.TaskStart) {
		d.logger.Warn("executor gone; killing its orphaned task", "task", h.TaskName, "pid", h.PID)
		_ = signalGroup(h.PID, st.TaskStart, syscall.SIGKILL)
	}
	if err := removeCgroups(ownCgroups(st.CgroupDirs)); err != nil {
		d.logger.Warn("remove orphaned cgroups", "task", h.TaskName, "error", err)
	}
	return fmt.Errorf("exec driver: recover %s: %w", h.TaskName, driver.ErrTaskNotFound)
}

// ownCgroups keeps only directories under a barque cgroup parent, so a
// corrupt handle cannot make the agent empty someone else's cgroup.
func ownCgroups(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		parent := filepath.Base(filepath.Dir(d))
		if strings.HasPrefix(d, cgroupRoot+"/") && (parent == "barque" || parent == "barque.slice") {
			out = append(out, d)
		}
	}
	return out
}
