package hollow

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// retryWrite is the wait before a failed status report is tried again.
const retryWrite = 500 * time.Millisecond

// podTracker follows every pod in the cluster through one watch, keeps the
// ones bound to a hollow node, and reports each new one Running.
type podTracker struct {
	h     *Hollow
	mu    sync.Mutex
	pods  map[string]*podState // by namespace/name
	queue []*podState          // waiting for a status writer
	kick  chan struct{}
}

// podState is one pod bound to a hollow node. Its fields are guarded by the
// tracker's mutex; pod is the version seen when it was first tracked.
type podState struct {
	key     string
	uid     string
	pod     *api.Pod
	started bool
}

func newPodTracker(h *Hollow) *podTracker {
	return &podTracker{h: h, pods: map[string]*podState{}, kick: make(chan struct{}, 1)}
}

func (t *podTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pods)
}

// run lists, reconciles, then watches all pods; after any break (history
// gone, servers unreachable) it lists again.
func (t *podTracker) run(ctx context.Context) {
	var wg sync.WaitGroup
	for w := 0; w < t.h.cfg.StatusConcurrency; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); t.writer(ctx) }()
	}
	defer wg.Wait()
	for ctx.Err() == nil {
		list, err := t.h.cfg.Client.List(ctx, "Pod", "", client.ListOptions{})
		if err != nil {
			t.failed(ctx, "listing pods failed", err)
			continue
		}
		t.reconcile(list.Items)
		w, err := t.h.cfg.Client.Watch(ctx, "Pod", "", client.WatchOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.failed(ctx, "watching pods failed", err)
			continue
		}
		t.follow(w)
		w.Stop()
	}
}

func (t *podTracker) failed(ctx context.Context, msg string, err error) {
	if ctx.Err() != nil {
		return
	}
	t.h.errs.Add(1)
	t.h.logger.Warn(msg, "error", err)
	sleepCtx(ctx, time.Second)
}

func (t *podTracker) follow(w *client.Watcher) {
	for ev := range w.Events() {
		if ev.Err != nil {
			if !errors.Is(ev.Err, api.ErrGone) {
				t.h.errs.Add(1)
				t.h.logger.Warn("pod watch ended", "error", ev.Err)
			}
			return
		}
		pod, ok := ev.Object.(*api.Pod)
		if !ok {
			continue
		}
		if ev.Type == client.EventDeleted {
			t.forget(pod.Namespace+"/"+pod.Name, pod.UID)
			continue
		}
		t.observe(pod)
	}
}

// reconcile tracks the listed pods and forgets those deleted while the
// watch was broken.
func (t *podTracker) reconcile(items []api.Object) {
	seen := make(map[string]bool, len(items))
	for _, o := range items {
		pod := o.(*api.Pod)
		seen[pod.Namespace+"/"+pod.Name] = true
		t.observe(pod)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for key := range t.pods {
		if !seen[key] {
			delete(t.pods, key)
		}
	}
}

// observe tracks a pod bound to a hollow node the first time it is seen
// (per UID) and, unless it already runs or ended, schedules its start.
func (t *podTracker) observe(pod *api.Pod) {
	key := pod.Namespace + "/" + pod.Name
	_, ours := t.h.index[pod.Spec.NodeName]
	if ours && pod.DeletionTimestamp != nil {
		t.forget(key, pod.UID)
		go t.finishDeletion(pod)
		return
	}
	if !ours {
		t.forget(key, "")
		return
	}
	t.mu.Lock()
	if st := t.pods[key]; st != nil && st.uid == pod.UID {
		t.mu.Unlock()
		return
	}
	st := &podState{key: key, uid: pod.UID, pod: pod}
	t.pods[key] = st
	pending := pod.Status.Phase == "" || pod.Status.Phase == api.PodPending
	st.started = !pending
	t.mu.Unlock()
	if pending {
		t.pushAfter(st, t.h.cfg.StartDelay)
	}
}

// forget drops a pod (of that UID, or any when uid is "").
func (t *podTracker) forget(key, uid string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st := t.pods[key]; st != nil && (uid == "" || st.uid == uid) {
		delete(t.pods, key)
	}
}

// current says whether st is still the tracked pod under its key.
func (t *podTracker) current(st *podState) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pods[st.key] == st
}

