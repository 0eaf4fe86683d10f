// Package execdriver is the exec task driver: it runs a task as a plain
// process on the host, limited by cgroups where the node allows it.
//
// As in Nomad, the agent does not fork the task itself. It starts a small
// supervisor, the executor (`barque executor <spec.json>`, RunExecutor),
// in its own session; the executor starts the task, copies its output into
// rotated log files, waits for it and writes how it ended into a status
// file. Because the executor outlives the agent, a restarted agent can
// Recover the task from its TaskHandle and still learn its exit status.
//
// A task's state directory (Config.StateDir/<pod>-<task>-<nanos>) holds
// spec.json (written by the driver), status.json (written by the executor
// when the task has exited) and executor.log.
package execdriver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/barque-io/barque/node/driver"
)

// Name is the driver's name in task specs.
const Name = "exec"

// Config configures the driver.
type Config struct {
	// ExecutorPath is the barque binary that runs `barque executor`;
	// empty means this very binary (os.Executable). Tests set it.
	ExecutorPath string
	// StateDir holds one directory per started task.
	StateDir string
	Logger   hclog.Logger
}

// Driver is the exec driver.
type Driver struct {
	cfg    Config
	logger hclog.Logger

	mu sync.Mutex
	// reaped holds, per executor PID this agent started, a channel closed
	// once the executor has been reaped: only the parent can wait(2) for
	// it; recovered executors are polled instead.
	reaped map[int]chan struct{}
}

var _ driver.Driver = (*Driver)(nil)

// New returns an exec driver.
func New(cfg Config) (*Driver, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("exec driver: StateDir is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.ExecutorPath == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("exec driver: find executor: %w", err)
		}
		cfg.ExecutorPath = exe
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("exec driver: state dir: %w", err)
	}
	return &Driver{cfg: cfg, logger: cfg.Logger.Named("exec"), reaped: map[int]chan struct{}{}}, nil
}

// Name implements driver.Driver.
func (d *Driver) Name() string { return Name }

// Fingerprint reports the driver available on Linux, with the cgroup mode
// tasks will get (the executor inherits the agent's cgroups, so the
// agent's view is the tasks' view).
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	if runtime.GOOS != "linux" {
		return driver.Fingerprint{Reason: "the exec driver needs Linux"}
	}
	if _, err := os.Stat(d.cfg.ExecutorPath); err != nil {
		return driver.Fingerprint{Reason: fmt.Sprintf("executor binary: %v", err)}
	}
	return driver.Fingerprint{
		Available:  true,
		Attributes: map[string]string{"driver.exec.cgroups": detectCgroups().mode},
	}
}

// Destroy removes the task's state directory; the task must have exited.
func (d *Driver) Destroy(ctx context.Context, h *driver.TaskHandle) error {
	st, err := decodeHandle(h)
	if err != nil {
		return err
	}
	if alive(st.ExecutorPID, st.ExecutorStart) || alive(h.PID, st.TaskStart) {
		return fmt.Errorf("exec driver: destroy %s: task still running", h.TaskName)
	}
	d.mu.Lock()
	delete(d.reaped, st.ExecutorPID)
	d.mu.Unlock()
	if filepath.Dir(st.StateDir) != filepath.Clean(d.cfg.StateDir) {
		// Never remove a directory that is not one of ours.
		return fmt.Errorf("exec driver: state dir %s is outside %s", st.StateDir, d.cfg.StateDir)
	}
	return os.RemoveAll(st.StateDir)
}
