package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

var _ driver.TTYExecer = (*Driver)(nil)

// ExecTTY implements driver.TTYExecer with the engine's own exec terminal
// (Tty: true): the output is one raw stream, and resizes go through
// ContainerExecResize.
func (d *Driver) ExecTTY(ctx context.Context, h *driver.TaskHandle, cmd []string, size driver.TermSize, stdin io.Reader, out io.Writer, resize <-chan driver.TermSize) (int, error) {
	id, err := containerID(h)
	if err != nil {
		return -1, err
	}
	if len(cmd) == 0 {
		return -1, fmt.Errorf("docker: exec: empty command")
	}
	if size.Width == 0 || size.Height == 0 {
		size = driver.TermSize{Width: 80, Height: 24}
	}
	console := client.ConsoleSize{Height: uint(size.Height), Width: uint(size.Width)}
	created, err := d.client.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: cmd, TTY: true, ConsoleSize: console,
		AttachStdin: stdin != nil, AttachStdout: true, AttachStderr: true,
		Env: []string{"TERM=xterm"},
	})
	if err != nil {
		if _, ierr := d.inspect(ctx, id); ierr != nil {
			return -1, ierr
		}
		return -1, fmt.Errorf("docker: exec in %s: %w", shortID(id), err)
	}
	att, err := d.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: true, ConsoleSize: console})
	if err != nil {
		return -1, fmt.Errorf("docker: exec attach: %w", err)
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, func() { att.Close() })
	defer stop()
	// Engines before API 1.42 ignore ConsoleSize: size the terminal once
	// the exec started, as the docker CLI does. A command that reads its
	// size at once may still see 0x0 there.
	d.resizeExec(created.ID, size)
	done := make(chan struct{})
	defer close(done)
	go d.execResizes(created.ID, resize, done)
	if stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, stdin)
			_ = att.CloseWrite()
		}()
	}
	if _, err := io.Copy(orDiscard(out), att.Reader); err != nil && ctx.Err() == nil {
		return -1, fmt.Errorf("docker: exec output: %w", err)
	}
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return d.execExitCode(ctx, created.ID)
}

// execResizes applies each size received to the exec's terminal until done.
func (d *Driver) execResizes(execID string, resize <-chan driver.TermSize, done <-chan struct{}) {
	driver.ApplySizes(resize, done, func(sz driver.TermSize) { d.resizeExec(execID, sz) })
}

// resizeExec is best effort: a failed resize leaves the old size.
func (d *Driver) resizeExec(execID string, sz driver.TermSize) {
	ctx, cancel := context.WithTimeout(context.Background(), execResizeTimeout)
	defer cancel()
	_, _ = d.client.ExecResize(ctx, execID, client.ExecResizeOptions{Height: uint(sz.Height), Width: uint(sz.Width)})
}
