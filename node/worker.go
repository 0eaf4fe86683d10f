package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/tmpl"
	"github.com/barque-io/barque/node/driver"
)

// taskState is what the worker knows of one task (container).
type taskState struct {
	name      string
	init      bool
	drv       driver.Driver
	handle    *driver.TaskHandle
	restarts  int32
	running   bool
	startedAt time.Time
	waiting   string // reason while not running
	message   string
	term      *api.ContainerStateTerminated
	lastTerm  *api.ContainerStateTerminated
	// Probe verdicts for the current run (see probe.go).
	started     bool // the startup probe passed
	ready       bool // the readiness probe's verdict
	probeKilled bool // the last run was killed by a failed probe
}

// podWorker runs one pod's tasks and reports their status.
type podWorker struct {
	a         *Agent
	uid       string
	recovered map[string]*driver.TaskHandle
	cancel    context.CancelFunc
	detach    chan struct{} // closed when the agent stops: leave tasks running
	detachOne sync.Once
	done      chan struct{}
	kick      chan struct{}

	mu          sync.Mutex
	transitions map[string]condTransition // condition type -> last change
	muted       bool                      // the control plane ended the pod: report nothing more
	pod         *api.Pod
	tasks       map[string]*taskState
	start       time.Time
	// stopGrace, when set (>= 0), is the grace period of the pod's
	// deletion, which wins over its terminationGracePeriodSeconds; it only
	// ever shrinks (limitGrace), and shortened closes and replaces
	// (under mu) so that tasks already stopping are stopped again sooner.
	stopGrace atomic.Int64
	shortened chan struct{}
}

func (a *Agent) newWorker(pod *api.Pod, recovered map[string]*driver.TaskHandle) *podWorker {
	w := &podWorker{a: a, uid: pod.UID, pod: pod, recovered: recovered, done: make(chan struct{}), detach: make(chan struct{}),
		kick: make(chan struct{}, 1), tasks: map[string]*taskState{}, start: time.Now(), shortened: make(chan struct{})}
	w.stopGrace.Store(-1)
	for _, c := range pod.Spec.InitContainers {
		w.tasks[c.Name] = &taskState{name: c.Name, init: true, waiting: "PodInitializing"}
	}
	for _, c := range pod.Spec.Containers {
		w.tasks[c.Name] = &taskState{name: c.Name, waiting: "ContainerCreating"}
	}
	return w
}

func (w *podWorker) run(ctx context.Context) {
	defer close(w.done)
	sctx, stopStatus := context.WithCancel(context.Background())
	statusDone := make(chan struct{})
	go func() { defer close(statusDone); w.statusLoop(sctx) }()
	defer func() { w.notify(); stopStatus(); <-statusDone }()
	pod := w.currentPod()
	dirs := w.a.podDirs(w.uid)
	vols, err := w.prepare(ctx, pod, dirs)
	if err != nil {
		return
	}
	// Sidecars (init containers with restartPolicy Always) start in order
	// with the init containers and run beside the main ones until those are
	// done for good.
	sideCtx, stopSidecars := context.WithCancel(ctx)
	var sidecars sync.WaitGroup
	defer func() { stopSidecars(); sidecars.Wait() }()
	for _, c := range pod.Spec.InitContainers {
		if c.IsSidecar() {
			sidecars.Add(1)
			go func(c api.Container) { defer sidecars.Done(); w.supervise(sideCtx, pod, c, dirs, vols) }(c)
			if !w.waitRunning(ctx, c.Name) {
				return
			}
			continue
		}
		if !w.supervise(ctx, pod, c, dirs, vols) {
			return // the pod failed to initialise (or stopped)
		}
	}
	var wg sync.WaitGroup
	for _, c := range pod.Spec.Containers {
		wg.Add(1)
		go func(c api.Container) { defer wg.Done(); w.supervise(ctx, pod, c, dirs, vols) }(c)
	}
	wg.Wait()
}

