package scheduler

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
)

// Labels Kubernetes puts on every StatefulSet pod, and the revision label.
const (
	StatefulSetPodNameLabel  = "statefulset.kubernetes.io/pod-name"
	StatefulSetPodIndexLabel = "apps.kubernetes.io/pod-index"
	StatefulSetRevisionLabel = "controller-revision-hash"
	// StatefulSetTemplateAnnotation holds, on each pod, the template of its
	// revision as JSON. Barque has no ControllerRevision objects, so this is
	// where a pod below the partition that must be recreated at the current
	// (old) revision finds that revision's template.
	StatefulSetTemplateAnnotation = "statefulset.barque.io/template"
)

// ReasonNodeLost is the reason NodeLifecycle gives a pod whose node was lost.
const ReasonNodeLost = "NodeLost"

// stsRevisions names the revision pods converge to (update) and the one
// the set was at before the rollout started (current).
type stsRevisions struct {
	current, update string
}

// stsPlan is what one pass does: the pods to delete, then the ordinals to
// create (an ordinal may be in both: a failed pod recreated under its name).
type stsPlan struct {
	remove []*api.Pod
	create []int
}

// stsView is one StatefulSet's pods as a pass sees them: slots[i] is the
// pod with ordinal i < replicas (nil when missing); condemned are those at
// or above replicas, highest ordinal first.
type stsView struct {
	set       *api.StatefulSet
	rev       stsRevisions
	slots     []*api.Pod
	condemned []*api.Pod
	// nodeExists says whether a Node object of that name is in the store.
	nodeExists func(name string) bool
	now        time.Time
}

