package execdriver

import (
	"context"
	"errors"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// pollInterval is how often a recovered executor is checked for exit:
// it is not our child, so we cannot wait(2) for it.
const pollInterval = 100 * time.Millisecond

// Wait implements driver.Driver. The executor exits right after writing
// the status file, so its exit is the signal to read it. If ctx ends
// first the channel receives an ExitResult whose Err is ctx's error.
func (d *Driver) Wait(ctx context.Context, h *driver.TaskHandle) (<-chan driver.ExitResult, error) {
	st, err := decodeHandle(h)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	reaped := d.reaped[st.ExecutorPID]
	d.mu.Unlock()
	ch := make(chan driver.ExitResult, 1)
	go func() {
		if !d.awaitExecutor(ctx, st, reaped) {
			ch <- driver.ExitResult{Err: ctx.Err(), At: time.Now()}
			return
		}
		ch <- exitResult(st)
	}()
	return ch, nil
}

// awaitExecutor blocks until the executor is gone; false if ctx ended.
func (d *Driver) awaitExecutor(ctx context.Context, st *handleState, reaped <-chan struct{}) bool {
	if reaped != nil {
		select {
		case <-reaped:
			return true
		case <-ctx.Done():
			return false
		}
	}
	return pollUntil(func() bool { return !alive(st.ExecutorPID, st.ExecutorStart) },
		pollInterval, time.Time{}, ctx.Done())
}

// exitResult reads the status the executor left. Without one the executor
// died before the task did (killed with SIGKILL, say), and how the task
// ended is unknown.
func exitResult(st *handleState) driver.ExitResult {
	s, ok, err := readStatus(st.StateDir)
	switch {
	case err != nil:
		return driver.ExitResult{ExitCode: -1, Err: err, At: time.Now()}
	case !ok:
		return driver.ExitResult{ExitCode: -1, Err: errors.New("exec driver: executor exited without a task status"), At: time.Now()}
	}
	return s.result()
}
