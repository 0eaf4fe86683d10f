package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/barque-io/barque/api"
)

// rolloutRolling moves one step of a rolling update per pass: hold the
// sizes while canaries wait for promotion (deployment_canary.go), else
// scale the new set up within maxSurge, else scale old sets down within
// maxUnavailable, else (when complete) trim the history. Each step's
// writes wake the next pass through the store.
func (s *deploymentSync) rolloutRolling(ctx context.Context) error {
	if err := s.syncRevision(ctx, true); err != nil {
		return s.finish(ctx, err)
	}
	if held, err := s.syncCanary(ctx); err != nil || held {
		return s.finish(ctx, err)
	}
	scaled, err := s.reconcileNewRS(ctx)
	if err != nil || scaled {
		return s.finish(ctx, err)
	}
	scaled, err = s.reconcileOldRSs(ctx)
	if err != nil || scaled {
		return s.finish(ctx, err)
	}
	if st := s.status(); deploymentComplete(s.d, &st) {
		err = s.cleanup(ctx)
	}
	return s.finish(ctx, err)
}

// rolloutRecreate scales every old set to zero, waits until their pods
// are gone, then creates or scales the new set to the full size.
func (s *deploymentSync) rolloutRecreate(ctx context.Context) error {
	if err := s.syncRevision(ctx, false); err != nil {
		return s.finish(ctx, err)
	}
	scaledDown := false
	for _, info := range s.old {
		if info.spec() == 0 {
			continue
		}
		scaled, err := s.scale(ctx, info, 0)
		if err != nil {
			return s.finish(ctx, err)
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown {
		return s.finish(ctx, nil)
	}
	for _, info := range s.old {
		if info.running > 0 {
			return s.finish(ctx, nil) // the old pods are still going, or stopping
		}
	}
	if s.newRS == nil {
		if err := s.syncRevision(ctx, true); err != nil {
			return s.finish(ctx, err)
		}
	}
	if _, err := s.scale(ctx, s.newRS, s.want()); err != nil {
		return s.finish(ctx, err)
	}
	var err error
	if st := s.status(); deploymentComplete(s.d, &st) {
		err = s.cleanup(ctx)
	}
	return s.finish(ctx, err)
}

// syncPaused makes no rollout progress: it only follows a change of
// replicas on the one active set, trims the history and reports status.
func (s *deploymentSync) syncPaused(ctx context.Context) error {
	if err := s.syncRevision(ctx, false); err != nil {
		return s.finish(ctx, err)
	}
	if target := s.activeOrLatest(); target != nil {
		if _, err := s.scale(ctx, target, s.want()); err != nil {
			return s.finish(ctx, err)
		}
	}
	return s.finish(ctx, s.cleanup(ctx))
}

// activeOrLatest is the one set with replicas, or the newest set when none
// has any; nil when several are active (mid-rollout, where Kubernetes
// scales proportionally; Barque then leaves the sizes alone).
func (s *deploymentSync) activeOrLatest() *rsInfo {
	var active []*rsInfo
	for _, info := range s.all() {
		if info.spec() > 0 {
			active = append(active, info)
		}
	}
	switch {
	case len(active) == 1:
		return active[0]
	case len(active) > 1:
		return nil
	case s.newRS != nil:
		return s.newRS
	case len(s.old) > 0:
		return s.old[len(s.old)-1]
	}
	return nil
}

// reconcileNewRS scales the new set toward the Deployment's size, up only
// as far as maxSurge allows.
func (s *deploymentSync) reconcileNewRS(ctx context.Context) (bool, error) {
	cur, want := s.newRS.spec(), s.want()
	if cur > want {
		return s.scale(ctx, s.newRS, want)
	}
	if cur == want {
		return false, nil
	}
	return s.scale(ctx, s.newRS, s.newRSReplicas())
}

// newRSReplicas is the size the new set may have now: everything under
// Recreate; under RollingUpdate as much as keeps all pods within
// replicas + maxSurge.
func (s *deploymentSync) newRSReplicas() int32 {
	want := s.want()
	if s.d.Spec.Strategy.Type == api.RecreateDeploymentStrategy {
		return want
	}
	var cur, current int32
	if s.newRS != nil {
		cur = s.newRS.spec()
	}
	for _, info := range s.all() {
		current += info.surgeCount()
	}
	maxTotal := want + s.maxSurge()
	if current >= maxTotal {
		return cur
	}
	return cur + max(0, min(maxTotal-current, want-cur))
}

// reconcileOldRSs scales old sets down as far as maxUnavailable allows:
// first their unavailable pods, then available ones above the floor.
func (s *deploymentSync) reconcileOldRSs(ctx context.Context) (bool, error) {
	var oldPods, allPods int32
	for _, info := range s.old {
		oldPods += info.spec()
	}
	if oldPods == 0 {
		return false, nil
	}
	for _, info := range s.all() {
		allPods += info.spec()
	}
	minAvailable := s.want() - s.maxUnavailable()
	newUnavailable := s.newRS.spec() - s.newRS.availableCount()
	maxScaledDown := allPods - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	cleaned, err := s.cleanupUnhealthy(ctx, maxScaledDown)
	if err != nil || cleaned > 0 {
		return cleaned > 0, err
	}
	return s.scaleDownOld(ctx, minAvailable)
}

// cleanupUnhealthy removes up to limit unavailable replicas of old sets,
// oldest set first: they cost no availability.
func (s *deploymentSync) cleanupUnhealthy(ctx context.Context, limit int32) (int32, error) {
	var total int32
	for _, info := range s.old {
		if total >= limit {
			break
		}
		spec, avail := info.spec(), info.availableCount()
		if spec == 0 || spec == avail {
			continue
		}
		n := min(limit-total, spec-avail)
		if _, err := s.scale(ctx, info, spec-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// scaleDownOld removes available old replicas above minAvailable, oldest
// set first.
func (s *deploymentSync) scaleDownOld(ctx context.Context, minAvailable int32) (bool, error) {
	var available int32
	for _, info := range s.all() {
		available += info.availableCount()
	}
	if available <= minAvailable {
		return false, nil
	}
	budget := available - minAvailable
	scaled := false
	for _, info := range s.old {
		if budget <= 0 {
			break
		}
		if info.spec() == 0 {
			continue
		}
		n := min(info.spec(), budget)
		ok, err := s.scale(ctx, info, info.spec()-n)
		if err != nil {
			return scaled, err
		}
		scaled = scaled || ok
		budget -= n
	}
	return scaled, nil
}

// resolveFenceposts turns maxSurge and maxUnavailable into counts,
// percentages rounding surge up and unavailable down; both zero would
// never progress, so unavailable becomes 1, as in Kubernetes.
func (s *deploymentSync) resolveFenceposts() (surge, unavailable int32) {
	if s.d.Spec.Strategy.Type == api.RecreateDeploymentStrategy {
		return 0, 0
	}
	def := api.FromString("25%")
	ms, mu := &def, &def
	if ru := s.d.Spec.Strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			ms = ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			mu = ru.MaxUnavailable
		}
	}
	want := int(s.want())
	su, err1 := ms.ScaledValue(want, true)
	un, err2 := mu.ScaledValue(want, false)
	if err1 != nil || err2 != nil {
		s.c.Logger.Warn("invalid rolling update bounds, using 25%", "deployment", s.d.Key(), "error", errors.Join(err1, err2))
		su, _ = def.ScaledValue(want, true)
		un, _ = def.ScaledValue(want, false)
	}
	if su == 0 && un == 0 {
		un = 1
	}
	return int32(su), int32(un)
}

func (s *deploymentSync) maxSurge() int32 {
	su, _ := s.resolveFenceposts()
	return su
}

// maxUnavailable is at most the Deployment's size.
func (s *deploymentSync) maxUnavailable() int32 {
	_, un := s.resolveFenceposts()
	return min(un, s.want())
}

// status counts the pods of every set of the Deployment.
func (s *deploymentSync) status() api.DeploymentStatus {
	st := api.DeploymentStatus{ObservedGeneration: s.d.Generation, CollisionCount: s.d.Status.CollisionCount}
	if s.observed != 0 {
		st.ObservedGeneration = s.observed
	}
	var total int32
	for _, info := range s.all() {
		st.Replicas += info.pods
		st.ReadyReplicas += info.ready
		st.AvailableReplicas += info.available
		total += info.spec()
	}
	if s.newRS != nil {
		st.UpdatedReplicas = s.newRS.pods
	}
	st.UnavailableReplicas = max(0, total-st.AvailableReplicas)
	st.Canary = s.canaryStatus()
	return st
}

// finish writes the status (counts and conditions) unless unchanged, and
// returns the pass's error joined with the write's.
func (s *deploymentSync) finish(ctx context.Context, passErr error) error {
	st := s.status()
	if st.AvailableReplicas >= s.want()-s.maxUnavailable() {
		s.setCondition(api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumAvailable, "Deployment has minimum availability.", false)
	} else {
		s.setCondition(api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumUnavailabe, "Deployment does not have minimum availability.", false)
	}
	if s.d.Spec.Paused {
		s.setProgressing(api.ConditionUnknown, ReasonPaused, "Deployment is paused")
	} else {
		if c := api.FindCondition(s.conds, api.DeploymentProgressing); c != nil && c.Reason == ReasonPaused {
			s.setProgressing(api.ConditionUnknown, ReasonResumed, "Deployment is resumed")
		}
		s.progress(&st)
	}
	st.Conditions = s.conds
	if reflect.DeepEqual(s.d.Status, st) {
		return passErr
	}
	u := api.Clone(s.d)
	u.Status = st
	obj, err := s.c.Writer.UpdateStatus(ctx, u)
	if err != nil {
		return errors.Join(passErr, fmt.Errorf("deployment %s: status: %w", s.d.Key(), err))
	}
	waitForStore(ctx, s.c.Store, obj)
	return passErr
}

// progress sets the Progressing condition from the new counts: complete,
// progressing, or past its deadline; and asks for a look at the deadline.
func (s *deploymentSync) progress(st *api.DeploymentStatus) {
	deadline := s.d.Spec.ProgressDeadlineSeconds
	if deadline == nil || *deadline == math.MaxInt32 {
		s.removeCondition(api.DeploymentProgressing)
		return
	}
	cur := api.FindCondition(s.conds, api.DeploymentProgressing)
	if cur != nil && cur.Reason == ReasonNewRSAvailable && st.Replicas == st.UpdatedReplicas {
		return
	}
	name := ""
	if s.newRS != nil {
		name = s.newRS.rs.Name
	}
	if s.awaitingPromotion {
		// Like a pause: waiting for a person is not a stalled rollout.
		s.setProgressing(api.ConditionTrue, ReasonAwaitingPromotion, fmt.Sprintf("Canaries of replica set %q are healthy and await promotion.", name))
		return
	}
	switch {
	case deploymentComplete(s.d, st):
		s.setProgressing(api.ConditionTrue, ReasonNewRSAvailable, fmt.Sprintf("ReplicaSet %q has successfully progressed.", name))
	case deploymentProgressing(&s.d.Status, st):
		s.setProgressing(api.ConditionTrue, ReasonRSUpdated, fmt.Sprintf("ReplicaSet %q is progressing.", name))
	case cur != nil && cur.Reason != ReasonTimedOut && cur.LastUpdateTime != nil:
		limit := cur.LastUpdateTime.Add(time.Duration(*deadline) * time.Second)
		if limit.Before(s.now) {
			s.setProgressing(api.ConditionFalse, ReasonTimedOut, fmt.Sprintf("ReplicaSet %q has timed out progressing.", name))
		} else {
			// Times have one-second precision: look just after the limit.
			s.requeueAfter(limit.Sub(s.now) + time.Second)
		}
	}
}

// deploymentComplete: every replica is updated and available, and nothing
// else runs.
func deploymentComplete(d *api.Deployment, st *api.DeploymentStatus) bool {
	want := replicasOf(d.Spec.Replicas)
	return st.UpdatedReplicas == want && st.Replicas == want && st.AvailableReplicas == want &&
		st.ObservedGeneration >= d.Generation
}

// deploymentProgressing: the rollout moved since the last status.
func deploymentProgressing(old, st *api.DeploymentStatus) bool {
	oldOld := old.Replicas - old.UpdatedReplicas
	newOld := st.Replicas - st.UpdatedReplicas
	return st.UpdatedReplicas > old.UpdatedReplicas || newOld < oldOld ||
		st.ReadyReplicas > old.ReadyReplicas || st.AvailableReplicas > old.AvailableReplicas
}

func (s *deploymentSync) setProgressing(status api.ConditionStatus, reason, msg string) {
	s.setCondition(api.DeploymentProgressing, status, reason, msg, true)
}

// setCondition replaces a condition, keeping its transition time when the
// status stays. An identical condition is left alone unless touch asks
// for a new lastUpdateTime (progress resets the deadline clock).
func (s *deploymentSync) setCondition(typ string, status api.ConditionStatus, reason, msg string, touch bool) {
	now := api.NewTime(s.now)
	c := api.Condition{Type: typ, Status: status, Reason: reason, Message: msg, LastUpdateTime: now, LastTransitionTime: now}
	if cur := api.FindCondition(s.conds, typ); cur != nil {
		if cur.Status == status && cur.Reason == reason && cur.Message == msg && (!touch || reason != ReasonRSUpdated) {
			return
		}
		if cur.Status == status {
			c.LastTransitionTime = cur.LastTransitionTime
		}
	}
	s.removeCondition(typ)
	s.conds = append(s.conds, c)
}

func (s *deploymentSync) removeCondition(typ string) {
	kept := s.conds[:0:0]
	for _, c := range s.conds {
		if c.Type != typ {
			kept = append(kept, c)
		}
	}
	s.conds = kept
}