// ordinalOf parses NAME-i; -1 when the pod's name is not one of set's.
func ordinalOf(set, pod string) int {
	rest, ok := strings.CutPrefix(pod, set+"-")
	if !ok || rest == "" || (len(rest) > 1 && rest[0] == '0') {
		return -1
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func newSTSView(set *api.StatefulSet, rev stsRevisions, pods []*api.Pod, nodeExists func(string) bool, now time.Time) *stsView {
	n := int(replicasOf(set.Spec.Replicas))
	v := &stsView{set: set, rev: rev, slots: make([]*api.Pod, n), nodeExists: nodeExists, now: now}
	for _, p := range pods {
		switch ord := ordinalOf(set.Name, p.Name); {
		case ord < 0:
		case ord < n:
			v.slots[ord] = p
		default:
			v.condemned = append(v.condemned, p)
		}
	}
	sort.Slice(v.condemned, func(i, j int) bool {
		return ordinalOf(set.Name, v.condemned[i].Name) > ordinalOf(set.Name, v.condemned[j].Name)
	})
	return v
}

// healthy is Running, Ready, and ready for minReadySeconds.
func (v *stsView) healthy(p *api.Pod) bool {
	return p != nil && p.DeletionTimestamp == nil && p.Status.Phase == api.PodRunning &&
		podAvailable(p, v.set.Spec.MinReadySeconds, v.now)
}

// lostOnLiveNode reports a pod failed with its node lost while the Node
// object still exists. As in Kubernetes, where such a pod stays
// Terminating until the node is confirmed gone, it is neither deleted nor
// replaced: the node may only be partitioned away with the pod still
// running, and a second pod under the same name would break the one
// guarantee a StatefulSet gives, at most one pod per identity. Deleting the
// Node object, or the pod itself (a Failed pod's delete removes it at
// once: there is nothing left to stop gracefully), releases the identity.
func (v *stsView) lostOnLiveNode(p *api.Pod) bool {
	return p.Status.Phase == api.PodFailed && p.Status.Reason == ReasonNodeLost &&
		p.Spec.NodeName != "" && v.nodeExists(p.Spec.NodeName)
}

func (v *stsView) monotonic() bool {
	return v.set.Spec.PodManagementPolicy != api.ParallelPodManagement
}

// plan decides one pass, as Kubernetes' StatefulSet control does: first
// the ordinals in range in increasing order (create the missing, replace
// the failed; OrderedReady stops at the first that is not yet healthy),
// then the condemned from the highest ordinal (OrderedReady one at a time,
// waiting for each to be gone), then the rolling update from the highest
// ordinal down to the partition, one pod at a time.
func (v *stsView) plan() stsPlan {
	var pl stsPlan
	if !v.planReplicas(&pl) || !v.planCondemned(&pl) {
		return pl
	}
	v.planUpdate(&pl)
	return pl
}

// planReplicas reports whether the pass may go on.
func (v *stsView) planReplicas(pl *stsPlan) bool {
	mono := v.monotonic()
	for i, p := range v.slots {
		switch {
		case p == nil:
			pl.create = append(pl.create, i)
			if mono {
				return false
			}
		case v.lostOnLiveNode(p):
			if mono {
				return false
			}
		case api.PodIsTerminal(p) && p.DeletionTimestamp == nil:
			pl.remove = append(pl.remove, p)
			pl.create = append(pl.create, i)
			if mono {
				return false
			}
		case mono && !v.healthy(p):
			return false
		}
	}
	return true
}

func (v *stsView) planCondemned(pl *stsPlan) bool {
	mono := v.monotonic()
	for _, p := range v.condemned {
		if p.DeletionTimestamp != nil || v.lostOnLiveNode(p) {
			if mono {
				return false
			}
			continue
		}
		pl.remove = append(pl.remove, p)
		if mono {
			return false
		}
	}
	// Parallel: the update waits until the scale-down is done.
	return len(v.condemned) == 0
}

func (v *stsView) planUpdate(pl *stsPlan) {
	us := v.set.Spec.UpdateStrategy
	if us.Type == api.OnDeleteStrategyType {
		return
	}
	for i := len(v.slots) - 1; i >= v.partition(); i-- {
		p := v.slots[i]
		if p == nil || slicesContainsInt(pl.create, i) {
			return
		}
		if p.Labels[StatefulSetRevisionLabel] != v.rev.update && p.DeletionTimestamp == nil && !v.lostOnLiveNode(p) {
			// Recreated at the update revision by the next pass.
			pl.remove = append(pl.remove, p)
			return
		}
		if !v.healthy(p) {
			return
		}
	}
}

func (v *stsView) partition() int {
	if ru := v.set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		return int(*ru.Partition)
	}
	return 0
}

// revisionFor is the revision a new pod at ordinal i gets: below the
// partition of a RollingUpdate set, the current one; otherwise the update.
func (v *stsView) revisionFor(i int) string {
	if v.set.Spec.UpdateStrategy.Type != api.OnDeleteStrategyType && i < v.partition() {
		return v.rev.current
	}
	return v.rev.update
}

func slicesContainsInt(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// statefulSetStatus counts the set's pods, as Kubernetes does, and moves
// the current revision to the update revision once every pod is updated
// and ready. The duration is when minReadySeconds next makes a pod
// available (0 = none pending).
func statefulSetStatus(set *api.StatefulSet, rev stsRevisions, pods []*api.Pod, now time.Time) (api.StatefulSetStatus, time.Duration) {
	st := api.StatefulSetStatus{ObservedGeneration: set.Generation, Conditions: set.Status.Conditions,
		CurrentRevision: rev.current, UpdateRevision: rev.update}
	var recheck time.Duration
	for _, p := range pods {
		if p.DeletionTimestamp != nil || ordinalOf(set.Name, p.Name) < 0 {
			continue
		}
		st.Replicas++
		if p.Labels[StatefulSetRevisionLabel] == rev.current {
			st.CurrentReplicas++
		}
		if p.Labels[StatefulSetRevisionLabel] == rev.update {
			st.UpdatedReplicas++
		}
		if p.Status.Phase != api.PodRunning || !podReady(p) {
			continue
		}
		st.ReadyReplicas++
		if wait := untilAvailable(p, set.Spec.MinReadySeconds, now); wait == 0 {
			st.AvailableReplicas++
		} else if recheck == 0 || wait < recheck {
			recheck = wait
		}
	}
	if set.Spec.UpdateStrategy.Type != api.OnDeleteStrategyType &&
		st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas {
		st.CurrentRevision, st.CurrentReplicas = st.UpdateRevision, st.UpdatedReplicas
	}
	return st, recheck
}
