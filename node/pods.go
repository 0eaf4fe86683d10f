package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/node/driver"
)

// recovered holds, by pod UID, the handles of tasks a previous agent
// process started; workers reattach to them instead of starting anew.
func (a *Agent) recoverTasks(ctx context.Context) {
	all, err := a.state.tasks()
	if err != nil {
		a.logger.Warn("reading local task state failed", "error", err)
		return
	}
	records, err := a.state.pods()
	if err != nil {
		a.logger.Warn("reading local pod state failed", "error", err)
	}
	a.mu.Lock()
	a.records = records
	a.recovered = map[string]map[string]*driver.TaskHandle{}
	for uid, hs := range all {
		m := map[string]*driver.TaskHandle{}
		for _, h := range hs {
			m[h.TaskName] = h
		}
		a.recovered[uid] = m
	}
	a.mu.Unlock()
}

// runPods keeps one worker per pod bound to this node: list, reconcile,
// then watch; after any break (servers unreachable, history gone) it lists
// again. Running tasks are never touched by a break.
func (a *Agent) runPods(ctx context.Context) {
	sel := client.ListOptions{FieldSelector: "spec.nodeName=" + a.cfg.Name}
	for ctx.Err() == nil {
		list, err := a.client.List(ctx, "Pod", "", sel)
		if err != nil {
			a.logger.Warn("listing my pods failed; tasks keep running", "error", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		a.reconcile(ctx, list.Items)
		a.listedOnce.Do(func() { close(a.podsListed) })
		w, err := a.client.Watch(ctx, "Pod", "", client.WatchOptions{ListOptions: sel, ResourceVersion: list.ResourceVersion})
		if err != nil {
			sleepCtx(ctx, time.Second)
			continue
		}
		a.follow(ctx, w)
		w.Stop()
	}
	a.mu.Lock()
	for _, w := range a.workers {
		if a.cfg.StopTasksOnExit {
			w.cancel()
		} else {
			w.cancelKeepTasks()
		}
	}
	a.mu.Unlock()
}

func (a *Agent) follow(ctx context.Context, w *client.Watcher) {
	for ev := range w.Events() {
		if ev.Err != nil {
			if !errors.Is(ev.Err, api.ErrGone) {
				a.logger.Warn("pod watch ended", "error", ev.Err)
			}
			return
		}
		pod, ok := ev.Object.(*api.Pod)
		if !ok {
			continue
		}
		if ev.Type == client.EventDeleted {
			// Stopping waits out the tasks' grace periods: never hold up
			// the event loop (and the pods that follow) with it.
			a.wg.Add(1)
			go func(uid string) { defer a.wg.Done(); a.stopWorker(uid, nil) }(pod.UID)
			continue
		}
		if pod.DeletionTimestamp != nil {
			a.terminate(ctx, pod)
			continue
		}
		a.ensureWorker(ctx, pod)
	}
}

// reconcile starts workers for listed pods and stops what is not listed,
// including tasks recovered for pods deleted while the agent was down.
func (a *Agent) reconcile(ctx context.Context, pods []api.Object) {
	seen := map[string]bool{}
	for _, o := range pods {
		pod := o.(*api.Pod)
		seen[pod.UID] = true
		if pod.DeletionTimestamp == nil {
			a.ensureWorker(ctx, pod)
		} else {
			a.terminate(ctx, pod)
		}
	}
	a.mu.Lock()
	var stale []string
	for uid := range a.workers {
		if !seen[uid] {
			stale = append(stale, uid)
		}
	}
	orphans := map[string]map[string]*driver.TaskHandle{}
	for uid, hs := range a.recovered {
		if !seen[uid] {
			orphans[uid] = hs
			delete(a.recovered, uid)
		}
	}
	var gone []string
	for uid := range a.records {
		if !seen[uid] {
			gone = append(gone, uid)
			delete(a.records, uid)
		}
	}
	a.mu.Unlock()
	for _, uid := range gone {
		_ = a.state.deletePod(uid)
	}
	for _, uid := range stale {
		a.stopWorker(uid, nil)
	}
	for uid, hs := range orphans {
		a.stopOrphans(ctx, uid, hs)
	}
	a.sweepPodDirs(seen)
}

// sweepPodDirs removes the directories of pods the control plane no longer
// has (deleted while this agent was down, or while it could not list): a
// worker removes its pod's directory when the pod goes, but a pod that
// went while no worker ran left its files behind. Called after the
// orphans' tasks are stopped, so nothing runs in them any more; a worker
// still stopping (its tasks in their grace period) removes its own.
func (a *Agent) sweepPodDirs(listed map[string]bool) {
	root := filepath.Join(a.cfg.DataDir, "alloc")
	entries, err := os.ReadDir(root)
	if err != nil {
		return // none yet
	}
	a.mu.Lock()
	var gone []string
	for _, e := range entries {
		uid := e.Name()
		if _, running := a.workers[uid]; e.IsDir() && !listed[uid] && !running && !a.stopping[uid] {
			gone = append(gone, uid)
		}
	}
	a.mu.Unlock()
	for _, uid := range gone {
		if err := os.RemoveAll(a.podDirs(uid).root); err != nil {
			a.logger.Warn("removing the files of a deleted pod failed", "pod_uid", uid, "error", err)
			continue
		}
		a.logger.Info("removed the files of a pod deleted while the agent was away", "pod_uid", uid)
	}
}

func (a *Agent) ensureWorker(ctx context.Context, pod *api.Pod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.workers[pod.UID]; ok {
		w.mu.Lock()
		w.pod = pod
		w.mu.Unlock()
		if pod.Status.Phase.Terminal() {
			w.terminate()
		}
		return
	}
	if pod.Status.Phase.Terminal() {
		// Finished before, or marked lost by the control plane while this
		// agent was away (its replacement may run elsewhere): never start
		// or reattach, and stop what still runs.
		if hs, ok := a.recovered[pod.UID]; ok {
			delete(a.recovered, pod.UID)
			a.wg.Add(1)
			go func() { defer a.wg.Done(); a.stopTerminated(pod, hs) }()
		}
		return
	}
	w := a.newWorker(pod, a.recovered[pod.UID])
	if rec, ok := a.records[pod.UID]; ok {
		w.restore(&rec)
		delete(a.records, pod.UID)
	}
	delete(a.recovered, pod.UID)
	// The worker's context ends only when the pod goes away: an agent that
	// stops detaches from its tasks (cancelKeepTasks) and leaves them running.
	wctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	a.workers[pod.UID] = w
	a.wg.Add(1)
	go func() { defer a.wg.Done(); w.run(wctx) }()
}

// stopWorker stops a pod's tasks (the pod was deleted) and removes its files.
func (a *Agent) stopWorker(uid string, grace *int64) {
	a.mu.Lock()
	w, ok := a.workers[uid]
	delete(a.workers, uid)
	busy := a.stopping[uid] // another stop (a graceful one) still waits for the tasks
	if ok {
		a.stopping[uid] = true // sweepPodDirs leaves its files to it
	}
	a.mu.Unlock()
	if ok && grace != nil {
		w.limitGrace(*grace)
	}
	if !ok && busy {
		return // that stop removes the files once the tasks are gone
	}
	if !ok {
		// A pod that was already terminal when this agent (re)started has
		// no worker, but may have files (logs kept for `barque logs`).
		_ = os.RemoveAll(a.podDirs(uid).root)
		return
	}
	w.cancel()
	<-w.done
	w.removeDirs()
	a.mu.Lock()
	delete(a.stopping, uid)
	a.mu.Unlock()
	_ = a.state.deletePod(uid)
	a.kickClaims()
}

// stopOrphans stops tasks of a pod that no longer exists.
func (a *Agent) stopOrphans(ctx context.Context, uid string, hs map[string]*driver.TaskHandle) {
	a.stopRecovered(ctx, uid, hs, 10*time.Second)
	a.logger.Info("stopped the tasks of a pod deleted while the agent was away", "pod_uid", uid)
}

// stopTerminated stops the recovered tasks of a pod the control plane holds
// terminal (Failed/NodeLost while this agent was down). The pod's files
// stay for `barque logs` until the pod is deleted.
func (a *Agent) stopTerminated(pod *api.Pod, hs map[string]*driver.TaskHandle) {
	grace := 30 * time.Second
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = durationSeconds(*pod.Spec.TerminationGracePeriodSeconds)
	}
	a.stopRecovered(context.Background(), pod.UID, hs, grace)
	a.logger.Info("stopped the tasks of a pod marked terminal while the agent was away",
		"pod", pod.Name, "phase", pod.Status.Phase, "reason", pod.Status.Reason)
}

func (a *Agent) stopRecovered(ctx context.Context, uid string, hs map[string]*driver.TaskHandle, grace time.Duration) {
	for _, h := range hs {
		if d, ok := a.drivers[h.Driver]; ok && d.Recover(ctx, h) == nil {
			_ = d.Stop(ctx, h, h.KillSignal, grace)
			_ = d.Destroy(ctx, h)
		}
		_ = a.state.deleteTask(uid, h.TaskName)
	}
	_ = a.state.deletePod(uid)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
