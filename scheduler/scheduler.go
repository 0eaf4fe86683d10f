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

// Placer decides placements over a snapshot of nodes and the pods bound to
// them. Placement is a pure function; the scheduler does all the writing.
type Placer interface {
	Place(nodes []*api.Node, podsByNode map[string][]*api.Pod, pending []*api.Pod) []Decision
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
}

// Run schedules until ctx ends: whenever the store changes and pods wait,
// it places up to BatchSize of them against a fresh snapshot and writes the
// bindings in one batch. Refused bindings (the FSM re-checks each one) leave
// their pods pending, and the next round tries them again.
func (s *Scheduler) Run(ctx context.Context) {
	if s.BatchSize == 0 {
		s.BatchSize = 1024
	}
	s.reported = map[string]string{}
	s.victims = map[string][]*api.Pod{}
	var lastNodes uint64
	for ctx.Err() == nil {
		changed := s.Store.Changed()
		progressed := s.round(ctx, &lastNodes)
		if progressed {
			continue
		}
		select {
		case <-changed:
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return
		}
	}
}

// round places one batch, highest priority first, and reports whether it
// bound anything (so the next batch goes at once). Pods that fit nowhere
// may then preempt, against the state after the bindings.
func (s *Scheduler) round(ctx context.Context, lastNodes *uint64) bool {
	view := s.Store.View()
	pods := pendingByPriority(view, s.BatchSize)
	if len(pods) == 0 {
		return false
	}
	nodes, byNode := snapshot(view)
	decisions := s.Placer.Place(nodes, byNode, pods)
	var bindings []Binding
	var failed []*api.Pod
	for _, d := range decisions {
		if d.Node == "" {
			s.reportUnschedulable(ctx, d.Pod, d.Reason)
			failed = append(failed, d.Pod)
			continue
		}
		bindings = append(bindings, Binding{Namespace: d.Pod.Namespace, Name: d.Pod.Name, UID: d.Pod.UID,
			ResourceVersion: d.Pod.ResourceVersion, Node: d.Node, Ports: d.Ports})
	}
	bound := s.bind(ctx, bindings)
	s.preempt(ctx, failed)
	return bound
}

// pendingByPriority lists up to limit pending pods, highest priority first,
// then oldest.
func pendingByPriority(view *state.ReadView, limit int) []*api.Pod {
	pending := view.ByIndex("Pod", state.IndexPending, "1")
	pods := make([]*api.Pod, len(pending))
	for i, o := range pending {
		pods[i] = o.(*api.Pod)
	}
	placement.SortByPriority(pods)
	if len(pods) > limit {
		pods = pods[:limit]
	}
	return pods
}

// bind writes the bindings in one batch and reports whether any held.
func (s *Scheduler) bind(ctx context.Context, bindings []Binding) bool {
	if len(bindings) == 0 {
		return false
	}
	errs, err := s.Writer.Bind(ctx, bindings)
	if err != nil {
		s.Logger.Warn("writing bindings failed", "pods", len(bindings), "error", err)
		return false
	}
	bound := 0
	for i, e := range errs {
		if e == nil {
			bound++
			delete(s.reported, bindings[i].UID)
			delete(s.victims, bindings[i].UID)
		}
	}
	s.Logger.Debug("bound pods", "bound", bound, "refused", len(bindings)-bound)
	return bound > 0
}

// snapshot lists the nodes and the pods that hold room on them.
func snapshot(view *state.ReadView) ([]*api.Node, map[string][]*api.Pod) {
	var nodes []*api.Node
	byNode := map[string][]*api.Pod{}
	for _, o := range view.List("Node", "", nil) {
		n := o.(*api.Node)
		nodes = append(nodes, n)
		for _, po := range view.ByIndex("Pod", state.IndexNode, n.Name) {
			if p := po.(*api.Pod); !api.PodIsTerminal(p) {
				byNode[n.Name] = append(byNode[n.Name], p)
			}
		}
	}
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
	if _, err := s.Writer.UpdateStatus(ctx, p); err != nil {
		s.Logger.Debug("marking pod unschedulable failed", "pod", pod.Key(), "error", err)
	}
	RecordEvent(ctx, s.Writer, pod, "Warning", "FailedScheduling", reason)
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
