package scheduler

import (
	"sort"
	"time"

	"github.com/barque-io/barque/api"
)

// podReady reports whether the pod's Ready condition is True.
func podReady(p *api.Pod) bool {
	c := api.FindCondition(p.Status.Conditions, api.PodReady)
	return c != nil && c.Status == api.ConditionTrue
}

// untilAvailable is how long a ready pod still has to stay ready to count
// as available under minReadySeconds (0 = available now).
func untilAvailable(p *api.Pod, minReadySeconds int32, now time.Time) time.Duration {
	if minReadySeconds <= 0 {
		return 0
	}
	c := api.FindCondition(p.Status.Conditions, api.PodReady)
	if c == nil || c.LastTransitionTime == nil {
		// Ready without a transition time: count from now, as it is unknown.
		return time.Duration(minReadySeconds) * time.Second
	}
	at := c.LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second)
	if !at.After(now) {
		return 0
	}
	return at.Sub(now)
}

func podAvailable(p *api.Pod, minReadySeconds int32, now time.Time) bool {
	return podReady(p) && untilAvailable(p, minReadySeconds, now) == 0
}

// podPhaseRank orders phases for deletion: Pending, then Unknown, then
// Running.
var podPhaseRank = map[api.PodPhase]int{api.PodPending: 0, api.PodUnknown: 1, api.PodRunning: 2}

// rankForDeletion sorts pods so the ones to delete first come first, as
// Kubernetes' ActivePodsWithRanks does: unbound before bound, pending
// before unknown before running, not ready before ready, pods on nodes
// crowded with their siblings first, ready for less time first, more
// restarts first, newer first.
func rankForDeletion(pods []*api.Pod) {
	onNode := map[string]int{}
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			onNode[p.Spec.NodeName]++
		}
	}
	sort.SliceStable(pods, func(i, j int) bool { return deleteBefore(pods[i], pods[j], onNode) })
}

func deleteBefore(a, b *api.Pod, onNode map[string]int) bool {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if ra, rb := podPhaseRank[a.Status.Phase], podPhaseRank[b.Status.Phase]; ra != rb {
		return ra < rb
	}
	if podReady(a) != podReady(b) {
		return !podReady(a)
	}
	if ca, cb := onNode[a.Spec.NodeName], onNode[b.Spec.NodeName]; ca != cb {
		return ca > cb
	}
	if podReady(a) {
		ta, tb := readySince(a), readySince(b)
		if !ta.Equal(tb) {
			return ta.After(tb)
		}
	}
	if ra, rb := maxRestarts(a), maxRestarts(b); ra != rb {
		return ra > rb
	}
	return createdAt(a).After(createdAt(b))
}

func readySince(p *api.Pod) time.Time {
	if c := api.FindCondition(p.Status.Conditions, api.PodReady); c != nil && c.LastTransitionTime != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

func maxRestarts(p *api.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n = max(n, s.RestartCount)
	}
	return n
}

// createdAt treats a missing timestamp as newest.
func createdAt(o interface{ GetObjectMeta() *api.ObjectMeta }) time.Time {
	if t := o.GetObjectMeta().CreationTimestamp; t != nil {
		return t.Time
	}
	return time.Unix(1<<62, 0)
}
