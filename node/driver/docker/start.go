package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

// handleState is the driver-private part of a TaskHandle: what Recover
// needs to resume streaming logs into the same files.
type handleState struct {
	ContainerID string `json:"container_id"`
	Name        string `json:"name"`
	Image       string `json:"image"`
	Task        string `json:"task"`
	LogDir      string `json:"log_dir"`
	LogMaxBytes int64  `json:"log_max_bytes,omitempty"`
	LogMaxFiles int    `json:"log_max_files,omitempty"`
}

// Start implements driver.Driver: it creates and starts the container and
// begins copying its output into the task's log files.
func (d *Driver) Start(ctx context.Context, cfg *driver.TaskConfig) (*driver.TaskHandle, error) {
	if err := d.checkImage(ctx, cfg.Image); err != nil {
		return nil, err
	}
	opts, err := d.createOptions(cfg)
	if err != nil {
		return nil, err
	}
	id, err := d.create(ctx, opts)
	if err != nil {
		return nil, err
	}
	logger := d.logger.With("task", cfg.TaskName, "container", shortID(id))
	if _, err := d.client.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		d.removeQuietly(id)
		return nil, fmt.Errorf("docker: start %s: %w", opts.Name, err)
	}
	st := handleState{
		ContainerID: id, Name: opts.Name, Image: cfg.Image, Task: cfg.TaskName,
		LogDir: cfg.LogDir, LogMaxBytes: cfg.LogMaxBytes, LogMaxFiles: cfg.LogMaxFiles,
	}
	// From the container's first line: nothing is lost between start and here.
	if err := d.startPump(st, time.Time{}); err != nil {
		d.removeQuietly(id)
		return nil, err
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("docker: encode handle: %w", err)
	}
	logger.Debug("started", "name", opts.Name, "image", cfg.Image)
	return &driver.TaskHandle{
		Driver:    Name,
		TaskName:  cfg.TaskName,
		Container: id,
		StartedAt: d.startedAt(ctx, id),
		State:     raw,
	}, nil
}

// checkImage fails with driver.ErrImageMissing when the engine lacks the
// image: there is no registry to pull from, so pulling is not attempted.
func (d *Driver) checkImage(ctx context.Context, image string) error {
	if image == "" {
		return fmt.Errorf("docker: task has no image")
	}
	_, err := d.client.ImageInspect(ctx, image)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: inspect image %q: %w", image, err)
	}
	hint := "load or build it on the node first"
	if strings.HasPrefix(image, "barque-testapp") {
		hint = "try `make test-images` for barque-testapp"
	}
	return fmt.Errorf("%w: image %q not found locally and there is no registry to pull from (%s)",
		driver.ErrImageMissing, image, hint)
}

// create creates the container. A container of the same name left by an
// earlier attempt (an agent that died before recording the handle, or a
// restarted task that was not destroyed) is replaced when it has stopped;
// a running one is an error, since the task must not run twice.
func (d *Driver) create(ctx context.Context, opts client.ContainerCreateOptions) (string, error) {
	res, err := d.client.ContainerCreate(ctx, opts)
	if err == nil {
		return res.ID, nil
	}
	if !cerrdefs.IsConflict(err) {
		return "", fmt.Errorf("docker: create %s: %w", opts.Name, err)
	}
	old, ierr := d.client.ContainerInspect(ctx, opts.Name, client.ContainerInspectOptions{})
	if ierr != nil {
		return "", fmt.Errorf("docker: create %s: %w (inspect: %v)", opts.Name, err, ierr)
	}
	if st := old.Container.State; st != nil && st.Running {
		return "", fmt.Errorf("docker: create %s: container %s already runs this task", opts.Name, shortID(old.Container.ID))
	}
	d.logger.Info("replacing stopped container", "name", opts.Name, "container", shortID(old.Container.ID))
	if _, err := d.client.ContainerRemove(ctx, old.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		return "", fmt.Errorf("docker: remove stale %s: %w", opts.Name, err)
	}
	res, err = d.client.ContainerCreate(ctx, opts)
	if err != nil {
		return "", fmt.Errorf("docker: create %s: %w", opts.Name, err)
	}
	return res.ID, nil
}

// startedAt is the engine's start time, or now if it cannot say.
func (d *Driver) startedAt(ctx context.Context, id string) time.Time {
	res, err := d.client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err == nil && res.Container.State != nil {
		if t, err := time.Parse(time.RFC3339Nano, res.Container.State.StartedAt); err == nil {
			return t
		}
	}
	return time.Now()
}

// removeQuietly undoes a half-done Start; the error is logged because the
// caller is already returning the error that matters.
func (d *Driver) removeQuietly(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := d.client.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
		d.logger.Warn("remove container after failed start", "container", shortID(id), "error", err)
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
