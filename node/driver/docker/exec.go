package docker

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

// Exec implements driver.Driver: it runs cmd in the task's container (the
// image need not have a shell; cmd[0] is run directly) and returns its exit
// code. Ending ctx closes the attached streams; the process in the
// container is not killed, since the Engine API has no way to.
func (d *Driver) Exec(ctx context.Context, h *driver.TaskHandle, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	id, err := containerID(h)
	if err != nil {
		return -1, err
	}
	if len(cmd) == 0 {
		return -1, fmt.Errorf("docker: exec: empty command")
	}
	created, err := d.client.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: cmd, AttachStdin: stdin != nil, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		if _, ierr := d.inspect(ctx, id); ierr != nil {
			return -1, ierr
		}
		return -1, fmt.Errorf("docker: exec in %s: %w", shortID(id), err)
	}
	att, err := d.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return -1, fmt.Errorf("docker: exec attach: %w", err)
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, func() { att.Close() })
	defer stop()
	if stdin != nil {
		go func() {
			// Errors end stdin early; the command sees EOF either way.
			_, _ = io.Copy(att.Conn, stdin)
			_ = att.CloseWrite()
		}()
	}
	if _, err := stdcopy.StdCopy(orDiscard(stdout), orDiscard(stderr), att.Reader); err != nil && ctx.Err() == nil {
		return -1, fmt.Errorf("docker: exec output: %w", err)
	}
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return d.execExitCode(ctx, created.ID)
}

// execExitCode reads the exec's exit code. The engine may record it a
// moment after the output stream closed, so a still-running exec is asked
// again briefly.
func (d *Driver) execExitCode(ctx context.Context, execID string) (int, error) {
	for i := 0; ; i++ {
		res, err := d.client.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return -1, fmt.Errorf("docker: exec inspect: %w", err)
		}
		if !res.Running || i == 50 {
			return res.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
