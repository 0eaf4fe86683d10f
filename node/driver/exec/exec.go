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
	if len(cmd) == 0 {
		return -1, errors.New("exec driver: exec: empty command")
	}
	st, err := decodeHandle(h)
	if err != nil {
		return -1, err
	}
	sp, err := readSpec(st.StateDir)
	if err != nil {
		return -1, fmt.Errorf("exec driver: exec: %w", err)
	}
	env := taskEnv(sp.Task.Env)
	dir := workDir(&sp.Task)
	path, err := lookPath(cmd[0], envValue(env, "PATH"), dir)
	if err != nil {
		return -1, fmt.Errorf("exec driver: exec: %w", err)
	}
	c := exec.CommandContext(ctx, path, cmd[1:]...)
	c.Args[0] = cmd[0]
	c.Env, c.Dir = env, dir
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	err = c.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("exec driver: exec: %w", err)
	}
	return 0, nil
}
