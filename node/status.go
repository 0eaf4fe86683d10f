package node

import (
	"context"
	"encoding/json"
	"time"

	"github.com/barque-io/barque/api"
)

// statusLoop reports the pod's status whenever it changes. Reports coalesce:
// while one is in flight, later changes collapse into the next one, and the
// servers batch concurrent reports from many pods into few log entries.
// A failed report is retried a second later: a task whose state then stays
// put (a probe still failing, a long sleep) would otherwise never be seen.
func (w *podWorker) statusLoop(ctx context.Context) {
	var last []byte
	var retry <-chan time.Time
	for {
		select {
		case <-w.kick:
		case <-retry:
		case <-ctx.Done():
			// One last report of the final state.
			w.report(context.Background(), &last)
			return
		}
		retry = nil
		if !w.report(ctx, &last) {
			retry = time.After(time.Second)
		}
	}
}

// report sends the status if it changed; false when that failed. The patch
// names the pod's uid, which the server holds immutable: a worker's late
// report then fails instead of landing on a newer pod of the same name (a
// StatefulSet's replacement).
func (w *podWorker) report(ctx context.Context, last *[]byte) bool {
	w.mu.Lock()
	muted := w.muted
	w.mu.Unlock()
	if muted {
		return true
	}
	st := w.podStatus()
	patch, err := json.Marshal(map[string]any{"metadata": map[string]string{"uid": w.pod.UID}, "status": st})
	if err != nil || string(patch) == string(*last) {
		return err == nil
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := w.a.client.PatchStatus(rctx, "Pod", w.pod.Namespace, w.pod.Name, patch); err != nil {
		w.a.logger.Debug("pod status report failed", "pod", w.pod.Name, "error", err)
		return false
	}
	*last = patch
	return true
}

// podStatus computes phase, conditions and per-task states.
func (w *podWorker) podStatus() api.PodStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	pod := w.pod
	st := api.PodStatus{HostIP: w.a.hostIP(), PodIP: w.a.hostIP(), StartTime: api.NewTime(w.start)}
	for _, c := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, w.tasks[c.Name].status(c))
	}
	allReady, allDone, anyFailed := true, true, false
	for _, c := range pod.Spec.Containers {
		ts := w.tasks[c.Name]
		cs := ts.status(c)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		allReady = allReady && cs.Ready
		allDone = allDone && ts.term != nil && !ts.running && ts.waiting == ""
		// A task a failed probe killed has failed, whatever its exit code
		// (it may handle the stop signal and exit 0): the restart policy
		// restarts it, so the pod is not Succeeded meanwhile.
		anyFailed = anyFailed || (ts.term != nil && (ts.term.ExitCode != 0 || ts.probeKilled))
	}
	switch {
	case allDone && len(pod.Spec.Containers) > 0 && !anyFailed && pod.Spec.RestartPolicy != api.RestartAlways:
		st.Phase = api.PodSucceeded
	case allDone && anyFailed && pod.Spec.RestartPolicy == api.RestartNever:
		st.Phase = api.PodFailed
	case w.everStarted():
		st.Phase = api.PodRunning
	default:
		st.Phase = api.PodPending
	}
	st.Conditions = w.stampTransitions(podConditions(st, allReady, sidecarNames(pod)))
	return st
}

func (w *podWorker) everStarted() bool {
	for _, c := range w.pod.Spec.Containers {
		ts := w.tasks[c.Name]
		if ts.running || ts.term != nil {
			return true
		}
	}
	return false
}

func podConditions(st api.PodStatus, allReady bool, sidecars map[string]bool) []api.Condition {
	cond := func(t string, ok bool) api.Condition {
		s := api.ConditionFalse
		if ok {
			s = api.ConditionTrue
		}
		return api.Condition{Type: t, Status: s}
	}
	initialized := true
	for _, s := range st.InitContainerStatuses {
		// A sidecar counts once it runs; other init containers once they
		// have exited 0.
		done := s.State.Terminated != nil && s.State.Terminated.ExitCode == 0
		initialized = initialized && (done || (sidecars[s.Name] && s.State.Running != nil))
	}
	ready := allReady && st.Phase == api.PodRunning
	return []api.Condition{cond(api.PodScheduled, true), cond(api.PodInitialized, initialized),
		cond(api.ContainersReady, ready), cond(api.PodReady, ready)}
}

func (ts *taskState) status(c api.Container) api.ContainerStatus {
	// A startup probe holds Started back until it passes; a readiness probe
	// holds Ready back until its successThreshold (probe.go). Init
	// containers are not probed, and are never Ready.
	started := ts.running && (ts.init || c.StartupProbe == nil || ts.started)
	ready := started && !ts.init && (c.ReadinessProbe == nil || ts.ready)
	cs := api.ContainerStatus{Name: c.Name, Image: c.Image, RestartCount: ts.restarts, Ready: ready}
	cs.Started = &started
	if ts.handle != nil {
		cs.ContainerID = ts.handle.Driver + "://" + ts.handle.Container
		if ts.handle.Container == "" {
			cs.ContainerID = ts.handle.Driver + "://" + itoa(ts.handle.PID)
		}
	}
	switch {
	case ts.running:
		cs.State.Running = &api.ContainerStateRunning{StartedAt: api.NewTime(ts.startedAt)}
	case ts.waiting != "":
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: ts.waiting, Message: ts.message}
	case ts.term != nil:
		cs.State.Terminated = ts.term
	default:
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	if ts.lastTerm != nil && cs.State.Terminated == nil {
		cs.LastTerminationState.Terminated = ts.lastTerm
	}
	return cs
}

func (a *Agent) hostIP() string {
	if a.cfg.AdvertiseAddr != "" {
		return a.cfg.AdvertiseAddr
	}
	return a.cfg.BindAddr
}

func sidecarNames(pod *api.Pod) map[string]bool {
	out := map[string]bool{}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].IsSidecar() {
			out[pod.Spec.InitContainers[i].Name] = true
		}
	}
	return out
}

// stampTransitions gives each condition its lastTransitionTime: the moment
// its status last changed, kept across reports (controllers count
// minReadySeconds from the Ready condition's transition). Called with w.mu
// held.
func (w *podWorker) stampTransitions(conds []api.Condition) []api.Condition {
	if w.transitions == nil {
		w.transitions = map[string]condTransition{}
	}
	now := time.Now()
	for i := range conds {
		c := &conds[i]
		prev, ok := w.transitions[c.Type]
		if !ok || prev.status != c.Status {
			prev = condTransition{status: c.Status, at: api.NewTime(now)}
			w.transitions[c.Type] = prev
		}
		c.LastTransitionTime = prev.at
	}
	return conds
}

type condTransition struct {
	status api.ConditionStatus
	at     *api.Time
}
