package node

import (
	"context"
	"time"

	"github.com/barque-io/barque/api"
)

// terminate carries out a pod's graceful deletion, as the kubelet does:
// its tasks get the deletion's grace period to stop (the kill signal,
// then SIGKILL), then the agent deletes the pod with grace 0, which
// removes it from the control plane. Until then the pod stays,
// Terminating, so that nothing takes its name, its ports or its volumes
// while it still runs (a StatefulSet's pod comes back under the same name
// only once this one is gone). It runs once per pod, in the background; a
// later event with a shorter grace period (a second delete) shortens the
// stop under way.
func (a *Agent) terminate(ctx context.Context, pod *api.Pod) {
	a.mu.Lock()
	if w, ok := a.terminating[pod.UID]; ok {
		a.mu.Unlock()
		if w != nil && pod.DeletionGracePeriodSeconds != nil {
			w.limitGrace(*pod.DeletionGracePeriodSeconds)
		}
		return
	}
	a.terminating[pod.UID] = a.workers[pod.UID]
	a.mu.Unlock()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer func() {
			a.mu.Lock()
			delete(a.terminating, pod.UID)
			a.mu.Unlock()
		}()
		// Tasks found running when the agent started, of a pod that was
		// already terminating then (no worker took them): stopped first,
		// so that stopWorker removes the pod's files only after them.
		a.mu.Lock()
		hs := a.recovered[pod.UID]
		delete(a.recovered, pod.UID)
		a.mu.Unlock()
		if len(hs) > 0 {
			a.stopRecovered(ctx, pod.UID, hs, durationSeconds(deref(pod.DeletionGracePeriodSeconds, api.DefaultTerminationGracePeriod)))
		}
		a.stopWorker(pod.UID, pod.DeletionGracePeriodSeconds)
		a.finishDeletion(ctx, pod)
	}()
}

// finishDeletion deletes a stopped pod for good (grace 0), only the one of
// that uid. It keeps trying while the control plane is unreachable; the
// pod being gone already is success.
func (a *Agent) finishDeletion(ctx context.Context, pod *api.Pod) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := a.client.EndPodDeletion(ctx, pod.Namespace, pod.Name, pod.UID)
		if err == nil {
			a.logger.Debug("pod stopped and deleted", "pod", pod.Namespace+"/"+pod.Name)
			return
		}
		a.logger.Warn("deleting a stopped pod failed; retrying", "pod", pod.Namespace+"/"+pod.Name, "error", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
}

func deref(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}
