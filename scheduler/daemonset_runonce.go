package scheduler

import (
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
)

// runOnceCondition is the Complete condition of a run-once DaemonSet
// (api.AnnotationRunOncePerNode): True once every desired node holds a
// succeeded pod of the current revision, False (with how many are done)
// before, and failed when a pod of the current revision failed, which is
// not retried: the restart policy inside the pod is the retry.
func runOnceCondition(ds *api.DaemonSet, hash string, plans []*nodePlan, now time.Time) []api.Condition {
	desired, succeeded, failed := 0, 0, 0
	for _, np := range plans {
		var done *api.Pod
		for _, p := range np.ended {
			if p.Labels[DaemonSetRevisionLabel] == hash {
				done = p
			}
		}
		if !np.shouldRun && len(np.active) == 0 && done == nil {
			continue
		}
		desired++
		switch {
		case done == nil:
		case done.Status.Phase == api.PodSucceeded:
			succeeded++
		default:
			failed++
		}
	}
	c := api.Condition{Type: api.DaemonSetComplete, Status: api.ConditionFalse, Reason: "Running",
		ObservedGeneration: ds.Generation,
		Message:            fmt.Sprintf("%d of %d nodes succeeded, %d failed", succeeded, desired, failed)}
	switch {
	case failed > 0 && succeeded+failed == desired:
		c.Reason = "NodesFailed"
	case desired > 0 && succeeded == desired:
		c.Status, c.Reason = api.ConditionTrue, "AllNodesSucceeded"
	}
	conds := append([]api.Condition(nil), ds.Status.Conditions...)
	cur := api.FindCondition(conds, c.Type)
	if cur == nil {
		c.LastTransitionTime = api.NewTime(now)
		return append(conds, c)
	}
	c.LastTransitionTime = cur.LastTransitionTime
	if cur.Status != c.Status || cur.LastTransitionTime == nil {
		c.LastTransitionTime = api.NewTime(now)
	}
	*cur = c
	return conds
}
