package placement

import (
	"sort"
	"time"

	"github.com/barque-io/barque/api"
)

// Priorities of the well-known class names, as Kubernetes defines them.
// Barque has no PriorityClass kind: these two names are the only classes a
// pod without spec.priority can name, and any other name means 0.
const (
	PrioritySystemNodeCritical    int32 = 2000001000
	PrioritySystemClusterCritical int32 = 2000000000
)

// PreemptNever is the preemptionPolicy of a pod that waits rather than
// evicting others.
const PreemptNever = "Never"

// PodPriority is spec.priority, else the priority of a well-known class
// name, else 0.
func PodPriority(pod *api.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	switch pod.Spec.PriorityClassName {
	case "system-node-critical":
		return PrioritySystemNodeCritical
	case "system-cluster-critical":
		return PrioritySystemClusterCritical
	}
	return 0
}

// CanPreempt says whether the pod may evict lower-priority pods.
func CanPreempt(pod *api.Pod) bool {
	return pod.Spec.PreemptionPolicy == nil || *pod.Spec.PreemptionPolicy != PreemptNever
}

// SortByPriority orders pods for scheduling: highest priority first, then
// oldest, then by namespace/name so that the order is total.
func SortByPriority(pods []*api.Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		pi, pj := PodPriority(pods[i]), PodPriority(pods[j])
		if pi != pj {
			return pi > pj
		}
		ti, tj := created(pods[i]), created(pods[j])
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return pods[i].Key() < pods[j].Key()
	})
}

// created is the pod's creation time, zero when unset.
func created(pod *api.Pod) time.Time {
	if pod.CreationTimestamp == nil {
		return time.Time{}
	}
	return pod.CreationTimestamp.Time
}
