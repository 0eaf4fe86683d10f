package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler/placement"
	"github.com/hashicorp/go-hclog"
)

// Decision is where the placer puts one pod: a node, or the reason none fits.
type Decision struct {
	Pod    *api.Pod
	Node   string
	Reason string
	Ports  map[string]int // host ports allocated for the pod's dynamic ports
}

// Placer decides placements over a snapshot of nodes, the pods bound to
// them and the claims the pending pods mount. Placement is a pure function;
// the scheduler does all the writing.
type Placer interface {
	Place(nodes []*api.Node, podsByNode map[string][]*api.Pod, claims Claims, pending []*api.Pod) []Decision
}

// Scheduler binds pending pods to nodes, in batches, on the leader.
type Scheduler struct {
	Store     *state.Store
	Writer    Writer
	Placer    Placer
	BatchSize int // pods per placement round and per binding entry (default 1024)
	Logger    hclog.Logger

	reported map[string]string     // pod UID -> last unschedulable reason written
	victims  map[string][]*api.Pod // preemptor UID -> the pods it evicted

	pending []*inflight        // binding batches in flight, oldest first
	assumed map[string]Binding // pod UID -> its binding in flight
	wake    chan struct{}      // a batch in flight was answered
	bound   boundCache         // nodes and bound pods, between rounds
}

// Run schedules until ctx ends: whenever the store changes and pods wait,
// it places up to BatchSize of them against a fresh snapshot and writes the
// bindings in one batch, placing the next batch while that one travels
// through the log. Refused bindings (the FSM re-checks each one) leave
// their pods pending, and a later round tries them again.
func (s *Scheduler) Run(ctx context.Context) {
	if s.BatchSize == 0 {
		s.BatchSize = 1024
	}
	s.reported = map[string]string{}
	s.victims = map[string][]*api.Pod{}
	s.assumed = map[string]Binding{}
	s.wake = make(chan struct{}, 1)
	defer s.collectAll()
	for ctx.Err() == nil {
		changed := s.Store.Changed()
		s.collect(false)
		if s.round(ctx) {
			continue
		}
		select {
		case <-changed:
		case <-s.wake:
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return
		}
	}
}

// round places one batch, highest priority first, and reports whether it
// wrote bindings (so the next batch goes at once). Pods that fit nowhere
// are reported, and may preempt, once every binding in flight landed.
func (s *Scheduler) round(ctx context.Context) bool {
	view := s.Store.View()
	pods := pendingByPriority(view, s.BatchSize, s.assumed)
	if len(pods) == 0 {
		return false
	}
	// While a batch travels, wait for a worthwhile one to gather: every
	// round builds a view of the whole cluster.
	if len(s.pending) > 0 && len(pods) < s.BatchSize/8 {
		return false
	}
	nodes, byNode := s.bound.sync(s.Store)
	byNode = s.withAssumed(view, byNode)
	decisions := s.Placer.Place(nodes, byNode, claimsOf(view, pods), pods)
	var bindings []Binding
	var failed []*api.Pod
	for _, d := range decisions {
		if d.Node == "" {
			failed = append(failed, d.Pod)
			continue
		}
		bindings = append(bindings, Binding{Namespace: d.Pod.Namespace, Name: d.Pod.Name, UID: d.Pod.UID,
			ResourceVersion: d.Pod.ResourceVersion, Node: d.Node, Ports: d.Ports})
	}
	if len(bindings) > 0 {
		s.bindAsync(ctx, bindings)
	}
	if len(failed) == 0 {
		return len(bindings) > 0
	}
	// The rejections were decided against assumed bindings; report them,
	// and preempt, only against the state those bindings left.
	s.collectAll()
	for _, d := range decisions {
		if d.Node == "" {
			s.reportUnschedulable(ctx, d.Pod, d.Reason)
		}
	}
	s.preempt(ctx, failed)
	return len(bindings) > 0
}

// pendingByPriority lists up to limit pending pods, highest priority first,
// then oldest, leaving out those with a binding in flight.
func pendingByPriority(view *state.ReadView, limit int, assumed map[string]Binding) []*api.Pod {
	pending := view.ByIndex("Pod", state.IndexPending, "1")
	pods := make([]*api.Pod, 0, len(pending))
	for _, o := range pending {
		if p := o.(*api.Pod); assumed[p.UID].UID == "" {
			pods = append(pods, p)
		}
	}
	placement.SortByPriority(pods)
	if len(pods) > limit {
		pods = pods[:limit]
	}
	return pods
}

// snapshot lists the nodes and the pods that hold room on them (pods on
// nodes not listed are kept too; placement ignores them).
func snapshot(view *state.ReadView) ([]*api.Node, map[string][]*api.Pod) {
	objs := view.List("Node", "", nil)
	nodes := make([]*api.Node, len(objs))
	byNode := make(map[string][]*api.Pod, len(objs))
	for i, o := range objs {
		nodes[i] = o.(*api.Node)
	}
	view.Indexed("Pod", state.IndexNode, func(o api.Object) {
		if p := o.(*api.Pod); !api.PodIsTerminal(p) {
			byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
		}
	})
	return nodes, byNode
}

// reportUnschedulable sets the pod's PodScheduled=False condition and
// records an Event, once per distinct reason.
func (s *Scheduler) reportUnschedulable(ctx context.Context, pod *api.Pod, reason string) {
	if s.reported[pod.UID] == reason {
		return
	}
	s.reported[pod.UID] = reason
	p := api.Clone(pod)
	now := api.NewTime(time.Now())
	cond := api.Condition{Type: api.PodScheduled, Status: api.ConditionFalse, Reason: "Unschedulable", Message: reason, LastTransitionTime: now}
	replaced := false
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == api.PodScheduled {
			p.Status.Conditions[i], replaced = cond, true
		}
	}
	if !replaced {
		p.Status.Conditions = append(p.Status.Conditions, cond)
	}
	if p.Status.Phase == "" {
		p.Status.Phase = api.PodPending
	}
	// The Event goes first: whoever sees the pod's condition can then find
	// the Event that explains it.
	RecordEvent(ctx, s.Writer, pod, "Warning", "FailedScheduling", reason)
	if _, err := s.Writer.UpdateStatus(ctx, p); err != nil {
		s.Logger.Debug("marking pod unschedulable failed", "pod", pod.Key(), "error", err)
	}
}

// RecordEvent writes an Event about obj, as Kubernetes components do.
func RecordEvent(ctx context.Context, w Writer, obj api.Object, typ, reason, message string) {
	m := obj.GetObjectMeta()
	tm := obj.GetTypeMeta()
	now := api.NewTime(time.Now())
	ns := m.Namespace
	if ns == "" {
		ns = "default"
	}
	ev := &api.Event{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta:     api.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s.%x", m.Name, time.Now().UnixNano())},
		InvolvedObject: api.ObjectReference{Kind: tm.Kind, APIVersion: tm.APIVersion, Namespace: m.Namespace, Name: m.Name, UID: m.UID},
		Reason:         reason, Message: message, Type: typ, Count: 1, FirstTimestamp: now, LastTimestamp: now,
		Source: api.EventSource{Component: "barque-scheduler"}}
	_, _ = w.Create(ctx, ev)
}
