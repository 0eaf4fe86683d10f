package scheduler

import (
	"context"
	"fmt"
	"strconv"

	"github.com/barque-io/barque/api"
)

// Reasons of the Progressing condition during a canary step.
const (
	ReasonAwaitingPromotion = "CanaryAwaitingPromotion"
	ReasonCanaryPromoted    = "CanaryPromoted"
	ReasonCanaryReverted    = "CanaryAutoReverted"
)

// The canary step (spec.strategy.canary, Nomad's update.canary) sits in
// front of a rolling update. Its state lives on the new ReplicaSet, so a
// new leader continues where the old one stopped:
//
//   - A template change on a Deployment whose old sets run pods creates
//     the new set with canary.replicas pods only, marked
//     api.CanaryPending (a set at zero that becomes the new one again, as
//     after an undo to an old revision, is marked and scaled the same way).
//   - While pending, the new set stays at the canary count, earlier
//     pending canaries (a template change during the step) go to zero, and
//     the stable set keeps the Deployment's size. Nothing else moves.
//   - The canaries are promoted when the Deployment's
//     api.PromoteRevisionAnnotation names the new set's revision, or, with
//     autoPromote, once every canary has been available (ready for
//     minReadySeconds). The mark becomes api.CanaryPromoted, and the
//     rolling update proceeds within maxSurge and maxUnavailable.
//   - Going back to the stable template (rollout undo) makes the stable
//     set the new one: it is at full size already, so the rolling update
//     only scales the canaries away. With autoRevert, the controller does
//     that itself once the canaries exceed the progress deadline.

// canaryReplicas is the configured canary count (0: no canary step).
func (s *deploymentSync) canaryReplicas() int32 {
	if c := s.d.Spec.Strategy.Canary; c != nil && s.d.Spec.Strategy.Type != api.RecreateDeploymentStrategy {
		return max(0, c.Replicas)
	}
	return 0
}

// canaryWanted says whether a new template starts with canaries: they are
// configured, and old sets run pods to compare them with (a Deployment's
// first template is placed in full, as in Nomad).
func (s *deploymentSync) canaryWanted() bool {
	if s.canaryReplicas() == 0 || s.want() == 0 {
		return false
	}
	for _, info := range s.old {
		if info.spec() > 0 {
			return true
		}
	}
	return false
}

func canaryMark(rs *api.ReplicaSet) string { return rs.Annotations[api.CanaryAnnotation] }

// syncCanary runs the canary step on the new set; held reports that the
// step holds the rollout in this pass (the rolling update must wait).
func (s *deploymentSync) syncCanary(ctx context.Context) (held bool, err error) {
	if s.newRS == nil {
		return false, nil
	}
	if canaryMark(s.newRS.rs) != api.CanaryPending {
		// Promoted, or never canaries; a set at zero becoming the new one
		// again (an undo to an old revision) is a new rollout, with canaries.
		if s.newRS.spec() > 0 || !s.canaryWanted() {
			return false, nil
		}
		return true, s.markCanary(ctx, api.CanaryPending, api.Ptr(s.canaryReplicas()))
	}
	switch c := s.d.Spec.Strategy.Canary; {
	case s.canaryReplicas() == 0:
		return true, s.promote(ctx, "as the canary step was turned off")
	case s.promoteRequested():
		return true, s.promote(ctx, "by request")
	case c.AutoPromote && s.canariesHealthy():
		return true, s.promote(ctx, "automatically")
	case c.AutoRevert && s.timedOut():
		if stable := s.stableSet(); stable != nil {
			return true, s.revert(ctx, stable)
		}
	}
	return true, s.holdCanary(ctx)
}

func (s *deploymentSync) timedOut() bool {
	c := api.FindCondition(s.conds, api.DeploymentProgressing)
	return c != nil && c.Reason == ReasonTimedOut
}

// stableSet is the one old set with pods that is not a pending canary
// (nil when there are several: a rollout was interrupted, and there is no
// one template to go back to).
func (s *deploymentSync) stableSet() *rsInfo {
	var stable *rsInfo
	for _, info := range s.old {
		if canaryMark(info.rs) == api.CanaryPending || info.spec() == 0 {
			continue
		}
		if stable != nil {
			return nil
		}
		stable = info
	}
	return stable
}

