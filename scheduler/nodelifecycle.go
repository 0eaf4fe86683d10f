package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// TaintUnreachable is set on a node whose agent is not heard from, as
// Kubernetes' node lifecycle controller does.
const TaintUnreachable = "node.kubernetes.io/unreachable"

// NodeLifecycle marks nodes whose agent stopped heartbeating, or that gossip
// declares dead, as Ready=Unknown with the unreachable taint, and marks the
// pods on them Failed (reason NodeLost) so their owners replace them.
type NodeLifecycle struct {
	Store    *state.Store
	Writer   Writer
	Liveness Liveness
	// Heartbeats, when set, are the heartbeats this leader received; a
	// node is alive if either they or its stored Ready condition are fresh.
	Heartbeats Heartbeats
	// Grace is how long a node may go without a heartbeat; it grows with
	// the heartbeat interval of large clusters (three intervals at least).
	Grace  time.Duration
	Logger hclog.Logger
	// lastSweep is when terminating pods of deleted nodes were last looked
	// for (sweepOrphans).
	lastSweep time.Time
}

// orphanSweepInterval paces sweepOrphans: a walk over every bound pod.
const orphanSweepInterval = 10 * time.Second

// Run checks every node each second until ctx ends. A new leader counts
// missed heartbeats only from the moment it took over (it cannot know what
// its predecessor saw), so a leader change never marks a healthy node down;
// gossip's verdict on a dead agent needs no such wait.
func (c *NodeLifecycle) Run(ctx context.Context) {
	since := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		var gossip <-chan struct{}
		if c.Liveness != nil {
			gossip = c.Liveness.Changed()
		}
		c.checkAll(ctx, since, time.Now())
		select {
		case <-t.C:
		case <-gossip:
		case <-ctx.Done():
			return
		}
	}
}

func (c *NodeLifecycle) checkAll(ctx context.Context, since, now time.Time) {
	view := c.Store.View()
	nodes := view.List("Node", "", nil)
	grace := max(c.Grace, 3*HeartbeatInterval(len(nodes)))
	for _, obj := range nodes {
		node := obj.(*api.Node)
		ready := api.FindCondition(node.Status.Conditions, api.NodeReady)
		if ready == nil || ready.Status != api.ConditionTrue {
			continue
		}
		if reason := c.lostReason(node, ready, since, now, grace); reason != "" {
			c.markLost(ctx, view, node, reason, now)
		} else if hasTaint(node, TaintUnreachable) {
			c.untaint(ctx, node)
		}
	}
	if now.Sub(c.lastSweep) >= orphanSweepInterval {
		c.lastSweep = now
		c.sweepOrphans(ctx, view, nodes)
	}
}

// sweepOrphans removes the terminating pods of nodes that no longer exist:
// no agent will ever stop them and end their grace period, and until they
// are gone a StatefulSet cannot bring their identity back. As Kubernetes'
// pod garbage collector, once the Node object is deleted (the operator's
// word that the machine is gone); a pod on a node that is only
// unreachable stays Terminating, since it may still run.
func (c *NodeLifecycle) sweepOrphans(ctx context.Context, view *state.ReadView, nodes []api.Object) {
	exists := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		exists[n.GetObjectMeta().Name] = true
	}
	var orphans []*api.Pod
	view.Indexed("Pod", state.IndexNode, func(obj api.Object) {
		// A pod whose grace period is over (nil or 0) waits for its
		// finalizers only: nothing to force.
		if p := obj.(*api.Pod); p.DeletionGracePeriodSeconds != nil && *p.DeletionGracePeriodSeconds > 0 && !exists[p.Spec.NodeName] {
			orphans = append(orphans, p)
		}
	})
	for _, p := range orphans {
		err := c.Writer.ForceDeletePod(ctx, p.Namespace, p.Name, p.UID)
		if err != nil && !errors.Is(err, api.ErrNotFound) && !errors.Is(err, api.ErrConflict) {
			c.Logger.Warn("removing a terminating pod of a deleted node failed", "pod", p.Key(), "error", err)
			continue
		}
		c.Logger.Info("removed a terminating pod of a deleted node", "pod", p.Key(), "node", p.Spec.NodeName)
	}
}

// lostReason says why a ready node is to be marked lost, or "".
func (c *NodeLifecycle) lostReason(node *api.Node, ready *api.Condition, since, now time.Time, grace time.Duration) string {
	if c.Liveness != nil && c.Liveness.NodeGone(node.Name) {
		return "gossip reports the node's agent failed"
	}
	last := since
	if hb := ready.LastHeartbeatTime; hb != nil && hb.After(last) {
		last = hb.Time
	}
	if c.Heartbeats != nil {
		if hb, ok := c.Heartbeats.LastHeartbeat(node.Name); ok && hb.After(last) {
			last = hb
		}
	}
	if now.Sub(last) > grace {
		return "the node's agent stopped posting status"
	}
	return ""
}

func (c *NodeLifecycle) markLost(ctx context.Context, view *state.ReadView, node *api.Node, reason string, now time.Time) {
	c.Logger.Warn("node lost", "node", node.Name, "reason", reason)
	n := api.Clone(node)
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == api.NodeReady {
			n.Status.Conditions[i].Status = api.ConditionUnknown
			n.Status.Conditions[i].Reason = "NodeStatusUnknown"
			n.Status.Conditions[i].Message = reason
			n.Status.Conditions[i].LastTransitionTime = api.NewTime(now)
		}
	}
	updated, err := c.Writer.UpdateStatus(ctx, n)
	if err != nil {
		c.Logger.Warn("marking node lost failed", "node", node.Name, "error", err)
		return
	}
	tainted := api.Clone(updated.(*api.Node))
	if !hasTaint(tainted, TaintUnreachable) {
		tainted.Spec.Taints = append(tainted.Spec.Taints, api.Taint{Key: TaintUnreachable, Effect: api.TaintNoExecute, TimeAdded: api.NewTime(now)})
		if _, err := c.Writer.Update(ctx, tainted); err != nil {
			c.Logger.Warn("tainting node failed", "node", node.Name, "error", err)
		}
	}
	for _, obj := range view.ByIndex("Pod", state.IndexNode, node.Name) {
		c.markPodLost(ctx, obj.(*api.Pod), now)
	}
}

func (c *NodeLifecycle) markPodLost(ctx context.Context, pod *api.Pod, now time.Time) {
	if pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed {
		return
	}
	p := api.Clone(pod)
	p.Status.Phase = api.PodFailed
	p.Status.Reason = "NodeLost"
	p.Status.Message = "the node running this pod was lost"
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == api.PodReady {
			p.Status.Conditions[i].Status = api.ConditionFalse
			p.Status.Conditions[i].LastTransitionTime = api.NewTime(now)
		}
	}
	if _, err := c.Writer.UpdateStatus(ctx, p); err != nil {
		c.Logger.Warn("marking pod lost failed", "pod", pod.Key(), "error", err)
	}
}

// untaint lifts the unreachable taint from a node whose agent is back.
func (c *NodeLifecycle) untaint(ctx context.Context, node *api.Node) {
	n := api.Clone(node)
	kept := n.Spec.Taints[:0]
	for _, t := range n.Spec.Taints {
		if t.Key != TaintUnreachable {
			kept = append(kept, t)
		}
	}
	n.Spec.Taints = kept
	if _, err := c.Writer.Update(ctx, n); err != nil {
		c.Logger.Warn("removing the unreachable taint failed", "node", node.Name, "error", err)
	}
}

func hasTaint(n *api.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}
