// Package driver defines how the node agent runs a task (one container of a
// pod): the Driver interface that the exec and docker drivers implement, the
// task's configuration, and the handle that lets a restarted agent reattach
// to a task that kept running while it was down.
package driver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"
)

// TaskConfig is everything a driver needs to start one task.
type TaskConfig struct {
	// Identity, for names, labels and environment.
	PodUID    string
	PodName   string
	Namespace string
	TaskName  string

	Image   string   // docker
	Command []string // argv[0..]; for docker, overrides the entrypoint
	Args    []string
	Env     map[string]string
	WorkDir string
	User    string

	// Directories prepared by the agent (Nomad's layout): AllocDir is shared
	// by the pod's tasks; TaskDir, SecretsDir and TmpDir are the task's own.
	AllocDir   string
	TaskDir    string
	SecretsDir string
	TmpDir     string
	// LogDir receives TaskName.stdout.N and TaskName.stderr.N, rotated.
	LogDir      string
	LogMaxBytes int64 // per file; 0 = 10 MiB
	LogMaxFiles int   // kept per stream; 0 = 5
	Mounts      []Mount
	Ports       []Port
	Resources   Resources
	HostNetwork bool
	KillSignal  string        // "SIGTERM" when empty
	KillTimeout time.Duration // grace before SIGKILL; 0 = 30 s
}

// Mount binds a host path (a pod volume) into the task.
type Mount struct {
	Source   string
	Target   string
	ReadOnly bool
}

// Port is an allocated port: Host is on the node, Container inside the task
// (equal for host networking).
type Port struct {
	Name      string
	Host      int
	Container int
	Protocol  string // "TCP" or "UDP"
}

// Resources are the task's limits; zero means unlimited.
type Resources struct {
	CPUMillis   int64 // 1000 = one core
	MemoryBytes int64
}

// TaskHandle identifies a running task. The agent persists it (in its local
// state) so that after a restart it can Recover the task instead of
// starting a duplicate. State is driver-private.
type TaskHandle struct {
	Driver    string    `json:"driver"`
	TaskName  string    `json:"task"`
	PID       int       `json:"pid,omitempty"`
	Container string    `json:"container,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	// KillSignal is the task's stop signal, kept so that a restarted agent
	// stops a recovered task as its configuration says.
	KillSignal string          `json:"killSignal,omitempty"`
	State      json.RawMessage `json:"state,omitempty"`
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode  int
	Signal    int  // the signal that killed it, if any
	OOMKilled bool // killed for exceeding its memory limit
	Err       error
	At        time.Time
}

// Successful reports a clean exit.
func (r ExitResult) Successful() bool { return r.Err == nil && r.ExitCode == 0 && r.Signal == 0 }

// Fingerprint is what a driver reports about the node.
type Fingerprint struct {
	Available  bool
	Attributes map[string]string // e.g. driver.exec.cgroups = "v2" / "none"
	Reason     string            // why it is not available
}

// Driver runs tasks of one kind.
type Driver interface {
	// Name is the driver's name as tasks name it ("exec", "docker").
	Name() string
	// Fingerprint says whether the driver can run on this node.
	Fingerprint(ctx context.Context) Fingerprint
	// Start launches the task and returns once it runs.
	Start(ctx context.Context, cfg *TaskConfig) (*TaskHandle, error)
	// Wait returns a channel that receives the task's exit, exactly once.
	// It works for started and recovered handles alike.
	Wait(ctx context.Context, h *TaskHandle) (<-chan ExitResult, error)
	// Stop sends the kill signal, waits up to timeout, then kills.
	Stop(ctx context.Context, h *TaskHandle, signal string, timeout time.Duration) error
	// Destroy removes what the task left (containers); the task must be stopped.
	Destroy(ctx context.Context, h *TaskHandle) error
	// Recover reattaches to a task started by an earlier agent process.
	// It fails with ErrTaskNotFound when the task is gone.
	Recover(ctx context.Context, h *TaskHandle) error
	// Exec runs a command inside the task's context (barque exec, exec probes).
	Exec(ctx context.Context, h *TaskHandle, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
}

// Errors drivers return.
var (
	ErrTaskNotFound = errors.New("driver: task not found")
	ErrImageMissing = errors.New("driver: image not found")
)

// TermSize is a terminal's size in character cells.
type TermSize struct {
	Width, Height uint16
}

// ApplySizes calls apply with each usable size received, until done or
// the channel closes: the resize loop of every TTY exec.
func ApplySizes(resize <-chan TermSize, done <-chan struct{}, apply func(TermSize)) {
	for {
		select {
		case <-done:
			return
		case sz, ok := <-resize:
			if !ok {
				return
			}
			if sz.Width > 0 && sz.Height > 0 {
				apply(sz)
			}
		}
	}
}

// TTYExecer is implemented by drivers that can run an exec'd command on a
// pseudo-terminal (barque exec -t).
type TTYExecer interface {
	// ExecTTY runs cmd on a new terminal of the given size: stdin (nil for
	// none) is typed into it, everything the command writes to its
	// terminal (stdout and stderr alike, as on any terminal) goes to out,
	// and each size received on resize is applied until cmd ends.
	ExecTTY(ctx context.Context, h *TaskHandle, cmd []string, size TermSize, stdin io.Reader, out io.Writer, resize <-chan TermSize) (int, error)
}

// AsTTYExecer finds the TTYExecer of d, looking through wrappers that
// expose the driver they wrap with Unwrap() Driver.
func AsTTYExecer(d Driver) (TTYExecer, bool) {
	for d != nil {
		if t, ok := d.(TTYExecer); ok {
			return t, true
		}
		u, ok := d.(interface{ Unwrap() Driver })
		if !ok {
			return nil, false
		}
		d = u.Unwrap()
	}
	return nil, false
}
