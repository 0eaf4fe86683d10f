package scheduler

import (
	"context"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// maxInflightBinds is how many binding batches may be on their way through
// the log at once: one in Raft and one queued behind it, while the
// scheduler places the next. Placement and replication then overlap
// instead of taking turns.
const maxInflightBinds = 2

// inflight is one batch of bindings written but not yet answered.
type inflight struct {
	bindings []Binding
	done     chan bindResult
}

type bindResult struct {
	errs []error
	err  error
}

// bindAsync writes the bindings in the background; until the answer is
// collected, their pods count as bound ("assumed", as Kubernetes'
// scheduler cache says) so the next rounds neither place them again nor
// give their room away.
func (s *Scheduler) bindAsync(ctx context.Context, bindings []Binding) {
	for len(s.pending) >= maxInflightBinds {
		s.collect(true)
	}
	b := &inflight{bindings: bindings, done: make(chan bindResult, 1)}
	for _, bd := range bindings {
		s.assumed[bd.UID] = bd
	}
	s.pending = append(s.pending, b)
	go func() {
		errs, err := s.Writer.Bind(ctx, bindings)
		b.done <- bindResult{errs, err}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}()
}

// collect takes the answers of finished batches, oldest first; with block
// it waits for the oldest one. It reports whether any binding held.
func (s *Scheduler) collect(block bool) bool {
	bound := false
	for len(s.pending) > 0 {
		b := s.pending[0]
		var r bindResult
		if block {
			r = <-b.done
			block = false
		} else {
			select {
			case r = <-b.done:
			default:
				return bound
			}
		}
		s.pending = s.pending[1:]
		for _, bd := range b.bindings {
			delete(s.assumed, bd.UID)
		}
		if s.settle(b.bindings, r) {
			bound = true
		}
	}
	return bound
}

// collectAll waits for every batch in flight.
func (s *Scheduler) collectAll() {
	for len(s.pending) > 0 {
		s.collect(true)
	}
}

// settle records a batch's outcome and reports whether any binding held.
func (s *Scheduler) settle(bindings []Binding, r bindResult) bool {
	if r.err != nil {
		s.Logger.Warn("writing bindings failed", "pods", len(bindings), "error", r.err)
		return false
	}
	bound := 0
	for i, e := range r.errs {
		if e == nil {
			bound++
			delete(s.reported, bindings[i].UID)
			delete(s.victims, bindings[i].UID)
		}
	}
	s.Logger.Debug("bound pods", "bound", bound, "refused", len(bindings)-bound)
	return bound > 0
}

// withAssumed adds the pods of bindings still in flight to byNode, as
// bound, unless the store already shows them bound.
func (s *Scheduler) withAssumed(view *state.ReadView, byNode map[string][]*api.Pod) {
	for _, bd := range s.assumed {
		p, ok := view.Get("Pod", bd.Namespace, bd.Name).(*api.Pod)
		if !ok || p.UID != bd.UID || p.Spec.NodeName != "" || api.PodIsTerminal(p) {
			continue
		}
		bound := api.ShallowCopy(p).(*api.Pod)
		bound.Spec.NodeName = bd.Node
		byNode[bd.Node] = append(byNode[bd.Node], bound)
	}
}
