package execdriver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"

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
	return exitCode(c.Run())
}

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
		return exitErr.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("exec driver: exec: %w", err)
	}
	return 0, nil
}
