package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

// recoverLogSlack is how far before the last write to the task's log
// files a recovered stream resumes. The engine timestamps a line when the
// task writes it, and lines written just before the old agent died may not
// have reached its files yet; resuming a little early trades a few
// duplicated lines for losing none.
const recoverLogSlack = time.Second

// logPump copies one container's output into the task's rotated files
// (the layout of driver.RotatingWriter, shared with the exec driver).
type logPump struct {
	cancel context.CancelFunc
	done   chan struct{} // closed once the stream ended and files are closed
}

func (p *logPump) stop() {
	p.cancel()
	<-p.done
}

// startPump follows the container's logs from since (zero: its first
// line). A task without a LogDir gets no pump. Starting a pump for a
// container that already has one does nothing.
func (d *Driver) startPump(st handleState, since time.Time) error {
	if st.LogDir == "" {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.pumps[st.ContainerID]; ok {
		return nil
	}
	stdout, err := driver.NewRotatingWriter(st.LogDir, st.Task, "stdout", st.LogMaxBytes, st.LogMaxFiles)
	if err != nil {
		return fmt.Errorf("docker: %w", err)
	}
	stderr, err := driver.NewRotatingWriter(st.LogDir, st.Task, "stderr", st.LogMaxBytes, st.LogMaxFiles)
	if err != nil {
		stdout.Close()
		return fmt.Errorf("docker: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true}
	if !since.IsZero() {
		opts.Since = since.UTC().Format(time.RFC3339Nano)
	}
	rc, err := d.client.ContainerLogs(ctx, st.ContainerID, opts)
	if err != nil {
		cancel()
		stdout.Close()
		stderr.Close()
		return fmt.Errorf("docker: logs of %s: %w", shortID(st.ContainerID), err)
	}
	p := &logPump{cancel: cancel, done: make(chan struct{})}
	d.pumps[st.ContainerID] = p
	go d.pump(ctx, p, st, rc, stdout, stderr)
	return nil
}

// pump runs until the container stops (the engine ends a followed stream
// then) or the pump is cancelled.
func (d *Driver) pump(ctx context.Context, p *logPump, st handleState, rc io.ReadCloser, stdout, stderr io.WriteCloser) {
	defer close(p.done)
	_, err := stdcopy.StdCopy(stdout, stderr, rc)
	if err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		d.logger.Warn("log stream ended", "task", st.Task, "container", shortID(st.ContainerID), "error", err)
	}
	for _, c := range []io.Closer{rc, stdout, stderr} {
		if err := c.Close(); err != nil && ctx.Err() == nil {
			d.logger.Warn("close log", "task", st.Task, "error", err)
		}
	}
}

// awaitLogs waits, up to timeout, for the container's stream to drain.
func (d *Driver) awaitLogs(id string, timeout time.Duration) {
	d.mu.Lock()
	p := d.pumps[id]
	d.mu.Unlock()
	if p == nil {
		return
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		d.logger.Warn("log stream still open after exit", "container", shortID(id))
	}
}

// dropPump stops and forgets the container's stream.
func (d *Driver) dropPump(id string) {
	d.mu.Lock()
	p := d.pumps[id]
	delete(d.pumps, id)
	d.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

// resumeFrom is where a recovered stream starts: shortly before the last
// write to either of the task's current log files, or the container's
// first line when there are none.
func resumeFrom(st handleState) time.Time {
	var last time.Time
	for _, stream := range []string{"stdout", "stderr"} {
		fi, err := os.Stat(driver.LogFileName(st.LogDir, st.Task, stream, 0))
		if err == nil && fi.ModTime().After(last) {
			last = fi.ModTime()
		}
	}
	if last.IsZero() {
		return last
	}
	return last.Add(-recoverLogSlack)
}
