package execdriver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/barque-io/barque/node/driver"
)

var _ driver.TTYExecer = (*Driver)(nil)

// ttyDrainWait bounds how long output is still read after the command
// exited: a background child that kept the terminal open must not hold the
// exec stream forever.
const ttyDrainWait = 2 * time.Second

// ExecTTY implements driver.TTYExecer: cmd runs as the leader of a new
// session whose controlling terminal is a fresh pseudo-terminal, so
// `tty`, `test -t 0`, job control and `stty size` behave as in a login.
func (d *Driver) ExecTTY(ctx context.Context, h *driver.TaskHandle, cmd []string, size driver.TermSize, stdin io.Reader, out io.Writer, resize <-chan driver.TermSize) (int, error) {
	c, err := execCommand(ctx, h, cmd)
	if err != nil {
		return -1, err
	}
	if envValue(c.Env, "TERM") == "" {
		c.Env = append(c.Env, "TERM=xterm") // as docker exec -t does
	}
	// pty starts it leading a new session, so its process group is its
	// pid: a cancelled exec kills the group, not the leader alone.
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	ptmx, err := pty.StartWithSize(c, winsize(size))
	if err != nil {
		return -1, fmt.Errorf("exec driver: exec on a terminal: %w", err)
	}
	defer ptmx.Close()
	done := make(chan struct{})
	defer close(done)
	go applySizes(ptmx, resize, done)
	if stdin != nil {
		// Ends with an error once the terminal is closed.
		go func() { _, _ = io.Copy(ptmx, stdin) }()
	}
	copied := make(chan struct{})
	guard := &stopWriter{w: out}
	go func() {
		defer close(copied)
		// Reading the master fails with EIO once no process holds the
		// terminal any more: the normal end of the output.
		_, _ = io.Copy(guard, ptmx)
	}()
	code, err := exitCode(c.Wait())
	select {
	case <-copied:
	case <-time.After(ttyDrainWait):
	case <-ctx.Done():
	}
	guard.stop()
	return code, err
}

// applySizes resizes the terminal with each size received until done.
func applySizes(ptmx *os.File, resize <-chan driver.TermSize, done <-chan struct{}) {
	driver.ApplySizes(resize, done, func(sz driver.TermSize) { _ = pty.Setsize(ptmx, winsize(sz)) })
}

func winsize(sz driver.TermSize) *pty.Winsize {
	if sz.Width == 0 || sz.Height == 0 {
		sz = driver.TermSize{Width: 80, Height: 24}
	}
	return &pty.Winsize{Cols: sz.Width, Rows: sz.Height}
}

// stopWriter forwards writes until stopped, so output of a lingering
// background process is not sent after the exec's result.
type stopWriter struct {
	mu      sync.Mutex
	w       io.Writer
	stopped bool
}

var errStopped = errors.New("exec driver: output closed")

func (s *stopWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return 0, errStopped
	}
	return s.w.Write(p)
}

func (s *stopWriter) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}
