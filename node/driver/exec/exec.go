package execdriver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// Exec implements driver.Driver: cmd runs on the host as the agent's user,
// with the task's environment and working directory (an exec task has no
// filesystem of its own to enter). It returns cmd's exit code.
func (d *Driver) Exec(ctx context.Context, h *driver.TaskHandle, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c, err := execCommand(ctx, h, cmd)
	if err != nil {
		return -1, err
	}
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	// Its own process group, killed whole when the exec is cancelled (the
	// client went away, a probe timed out): killing the direct child alone
	// left its children running, holding the output open, so the exec
	// did not end until they did.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = execWaitDelay
	return exitCode(c.Run())
}

// execWaitDelay bounds how long an exec waits for its output to close
// after the command exited or was killed (a background child may hold it).
const execWaitDelay = 2 * time.Second

// execCommand prepares cmd in the task's environment and directory.
func execCommand(ctx context.Context, h *driver.TaskHandle, cmd []string) (*exec.Cmd, error) {
	if len(cmd) == 0 {
		return nil, errors.New("exec driver: exec: empty command")
	}
	st, err := decodeHandle(h)
	if err != nil {
		return nil, err
	}
	sp, err := readSpec(st.StateDir)
	if err != nil {
		return nil, fmt.Errorf("exec driver: exec: %w", err)
	}
	env := taskEnv(sp.Task.Env)
	dir := workDir(&sp.Task)
	path, err := lookPath(cmd[0], envValue(env, "PATH"), dir)
	if err != nil {
		return nil, fmt.Errorf("exec driver: exec: %w", err)
	}
	c := exec.CommandContext(ctx, path, cmd[1:]...)
	c.Args[0] = cmd[0]
	c.Env, c.Dir = env, dir
	return c, nil
}

// exitCode turns the result of running a command into its exit code.
func exitCode(err error) (int, error) {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		// A command a signal ended reports 128+signal, as a shell and
		// Kubernetes do (137 for SIGKILL), not -1.
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exitErr.ExitCode(), nil
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		return 0, nil // it exited 0; a child it left behind held its output
	}
	if err != nil {
		return -1, fmt.Errorf("exec driver: exec: %w", err)
	}
	return 0, nil
}