func (t *podTracker) pushAfter(st *podState, d time.Duration) {
	if d <= 0 {
		t.push(st)
		return
	}
	time.AfterFunc(d, func() { t.push(st) })
}

func (t *podTracker) push(st *podState) {
	t.mu.Lock()
	t.queue = append(t.queue, st)
	t.mu.Unlock()
	t.wake()
}

func (t *podTracker) wake() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// pop takes the oldest waiting pod, passing the wake-up on to another
// writer while more are waiting.
func (t *podTracker) pop() *podState {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) == 0 {
		return nil
	}
	st := t.queue[0]
	t.queue[0] = nil
	t.queue = t.queue[1:]
	if len(t.queue) > 0 {
		t.wake()
	}
	return st
}

func (t *podTracker) writer(ctx context.Context) {
	for {
		st := t.pop()
		if st == nil {
			select {
			case <-t.kick:
				continue
			case <-ctx.Done():
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		if t.current(st) {
			t.start(ctx, st)
		}
	}
}

// start reports the pod Running; a failed report is retried while the pod
// is still tracked.
func (t *podTracker) start(ctx context.Context, st *podState) {
	patch, err := json.Marshal(map[string]any{"status": runningStatus(st.pod, time.Now())})
	if err != nil {
		t.h.errs.Add(1)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = t.h.cfg.Client.PatchStatus(wctx, "Pod", st.pod.Namespace, st.pod.Name, patch)
	switch {
	case err == nil:
		t.mu.Lock()
		st.started = true
		t.mu.Unlock()
		t.h.writes.Add(1)
		t.h.started.Add(1)
	case errors.Is(err, api.ErrNotFound):
		t.forget(st.key, st.uid)
	case ctx.Err() == nil:
		t.h.errs.Add(1)
		t.h.logger.Debug("hollow pod status report failed, retrying", "pod", st.key, "error", err)
		t.pushAfter(st, retryWrite)
	}
}

// runningStatus is what a real agent reports once every task of the pod
// runs: init containers completed, containers running and ready.
func runningStatus(pod *api.Pod, now time.Time) api.PodStatus {
	t := api.NewTime(now)
	started := true
	st := api.PodStatus{Phase: api.PodRunning, HostIP: HostIP, PodIP: HostIP, StartTime: t}
	for _, c := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, api.ContainerStatus{
			Name: c.Name, Image: c.Image, ContainerID: "hollow://" + pod.UID + "/" + c.Name,
			State: api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Completed", StartedAt: t, FinishedAt: t}}})
	}
	for _, c := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, api.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: &started, ContainerID: "hollow://" + pod.UID + "/" + c.Name,
			State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t}}})
	}
	for _, typ := range []string{api.PodScheduled, api.PodInitialized, api.ContainersReady, api.PodReady} {
		st.Conditions = append(st.Conditions, api.Condition{Type: typ, Status: api.ConditionTrue, LastTransitionTime: t})
	}
	return st
}

// finishDeletion ends a hollow pod's graceful deletion at once, as a real
// agent does once the pod's tasks stopped: a delete of grace 0, for that
// uid only.
func (t *podTracker) finishDeletion(pod *api.Pod) {
	for attempt := 0; attempt < 5; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := t.h.cfg.Client.EndPodDeletion(ctx, pod.Namespace, pod.Name, pod.UID)
		cancel()
		if err == nil {
			return
		}
		t.h.errs.Add(1)
		t.h.logger.Warn("deleting a terminating pod failed", "pod", pod.Namespace+"/"+pod.Name, "error", err)
		time.Sleep(time.Second)
	}
}
