package scheduler

import (
	"context"
	"fmt"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler/placement"
)

// Preempter is what a Placer offers when it can make room: the node where
// evicting victims (bound pods of lower priority) lets pod fit.
type Preempter interface {
	Preempt(nodes []*api.Node, podsByNode map[string][]*api.Pod, claims Claims, pod *api.Pod) (node string, victims []*api.Pod, ok bool)
}

// maxPreemptSearches bounds how many pods one round searches victims for:
// each search reads the whole cluster, and rounds come at every change.
const maxPreemptSearches = 8

// preempt makes room for at most one of the pods that fit nowhere this
// round (failed, highest priority first): it nominates the node, evicts the
// victims and says so in Events. The preemptor is bound in a later round,
// once the victims are gone, like any pending pod; one preemption per round
// keeps two preemptors from counting on the same freed room.
func (s *Scheduler) preempt(ctx context.Context, failed []*api.Pod) {
	pr, ok := s.Placer.(Preempter)
	if !ok || len(failed) == 0 {
		return
	}
	view := s.Store.View()
	nodes, byNode := snapshot(view)
	floor, bound := lowestPriority(byNode)
	searches := 0
	for _, f := range failed {
		if searches == maxPreemptSearches {
			return
		}
		pod, live := view.Get("Pod", f.Namespace, f.Name).(*api.Pod)
		if !live || pod.UID != f.UID || pod.Spec.NodeName != "" || !bound || placement.PodPriority(pod) <= floor {
			continue
		}
		if !placement.CanPreempt(pod) || s.awaitingVictims(view, pod) {
			continue
		}
		searches++
		node, victims, ok := pr.Preempt(nodes, byNode, claimsOf(view, []*api.Pod{pod}), pod)
		if ok && len(victims) > 0 {
			s.evict(ctx, pod, node, victims)
			return
		}
	}
}

// lowestPriority is the lowest priority among bound pods: pods at or below
// it have nobody to preempt, which spares the search for most of them.
func lowestPriority(byNode map[string][]*api.Pod) (int32, bool) {
	var low int32
	found := false
	for _, ps := range byNode {
		for _, p := range ps {
			if pr := placement.PodPriority(p); !found || pr < low {
				low, found = pr, true
			}
		}
	}
	return low, found
}

// awaitingVictims says whether pod already preempted and its victims are
// not all gone: evicting again would take more than it needs. The victims
// this leader evicted are remembered; a new leader sees only the nominated
// node, and waits while lower-priority pods there are being deleted.
func (s *Scheduler) awaitingVictims(view *state.ReadView, pod *api.Pod) bool {
	node := pod.Status.NominatedNodeName
	if node == "" {
		return false
	}
	for _, v := range s.victims[pod.UID] {
		if cur, ok := view.Get("Pod", v.Namespace, v.Name).(*api.Pod); ok && cur.UID == v.UID {
			return true
		}
	}
	prio := placement.PodPriority(pod)
	for _, o := range view.ByIndex("Pod", state.IndexNode, node) {
		if p := o.(*api.Pod); p.DeletionTimestamp != nil && !api.PodIsTerminal(p) && placement.PodPriority(p) < prio {
			return true
		}
	}
	return false
}

// evict nominates node for pod, then deletes each victim at the version
// read, so that a victim changed since (rebound, re-prioritised) stays.
func (s *Scheduler) evict(ctx context.Context, pod *api.Pod, node string, victims []*api.Pod) {
	p := api.Clone(pod)
	p.Status.NominatedNodeName = node
	if _, err := s.Writer.UpdateStatus(ctx, p); err != nil {
		s.Logger.Debug("nominating node failed", "pod", pod.Key(), "node_id", node, "error", err)
		return
	}
	var gone []*api.Pod
	for _, v := range victims {
		if err := s.Writer.Delete(ctx, "Pod", v.Namespace, v.Name, v.ResourceVersion, v.UID); err != nil {
			s.Logger.Debug("evicting victim failed", "pod", v.Key(), "error", err)
			continue
		}
		gone = append(gone, v)
		RecordEvent(ctx, s.Writer, v, "Normal", "Preempted",
			fmt.Sprintf("Preempted by %s/%s on node %s", pod.Namespace, pod.Name, node))
	}
	if len(gone) == 0 {
		return
	}
	s.victims[pod.UID] = gone
	RecordEvent(ctx, s.Writer, pod, "Normal", "Preempting",
		fmt.Sprintf("Preempted %d pods on node %s to make room", len(gone), node))
	s.Logger.Info("preempted pods", "pod", pod.Key(), "node_id", node, "victims", len(gone))
}

// Preempt implements Preempter.
func (p PlacementPlacer) Preempt(nodes []*api.Node, podsByNode map[string][]*api.Pod, claims Claims, pod *api.Pod) (string, []*api.Pod, bool) {
	pre, ok := placement.Preempt(&placement.Snapshot{Nodes: nodes, PodsByNode: podsByNode, Claims: claims}, pod, p.Config)
	return pre.Node, pre.Victims, ok
}

var _ Preempter = PlacementPlacer{}