// revert writes the stable set's template back into the Deployment,
// conditionally on the version read, as `rollout undo` would: the next
// pass finds the stable set to be the new one and scales the canaries
// away.
func (s *deploymentSync) revert(ctx context.Context, stable *rsInfo) error {
	u := api.Clone(s.d)
	tpl := cloneTemplate(&stable.rs.Spec.Template)
	delete(tpl.Labels, PodTemplateHashLabel)
	u.Spec.Template = *tpl
	obj, err := s.c.Writer.Update(ctx, u)
	if err != nil {
		return fmt.Errorf("deployment %s: revert to replicaset %s: %w", s.d.Key(), stable.rs.Name, err)
	}
	waitForStore(ctx, s.c.Store, obj)
	s.observed = s.d.Generation
	s.d = obj.(*api.Deployment)
	s.c.Logger.Warn("canaries exceeded the progress deadline: reverted", "deployment", s.d.Key(),
		"canaries", s.newRS.rs.Name, "stable", stable.rs.Name)
	s.setProgressing(api.ConditionTrue, ReasonCanaryReverted, fmt.Sprintf("Canaries of replica set %q exceeded the progress deadline; reverted to replica set %q.",
		s.newRS.rs.Name, stable.rs.Name))
	return nil
}

// promoteRequested: the Deployment's promotion request names the new
// set's revision (a request for earlier canaries does not carry over).
func (s *deploymentSync) promoteRequested() bool {
	req, ok := s.d.Annotations[api.PromoteRevisionAnnotation]
	return ok && req == strconv.FormatInt(revisionOf(s.newRS.rs), 10)
}

func (s *deploymentSync) canaryHealthy() int32 {
	return min(s.newRS.available, s.canaryReplicas())
}

func (s *deploymentSync) canariesHealthy() bool {
	return s.newRS.spec() >= s.canaryReplicas() && s.canaryHealthy() >= s.canaryReplicas()
}

// holdCanary keeps the canary step's sizes: the canary count on the new
// set, zero on earlier canaries, the Deployment's size on the stable set
// when there is exactly one (several mean a rollout was under way: their
// sizes stay, as in Nomad).
func (s *deploymentSync) holdCanary(ctx context.Context) error {
	if _, err := s.scale(ctx, s.newRS, s.canaryReplicas()); err != nil {
		return err
	}
	var stable []*rsInfo
	for _, info := range s.old {
		if canaryMark(info.rs) == api.CanaryPending {
			if _, err := s.scale(ctx, info, 0); err != nil {
				return err
			}
			continue
		}
		if info.spec() > 0 {
			stable = append(stable, info)
		}
	}
	if len(stable) == 1 {
		if _, err := s.scale(ctx, stable[0], s.want()); err != nil {
			return err
		}
	}
	s.awaitingPromotion = s.canariesHealthy()
	return nil
}

// promote marks the canaries promoted; the write wakes the next pass,
// which continues the rolling update.
func (s *deploymentSync) promote(ctx context.Context, how string) error {
	if err := s.markCanary(ctx, api.CanaryPromoted, nil); err != nil {
		return err
	}
	name := s.newRS.rs.Name
	s.c.Logger.Info("promoted canaries", "deployment", s.d.Key(), "replicaset", name, "how", how)
	// A new lastUpdateTime: the progress deadline counts from here.
	s.setProgressing(api.ConditionTrue, ReasonCanaryPromoted, fmt.Sprintf("Canaries of replica set %q promoted %s.", name, how))
	return nil
}

// markCanary sets the new set's canary mark (and its size, when n is
// given) in one write conditional on the version read.
func (s *deploymentSync) markCanary(ctx context.Context, mark string, n *int32) error {
	rs := s.newRS.rs
	u := api.Clone(rs)
	u.Annotations = withEntry(u.Annotations, api.CanaryAnnotation, mark)
	if n != nil {
		u.Spec.Replicas = api.Ptr(*n)
	}
	obj, err := s.c.Writer.Update(ctx, u)
	if err != nil {
		return fmt.Errorf("deployment %s: mark replicaset %s %s: %w", s.d.Key(), rs.Name, mark, err)
	}
	waitForStore(ctx, s.c.Store, obj)
	s.newRS.rs = obj.(*api.ReplicaSet)
	return nil
}

// canaryStatus reports the new set's canaries, when it has some.
func (s *deploymentSync) canaryStatus() *api.DeploymentCanaryStatus {
	if s.newRS == nil {
		return nil
	}
	mark := canaryMark(s.newRS.rs)
	if mark != api.CanaryPending && mark != api.CanaryPromoted {
		return nil
	}
	return &api.DeploymentCanaryStatus{ReplicaSet: s.newRS.rs.Name, Revision: revisionOf(s.newRS.rs),
		Desired: s.canaryReplicas(), Healthy: s.canaryHealthy(), Promoted: mark == api.CanaryPromoted}
}
