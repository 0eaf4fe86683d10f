package execdriver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// Files in a task's state directory. The agent and the executor share
// nothing else, which is what lets either of them restart on its own.
const (
	specFile        = "spec.json"
	statusFile      = "status.json"
	executorLogFile = "executor.log"
)

// spec is what the driver hands the executor.
type spec struct {
	Task     driver.TaskConfig `json:"task"`
	StateDir string            `json:"stateDir"`
	// ReadyFD is the executor's descriptor of the pipe the driver reads
	// the task's PID from; 0 when nobody listens.
	ReadyFD int `json:"readyFd,omitempty"`
}

// readyMsg is the one line the executor writes on its ready pipe: the
// task's PID once it runs, or why it could not be started.
type readyMsg struct {
	PID        int      `json:"pid,omitempty"`
	StartTime  uint64   `json:"startTime,omitempty"`
	Cgroups    string   `json:"cgroups,omitempty"`
	CgroupDirs []string `json:"cgroupDirs,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// exitStatus is the executor's last word: how the task ended.
type exitStatus struct {
	ExitCode  int       `json:"exitCode"`
	Signal    int       `json:"signal,omitempty"`
	OOMKilled bool      `json:"oomKilled,omitempty"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

func (s exitStatus) result() driver.ExitResult {
	r := driver.ExitResult{ExitCode: s.ExitCode, Signal: s.Signal, OOMKilled: s.OOMKilled, At: s.At}
	if s.Error != "" {
		r.Err = errors.New(s.Error)
	}
	return r
}

// handleState is the driver-private part of a TaskHandle. Start times are
// in clock ticks since boot (/proc/PID/stat field 22); with the PID they
// name a process unambiguously, so a reused PID is never mistaken for ours.
type handleState struct {
	ExecutorPID   int    `json:"executorPid"`
	ExecutorStart uint64 `json:"executorStart"`
	TaskStart     uint64 `json:"taskStart"`
	StateDir      string `json:"stateDir"`
	Cgroups       string `json:"cgroups,omitempty"`
	// CgroupDirs are the task's cgroups, for the agent to clean up when
	// the executor died before it could.
	CgroupDirs []string `json:"cgroupDirs,omitempty"`
}

func decodeHandle(h *driver.TaskHandle) (*handleState, error) {
	if h == nil || len(h.State) == 0 {
		return nil, fmt.Errorf("exec driver: handle without state: %w", driver.ErrTaskNotFound)
	}
	var st handleState
	if err := json.Unmarshal(h.State, &st); err != nil {
		return nil, fmt.Errorf("exec driver: decode handle state: %w", err)
	}
	if st.StateDir == "" || st.ExecutorPID <= 0 {
		return nil, fmt.Errorf("exec driver: incomplete handle state: %w", driver.ErrTaskNotFound)
	}
	return &st, nil
}

// writeJSONAtomic writes v to path through a temporary file and a rename,
// so a reader (or a crash) never sees half a file.
func writeJSONAtomic(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// readStatus returns the executor's status file; ok is false when there is
// none (the task still runs, or the executor died without writing it).
func readStatus(stateDir string) (exitStatus, bool, error) {
	var s exitStatus
	err := readJSON(filepath.Join(stateDir, statusFile), &s)
	if errors.Is(err, fs.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("read status: %w", err)
	}
	return s, true, nil
}

func readSpec(stateDir string) (*spec, error) {
	var s spec
	if err := readJSON(filepath.Join(stateDir, specFile), &s); err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	return &s, nil
}
