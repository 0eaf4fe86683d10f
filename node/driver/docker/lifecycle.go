package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

// Wait implements driver.Driver. The engine keeps an exited container's
// status, so Wait works for started and recovered handles alike, and for a
// container that exited while no agent was watching. If ctx ends first,
// the channel receives a result whose Err is ctx's error.
func (d *Driver) Wait(ctx context.Context, h *driver.TaskHandle) (<-chan driver.ExitResult, error) {
	id, err := containerID(h)
	if err != nil {
		return nil, err
	}
	if _, err := d.inspect(ctx, id); err != nil {
		return nil, err
	}
	ch := make(chan driver.ExitResult, 1)
	go func() { ch <- d.wait(ctx, id) }()
	return ch, nil
}

func (d *Driver) wait(ctx context.Context, id string) driver.ExitResult {
	res := d.client.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	var code int
	select {
	case r := <-res.Result:
		if r.Error != nil && r.Error.Message != "" {
			return driver.ExitResult{ExitCode: int(r.StatusCode), Err: fmt.Errorf("docker: wait: %s", r.Error.Message), At: time.Now()}
		}
		code = int(r.StatusCode)
	case err := <-res.Error:
		return driver.ExitResult{Err: fmt.Errorf("docker: wait %s: %w", shortID(id), err), At: time.Now()}
	case <-ctx.Done():
		return driver.ExitResult{Err: ctx.Err(), At: time.Now()}
	}
	// The task's last lines belong in its files before its exit is reported.
	d.awaitLogs(id, logDrainTimeout)
	out := driver.ExitResult{ExitCode: code, At: time.Now()}
	// Exit codes stay as the engine reports them (128+N for a signal, as
	// Kubernetes shows them); the OOM flag only the inspect tells.
	// The engine learns of an OOM kill from a separate containerd event
	// that can land well after the exit (seen at over half a second on a
	// loaded cgroup v1 host), or never: Docker 20.10 on cgroup v1 misses a
	// kill that comes before containerd watches the new cgroup (a task
	// that overruns its limit at once). So a task with a memory limit that
	// died of a SIGKILL this driver did not send is inspected again for a
	// while, and then taken to be an OOM kill: that is what kills a
	// memory-limited container unasked.
	ours := d.takeSigkilled(id)
	for attempt := 0; ; attempt++ {
		c, err := d.inspect(ctx, id)
		if err != nil || c.State == nil {
			return out
		}
		out.OOMKilled = c.State.OOMKilled
		if t, err := time.Parse(time.RFC3339Nano, c.State.FinishedAt); err == nil && t.Year() > 1 {
			out.At = t
		}
		limited := c.HostConfig != nil && c.HostConfig.Memory > 0
		if out.OOMKilled || code != 137 || ours || !limited {
			return out
		}
		if attempt == oomRechecks {
			break
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return out
		}
	}
	d.logger.Debug("SIGKILLed with a memory limit and no OOM flag from the engine: taken as an OOM kill", "container", shortID(id))
	out.OOMKilled = true
	return out
}

// oomRechecks bounds the re-inspections of a SIGKILLed task (100 ms apart).
const oomRechecks = 30

// takeSigkilled reports, once, whether this driver SIGKILLed container id.
func (d *Driver) takeSigkilled(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ours := d.sigkilled[id]
	delete(d.sigkilled, id)
	return ours
}

// Stop implements driver.Driver: it sends signal, waits up to timeout
// (0 means the 30 s default; negative kills at once), then kills.
// Stopping a stopped or missing container succeeds. The driver signals and
// waits itself instead of using the engine's stop call, because engines
// before API 1.42 ignore the stop call's signal and send the image's.
func (d *Driver) Stop(ctx context.Context, h *driver.TaskHandle, signal string, timeout time.Duration) error {
	id, err := containerID(h)
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Registered before the signal, so a quick exit is not missed.
	exited := d.client.ContainerWait(waitCtx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	sig := killSignal(signal)
	if timeout < 0 {
		sig = "SIGKILL"
	}
	if done, err := d.kill(ctx, id, sig); done || err != nil {
		return err
	}
	grace := time.NewTimer(killTimeout(timeout))
	defer grace.Stop()
	select {
	case <-exited.Result:
		return nil
	case err := <-exited.Error:
		return d.stopWaitErr(id, err)
	case <-ctx.Done():
		return ctx.Err()
	case <-grace.C:
	}
	d.logger.Info("task outlived its grace, killing", "container", shortID(id), "signal", sig)
	if done, err := d.kill(ctx, id, "SIGKILL"); done || err != nil {
		return err
	}
	select {
	case <-exited.Result:
		return nil
	case err := <-exited.Error:
		return d.stopWaitErr(id, err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// kill sends sig; done reports a container that is gone or not running.
func (d *Driver) kill(ctx context.Context, id, sig string) (done bool, err error) {
	_, err = d.client.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: sig})
	switch {
	case err == nil:
		if sig == "SIGKILL" {
			d.mu.Lock()
			d.sigkilled[id] = true
			d.mu.Unlock()
		}
		return false, nil
	case cerrdefs.IsNotFound(err), cerrdefs.IsConflict(err): // conflict: not running
		return true, nil
	default:
		return false, fmt.Errorf("docker: signal %s to %s: %w", sig, shortID(id), err)
	}
}

func (d *Driver) stopWaitErr(id string, err error) error {
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("docker: stop %s: %w", shortID(id), err)
}

// Destroy implements driver.Driver: it removes the container (forcefully,
// so a task that did not stop does not leak) and ends its log stream.
func (d *Driver) Destroy(ctx context.Context, h *driver.TaskHandle) error {
	id, err := containerID(h)
	if err != nil {
		return err
	}
	_, err = d.client.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	d.dropPump(id)
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: remove %s: %w", shortID(id), err)
	}
	return nil
}

// Recover implements driver.Driver. A running container gets its log
// stream back, resumed shortly before the last line in its files (see
// recoverLogSlack: a few lines may repeat, none is lost). An exited one
// needs nothing: Wait reports its exit. A missing one is ErrTaskNotFound.
func (d *Driver) Recover(ctx context.Context, h *driver.TaskHandle) error {
	id, err := containerID(h)
	if err != nil {
		return err
	}
	c, err := d.inspect(ctx, id)
	if err != nil {
		return err
	}
	var st handleState
	if len(h.State) > 0 {
		if err := json.Unmarshal(h.State, &st); err != nil {
			return fmt.Errorf("docker: decode handle of %s: %w", shortID(id), err)
		}
	}
	st.ContainerID = id
	if st.Task == "" {
		st.Task = h.TaskName
	}
	if c.State == nil || !c.State.Running {
		return nil
	}
	if err := d.startPump(st, resumeFrom(st)); err != nil {
		return err
	}
	d.logger.Info("recovered task", "task", st.Task, "container", shortID(id))
	return nil
}

// inspect maps a missing container to driver.ErrTaskNotFound.
func (d *Driver) inspect(ctx context.Context, id string) (container.InspectResponse, error) {
	res, err := d.client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return container.InspectResponse{}, fmt.Errorf("%w: container %s", driver.ErrTaskNotFound, shortID(id))
	}
	if err != nil {
		return container.InspectResponse{}, fmt.Errorf("docker: inspect %s: %w", shortID(id), err)
	}
	return res.Container, nil
}
