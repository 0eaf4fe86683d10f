package fsm

import (
	"slices"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// applyPodDelete is the part of a pod's delete that its grace period
// decides, as Kubernetes' graceful deletion: a pod a node runs is not
// removed but marked (deletionTimestamp = the leader's time + the grace
// period, deletionGracePeriodSeconds = the period), so that its node
// stops it within the period and then deletes it with grace 0, which
// removes it (or, with finalizers, ends the period). It reports
// done=false when the ordinary delete applies: a pod removed at once, or
// one with no grace period running any more, whose finalizers decide.
func applyPodDelete(txn *state.Txn, pod *api.Pod, op *Op, fin string) (Result, bool) {
	if pod.DeletionTimestamp != nil {
		return shortenPodGrace(txn, pod, op, fin)
	}
	grace := api.PodDeletionGrace(pod, op.GracePeriodSeconds)
	if grace == 0 && !api.HoldingFinalizers(pod) && fin == "" {
		return Result{}, false
	}
	// Held (a grace period, or finalizers with grace 0, whose period is
	// then recorded as over so that no later delete lengthens it).
	return putDeleting(txn, pod, grace, deadline(op.Time, grace), fin), true
}

// shortenPodGrace is a delete of a pod already being deleted: as in
// Kubernetes, only a shorter grace period than the running one changes
// anything, and its deadline moves to the first delete's time plus the
// new period. A pod that finished in the meantime has nothing left to
// stop, so any delete ends its period.
func shortenPodGrace(txn *state.Txn, pod *api.Pod, op *Op, fin string) (Result, bool) {
	running := pod.DeletionGracePeriodSeconds
	if running == nil || *running == 0 {
		return Result{}, false
	}
	asked := op.GracePeriodSeconds
	if api.PodIsTerminal(pod) {
		asked = new(int64)
	}
	if asked == nil || *asked >= *running {
		if fin == "" || slices.Contains(pod.Finalizers, fin) {
			return Result{Object: pod}, true
		}
		return putDeleting(txn, pod, *running, pod.DeletionTimestamp, fin), true
	}
	started := pod.DeletionTimestamp.Add(-seconds(*running))
	return putDeleting(txn, pod, *asked, api.NewTime(started.Add(seconds(*asked))), fin), true
}

// putDeleting stores pod marked for deletion with grace and deadline (and
// fin added), or removes it when nothing holds it any more.
func putDeleting(txn *state.Txn, pod *api.Pod, grace int64, deadline *api.Time, fin string) Result {
	obj := api.ShallowCopy(pod).(*api.Pod)
	meta := pod.ObjectMeta
	meta.DeletionGracePeriodSeconds, meta.DeletionTimestamp = &grace, deadline
	if fin != "" && !slices.Contains(meta.Finalizers, fin) {
		meta.Finalizers = append(slices.Clone(meta.Finalizers), fin)
	}
	obj.ObjectMeta = meta
	if !api.HoldingDeletion(obj) {
		if err := txn.Delete(pod); err != nil {
			return Result{Err: api.Internal(err)}
		}
		return Result{Object: obj}
	}
	if err := txn.Put(obj, state.Modified); err != nil {
		return Result{Err: api.Internal(err)}
	}
	return Result{Object: obj}
}

// deadline is the leader's time of the delete plus the grace period: the
// deletionTimestamp Kubernetes gives a pod deleted gracefully. The time
// travels in the op, so every replica computes the same.
func deadline(at *api.Time, grace int64) *api.Time {
	var t time.Time // an op without a time (none is written so) counts from the epoch
	if at != nil {
		t = at.Time
	}
	return api.NewTime(t.Add(seconds(grace)))
}

// maxGraceSeconds bounds the arithmetic on grace periods (a Duration
// holds about 292 years); longer periods are taken as this one.
const maxGraceSeconds = 100 * 365 * 24 * 3600

func seconds(n int64) time.Duration { return time.Duration(min(n, maxGraceSeconds)) * time.Second }