// waitRunning waits until a task has started (a sidecar before the next
// init container), or the pod stops.
func (w *podWorker) waitRunning(ctx context.Context, name string) bool {
	for {
		w.mu.Lock()
		running := w.tasks[name].running
		w.mu.Unlock()
		if running {
			return true
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return false
		case <-w.detach:
			return false
		}
	}
}

// prepare creates the pod's directories and volumes, retrying (with the
// reason in status) until it works or the pod goes away.
func (w *podWorker) prepare(ctx context.Context, pod *api.Pod, dirs podDirs) (map[string]string, error) {
	for {
		err := dirs.create(pod)
		var vols map[string]string
		if err == nil {
			vols, err = w.a.prepareVolumes(ctx, pod, dirs)
		}
		if err == nil {
			return vols, nil
		}
		w.setAllWaiting("CreateContainerConfigError", err.Error())
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// supervise runs one task under the pod's restart policy until it is done
// for good or the pod stops. Init tasks report whether they succeeded.
func (w *podWorker) supervise(ctx context.Context, pod *api.Pod, c api.Container, dirs podDirs, vols map[string]string) bool {
	ts := w.task(c.Name)
	backoff := time.Second
	for {
		res, ran, err := w.runOnce(ctx, pod, c, dirs, vols, ts)
		if ctx.Err() != nil || errors.Is(err, errDetached) {
			return false
		}
		if err != nil {
			w.update(ts, func() { ts.waiting, ts.message = startFailureReason(err), err.Error() })
			if reason := startFailureReason(err); reason == "TemplateError" || reason == "ArtifactError" {
				w.event(c.Name, "Warning", reason, err.Error())
			}
		}
		ok := err == nil && res.Successful() && !w.killedByProbe(ts)
		policy, init := pod.Spec.RestartPolicy, ts.init
		if c.IsSidecar() {
			policy, init = api.RestartAlways, false
		}
		if !shouldRestart(policy, init, ok) {
			return ok
		}
		if ran > time.Minute {
			backoff = time.Second
		}
		w.update(ts, func() {
			ts.restarts++
			if ts.waiting == "" {
				ts.waiting = "CrashLoopBackOff"
				ts.message = fmt.Sprintf("back-off %v restarting failed container %s", backoff, c.Name)
			}
		})
		w.persist() // the count survives an agent restart during the back-off
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return false
		case <-w.detach:
			return false
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func startFailureReason(err error) string {
	if errors.Is(err, driver.ErrImageMissing) {
		return "ErrImageNeverPull"
	}
	if errors.Is(err, tmpl.ErrTemplate) {
		return "TemplateError"
	}
	if errors.Is(err, ErrArtifact) {
		return "ArtifactError"
	}
	return "StartError"
}

// shouldRestart applies Kubernetes' restart policy (init containers restart
// on failure unless the policy is Never).
func shouldRestart(policy api.RestartPolicy, init, success bool) bool {
	switch {
	case init:
		return !success && policy != api.RestartNever
	case policy == api.RestartAlways || policy == "":
		return true
	case policy == api.RestartOnFailure:
		return !success
	}
	return false
}

// runOnce starts (or recovers) the task and waits for it to end; when the
// pod stops it stops the task with its grace period.
func (w *podWorker) runOnce(ctx context.Context, pod *api.Pod, c api.Container, dirs podDirs, vols map[string]string, ts *taskState) (driver.ExitResult, time.Duration, error) {
	drv, h, err := w.startTask(ctx, pod, c, dirs, vols, ts)
	if err != nil {
		return driver.ExitResult{}, 0, err
	}
	started := time.Now()
	probes := w.startProbes(pod, c, drv, h, ts)
	ch, err := drv.Wait(context.Background(), h)
	if err != nil {
		probes.stop()
		return driver.ExitResult{}, 0, err
	}
	var res driver.ExitResult
	select {
	case res = <-ch:
	case <-w.detach:
		probes.stop()
		return driver.ExitResult{}, 0, errDetached
	case <-ctx.Done():
		probes.stop()
		res = w.stopTask(drv, h, pod, ch)
	}
	killMsg := probes.stop()
	_ = drv.Destroy(context.Background(), h)
	_ = w.a.state.deleteTask(w.uid, c.Name)
	w.update(ts, func() { ts.recordExit(res, started, killMsg) })
	return res, time.Since(started), nil
}

func (w *podWorker) startTask(ctx context.Context, pod *api.Pod, c api.Container, dirs podDirs, vols map[string]string, ts *taskState) (driver.Driver, *driver.TaskHandle, error) {
	drv, err := w.a.driverFor(pod, c)
	if err != nil {
		return nil, nil, err
	}
	if h := w.takeRecovered(c.Name); h != nil && h.Driver == drv.Name() {
		if h.KillSignal == "" {
			h.KillSignal = c.StopSignalOf() // a handle an older agent recorded
		}
		if err := drv.Recover(ctx, h); err == nil {
			w.update(ts, func() { ts.setRunning(drv, h) })
			return drv, h, nil
		}
	}
	tc, err := w.a.taskConfig(ctx, pod, c, dirs, vols)
	if err != nil {
		return nil, nil, err
	}
	h, err := drv.Start(ctx, tc)
	if err != nil {
		return nil, nil, err
	}
	h.KillSignal = tc.KillSignal
	if err := w.a.state.putTask(w.uid, h, w.record()); err != nil {
		w.a.logger.Warn("recording task handle failed", "pod", pod.Name, "task", c.Name, "error", err)
	}
	w.update(ts, func() { ts.setRunning(drv, h) })
	return drv, h, nil
}

func (ts *taskState) setRunning(drv driver.Driver, h *driver.TaskHandle) {
	ts.drv, ts.handle, ts.running, ts.startedAt = drv, h, true, h.StartedAt
	ts.waiting, ts.message, ts.term = "", "", nil
	ts.started, ts.ready, ts.probeKilled = false, false, false
}

// recordExit records how a run ended; probeMsg says that a failed probe
// killed it.
func (ts *taskState) recordExit(res driver.ExitResult, started time.Time, probeMsg string) {
	reason := "Completed"
	switch {
	case res.OOMKilled:
		reason = "OOMKilled"
	case res.Err != nil:
		reason = "Error"
	case !res.Successful():
		reason = "Error"
	}
	at := res.At
	if at.IsZero() {
		at = time.Now()
	}
	t := &api.ContainerStateTerminated{ExitCode: int32(res.ExitCode), Signal: int32(res.Signal), Reason: reason,
		StartedAt: api.NewTime(ts.startedAt), FinishedAt: api.NewTime(at)}
	if res.Err != nil {
		t.Message = res.Err.Error()
	}
	if probeMsg != "" {
		t.Message = probeMsg
	}
	ts.running, ts.term, ts.lastTerm, ts.handle = false, t, t, nil
	ts.started, ts.ready, ts.probeKilled = false, false, probeMsg != ""
}

// killedByProbe: a failed liveness or startup probe ended the last run,
// which the restart policy counts as a failure whatever the exit code.
func (w *podWorker) killedByProbe(ts *taskState) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return ts.probeKilled
}

func (w *podWorker) takeRecovered(task string) *driver.TaskHandle {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.recovered[task]
	delete(w.recovered, task)
	return h
}

// driverFor picks the task's driver: the container's driver field, the
// pod's barque.io/driver annotation, else docker for an image, exec otherwise.
func (a *Agent) driverFor(pod *api.Pod, c api.Container) (driver.Driver, error) {
	name := driverName(pod, c)
	d, ok := a.drivers[name]
	if !ok {
		return nil, fmt.Errorf("driver %q is not available on node %s", name, a.cfg.Name)
	}
	return d, nil
}

func driverName(pod *api.Pod, c api.Container) string {
	name := c.Driver
	if name == "" {
		name = pod.Annotations["barque.io/driver"]
	}
	if name == "" {
		name = "exec"
		if c.Image != "" {
			name = "docker"
		}
	}
	return name
}

func (w *podWorker) task(name string) *taskState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tasks[name]
}

func (w *podWorker) currentPod() *api.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod
}

// update changes task state under the lock and schedules a status report.
func (w *podWorker) update(ts *taskState, f func()) {
	w.mu.Lock()
	f()
	w.mu.Unlock()
	w.notify()
}

func (w *podWorker) setAllWaiting(reason, msg string) {
	w.mu.Lock()
	for _, ts := range w.tasks {
		ts.waiting, ts.message = reason, msg
	}
	w.mu.Unlock()
	w.notify()
}

func (w *podWorker) notify() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// errDetached: the agent is stopping and leaves the task running.
var errDetached = errors.New("agent detached from the task")

// cancelKeepTasks makes the worker return without stopping its tasks.
func (w *podWorker) cancelKeepTasks() { w.detachOne.Do(func() { close(w.detach) }) }

// terminate stops the tasks of a pod the control plane made terminal (the
// node lifecycle controller marked it Failed/NodeLost while this node was
// unreachable), as Nomad stops lost allocations when their node returns.
// The worker then reports nothing: the server's verdict stands, and it
// refuses a terminal pod going back to Running anyway. A pod this worker
// itself reported finished is left to finish on its own.
func (w *podWorker) terminate() {
	if w.podStatus().Phase.Terminal() {
		return
	}
	w.mu.Lock()
	already := w.muted
	w.muted = true
	w.mu.Unlock()
	if !already {
		w.a.logger.Info("stopping the tasks of a pod the control plane marked terminal",
			"pod", w.pod.Name, "phase", w.pod.Status.Phase, "reason", w.pod.Status.Reason)
		w.cancel()
	}
}

// removeDirs deletes the pod's directory once the pod is gone.
func (w *podWorker) removeDirs() { _ = os.RemoveAll(w.a.podDirs(w.uid).root) }

func durationSeconds(s int64) time.Duration { return time.Duration(s) * time.Second }

// stopGraceFor is how long a task of pod may take to stop once the pod
// ends: the grace period of its deletion when it is being deleted, else
// its terminationGracePeriodSeconds (30 s by default).
func (w *podWorker) stopGraceFor(pod *api.Pod) time.Duration {
	if g := w.stopGrace.Load(); g >= 0 {
		return durationSeconds(g)
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return durationSeconds(*pod.Spec.TerminationGracePeriodSeconds)
	}
	return durationSeconds(api.DefaultTerminationGracePeriod)
}

// limitGrace lowers the pod's stop grace period to g seconds (a deletion's,
// or a later, shorter one); tasks already stopping with a longer one are
// stopped again with g, as the kubelet honours a shortened grace period.
func (w *podWorker) limitGrace(g int64) {
	for {
		cur := w.stopGrace.Load()
		if cur >= 0 && cur <= g {
			return
		}
		if w.stopGrace.CompareAndSwap(cur, g) {
			break
		}
	}
	w.mu.Lock()
	close(w.shortened)
	w.shortened = make(chan struct{})
	w.mu.Unlock()
}

// stopTask stops a running task (its kill signal, then SIGKILL after the
// grace period) and returns how it ended. A grace period shortened
// meanwhile starts another stop with the shorter one.
func (w *podWorker) stopTask(drv driver.Driver, h *driver.TaskHandle, pod *api.Pod, exited <-chan driver.ExitResult) driver.ExitResult {
	for {
		w.mu.Lock()
		shortened := w.shortened
		w.mu.Unlock()
		go func(grace time.Duration) { _ = drv.Stop(context.Background(), h, h.KillSignal, grace) }(w.stopGraceFor(pod))
		select {
		case res := <-exited:
			return res
		case <-shortened:
		}
	}
}
