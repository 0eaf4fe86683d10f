package scheduler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler/placement"
	"github.com/hashicorp/go-hclog"
)

// DaemonSetRevisionLabel carries the hash of the template a daemon pod was
// made from, as Kubernetes' controller-revision-hash.
const DaemonSetRevisionLabel = "controller-revision-hash"

// DaemonSetController runs one pod of each DaemonSet on every eligible
// node. A node is eligible for a new pod when it is Ready, every
// NoSchedule/NoExecute taint is tolerated (daemon pods get Kubernetes'
// default tolerations: not-ready, unreachable, the pressure taints and
// cordons), the nodeSelector, required node affinity and Nomad constraints
// (the barque.io/constraints annotation of a system job) match, and the
// node has the drivers the pod needs. A running pod stays while its node
// exists, still matches and has no untolerated NoExecute taint, as in
// Kubernetes; otherwise it is deleted.
//
// Pods are created with spec.nodeName set, so the scheduler never sees
// them. RollingUpdate replaces pods whose revision label differs from the
// template's hash, at most maxUnavailable (default 1) unavailable at once;
// OnDelete only uses the new template for pods created after a deletion.
type DaemonSetController struct {
	Store  *state.Store
	Writer Writer
	Logger hclog.Logger
	// Workers is how many DaemonSets are synced at once (default 8).
	Workers int
	// Resync is the period of the full pass (default 30 s).
	Resync time.Duration

	// nodeSigs remembers what of each node decides eligibility, so that
	// heartbeats (which change nothing of it) do not queue every set. Only
	// the watch goroutine touches it.
	nodeSigs map[string]string
}

// Run reconciles until ctx ends.
func (c *DaemonSetController) Run(ctx context.Context) {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	c.nodeSigs = map[string]string{}
	l := &ownerLoop{store: c.Store, logger: c.Logger, kind: "DaemonSet", workers: c.Workers,
		resync: c.Resync, keysFor: c.keysFor, kinds: kindSet("DaemonSet", "Pod", "Node"), sync: c.sync}
	l.run(ctx)
}

// keysFor maps a change to the DaemonSets it concerns: the set itself, the
// set controlling a pod, or every set when a node appears, goes, or changes
// in a way that can change its eligibility.
func (c *DaemonSetController) keysFor(view *state.ReadView, ev state.Event) []string {
	m := ev.Object.GetObjectMeta()
	switch ev.Kind {
	case "DaemonSet":
		return []string{m.Key()}
	case "Pod":
		if ref := controllerOf(m); ref != nil && ref.Kind == "DaemonSet" {
			return []string{m.Namespace + "/" + ref.Name}
		}
	case "Node":
		sig := nodeSignature(ev.Object.(*api.Node))
		if ev.Type == state.Deleted {
			delete(c.nodeSigs, m.Name)
		} else if c.nodeSigs[m.Name] == sig {
			return nil
		} else {
			c.nodeSigs[m.Name] = sig
		}
		var keys []string
		for _, ds := range view.List("DaemonSet", "", nil) {
			keys = append(keys, ds.GetObjectMeta().Key())
		}
		return keys
	}
	return nil
}

// nodeSignature is what of a node the eligibility checks read.
func nodeSignature(n *api.Node) string {
	var b strings.Builder
	ready := api.FindCondition(n.Status.Conditions, api.NodeReady)
	fmt.Fprintf(&b, "%v|%v|", ready != nil && ready.Status == api.ConditionTrue, n.Spec.Unschedulable)
	for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
		fmt.Fprintf(&b, "%s=%s,", k, n.Labels[k])
	}
	for _, t := range n.Spec.Taints {
		fmt.Fprintf(&b, "|%s=%s:%s", t.Key, t.Value, t.Effect)
	}
	fmt.Fprintf(&b, "|%v|%s|%s|", n.Status.Drivers, n.Status.Datacenter, n.Status.NodeClass)
	// What Nomad constraints read; maps print in key order.
	fmt.Fprintf(&b, "%v|%v", n.Status.Attributes, n.Status.Meta)
	return b.String()
}

// daemonTolerations are the tolerations Kubernetes adds to every daemon
// pod, so that daemons run on nodes that are cordoned, under pressure, or
// briefly unreachable.
var daemonTolerations = []api.Toleration{
	{Key: "node.kubernetes.io/not-ready", Operator: api.TolerationOpExists, Effect: api.TaintNoExecute},
	{Key: "node.kubernetes.io/unreachable", Operator: api.TolerationOpExists, Effect: api.TaintNoExecute},
	{Key: "node.kubernetes.io/disk-pressure", Operator: api.TolerationOpExists, Effect: api.TaintNoSchedule},
	{Key: "node.kubernetes.io/memory-pressure", Operator: api.TolerationOpExists, Effect: api.TaintNoSchedule},
	{Key: "node.kubernetes.io/pid-pressure", Operator: api.TolerationOpExists, Effect: api.TaintNoSchedule},
	{Key: placement.TaintUnschedulable, Operator: api.TolerationOpExists, Effect: api.TaintNoSchedule},
	{Key: "node.kubernetes.io/network-unavailable", Operator: api.TolerationOpExists, Effect: api.TaintNoSchedule},
}

// daemonPod stamps out ds's pod for node (unnamed when node is "").
func daemonPod(ds *api.DaemonSet, hash, node string) *api.Pod {
	tpl := cloneTemplate(&ds.Spec.Template)
	labels := maps.Clone(tpl.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[DaemonSetRevisionLabel] = hash
	p := &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			Namespace: ds.Namespace, Labels: labels, Annotations: tpl.Annotations, Finalizers: tpl.Finalizers,
			OwnerReferences: []api.OwnerReference{controllerRef("apps/v1", "DaemonSet", &ds.ObjectMeta)},
		},
		Spec: tpl.Spec,
	}
	for _, t := range daemonTolerations {
		if !slices.ContainsFunc(p.Spec.Tolerations, func(x api.Toleration) bool { return x.Key == t.Key && x.Effect == t.Effect }) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, t)
		}
	}
	p.Spec.NodeName = node
	if node != "" {
		p.Name = generatedName(ds.Name + "-")
	}
	return p
}

// nodePlan is one node as this pass sees it.
type nodePlan struct {
	node       *api.Node
	shouldRun  bool // a new pod may be created here
	mayStay    bool // a pod already here may keep running
	active     []*api.Pod
	ended      []*api.Pod
	terminated int // pods being deleted
}

func (c *DaemonSetController) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	view := c.Store.View()
	ds, ok := view.Get("DaemonSet", ns, name).(*api.DaemonSet)
	if !ok {
		return 0, nil // its pods are the garbage collector's
	}
	hash := templateHash(&ds.Spec.Template, nil)
	var writeErr error
	if ds.DeletionTimestamp == nil {
		plans, orphans := planNodes(view, ds, hash)
		writeErr = c.manage(ctx, ds, hash, plans, orphans)
		view = c.Store.View()
		if cur, ok := view.Get("DaemonSet", ns, name).(*api.DaemonSet); ok && cur.UID == ds.UID {
			ds = cur
		}
	}
	plans, _ := planNodes(view, ds, hash)
	now := time.Now()
	st, recheck := daemonSetStatus(ds, hash, plans, now)
	if api.RunOncePerNode(ds) {
		st.Conditions = runOnceCondition(ds, hash, plans, now)
	}
	if err := c.updateStatus(ctx, ds, st); err != nil {
		return 0, errors.Join(writeErr, err)
	}
	return recheck, writeErr
}

// planNodes sorts ds's pods by node and decides each node's eligibility.
// orphans are pods on nodes that no longer exist.
func planNodes(view *state.ReadView, ds *api.DaemonSet, hash string) ([]*nodePlan, []*api.Pod) {
	var nodes []*api.Node
	for _, o := range view.List("Node", "", nil) {
		nodes = append(nodes, o.(*api.Node))
	}
	proto := daemonPod(ds, hash, "")
	run := placement.NodeFilters(nodes, proto, placement.NodeReady{}, placement.Driver{},
		placement.TaintToleration{}, placement.NodeAffinity{}, placement.Constraints{})
	stay := placement.NodeFilters(nodes, proto, placement.Driver{}, placement.NodeAffinity{}, placement.Constraints{})
	plans := make([]*nodePlan, len(nodes))
	byNode := make(map[string]*nodePlan, len(nodes))
	for i, n := range nodes {
		plans[i] = &nodePlan{node: n, shouldRun: run[i] == nil,
			mayStay: stay[i] == nil && noExecuteTolerated(n, proto.Spec.Tolerations)}
		byNode[n.Name] = plans[i]
	}
	var orphans []*api.Pod
	for _, o := range ownedBy(view, "Pod", ds.Namespace, ds.UID) {
		p := o.(*api.Pod)
		np := byNode[p.Spec.NodeName]
		switch {
		case np == nil:
			if p.DeletionTimestamp == nil {
				orphans = append(orphans, p)
			}
		case p.DeletionTimestamp != nil:
			np.terminated++
		case api.PodIsTerminal(p):
			np.ended = append(np.ended, p)
		default:
			np.active = append(np.active, p)
		}
	}
	return plans, orphans
}

func noExecuteTolerated(n *api.Node, tols []api.Toleration) bool {
	for i := range n.Spec.Taints {
		t := &n.Spec.Taints[i]
		if t.Effect != api.TaintNoExecute {
			continue
		}
		if !slices.ContainsFunc(tols, func(x api.Toleration) bool { return x.ToleratesTaint(t) }) {
			return false
		}
	}
	return true
}

// manage creates the missing pods, deletes misplaced, surplus and ended
// ones, and, for RollingUpdate, replaces outdated pods within budget.
func (c *DaemonSetController) manage(ctx context.Context, ds *api.DaemonSet, hash string, plans []*nodePlan, orphans []*api.Pod) error {
	var create []string
	doomed := append([]*api.Pod(nil), orphans...)
	runOnce := api.RunOncePerNode(ds)
	for _, np := range plans {
		doomed = append(doomed, endedToDelete(np.ended, runOnce, hash)...)
		switch {
		case len(np.active) > 0 && !np.mayStay:
			doomed = append(doomed, np.active...)
		case len(np.active) > 1:
			keep := bestDaemonPod(np.active, hash)
			for _, p := range np.active {
				if p != keep {
					doomed = append(doomed, p)
				}
			}
		case len(np.active) == 0 && np.shouldRun && np.terminated == 0 && len(np.ended) == 0:
			create = append(create, np.node.Name)
		}
	}
	if len(create) == 0 && len(doomed) == 0 && !runOnce && ds.Spec.UpdateStrategy.Type != api.OnDeleteStrategyType {
		doomed = rollingUpdateVictims(ds, hash, plans, time.Now())
	}
	var errs []error
	if len(doomed) > 0 {
		errs = append(errs, c.deletePods(ctx, ds, doomed[:min(len(doomed), maxBurst)]))
	}
	if len(create) > 0 {
		errs = append(errs, c.createPods(ctx, ds, hash, create[:min(len(create), maxBurst)]))
	}
	return errors.Join(errs...)
}

// endedToDelete are the ended pods to delete so that the node gets a new
// one: all of them, but for a run-once set only those of an older
// revision (a run of the current one is done for good).
func endedToDelete(ended []*api.Pod, runOnce bool, hash string) []*api.Pod {
	if !runOnce {
		return ended
	}
	var out []*api.Pod
	for _, p := range ended {
		if p.Labels[DaemonSetRevisionLabel] != hash {
			out = append(out, p)
		}
	}
	return out
}

// bestDaemonPod is the pod to keep of several on one node: updated first,
// then ready, then oldest.
func bestDaemonPod(pods []*api.Pod, hash string) *api.Pod {
	best := pods[0]
	rank := func(p *api.Pod) (bool, bool) { return p.Labels[DaemonSetRevisionLabel] == hash, podReady(p) }
	for _, p := range pods[1:] {
		bu, br := rank(best)
		pu, pr := rank(p)
		switch {
		case pu != bu:
			if pu {
				best = p
			}
		case pr != br:
			if pr {
				best = p
			}
		case p.CreationTimestamp != nil && best.CreationTimestamp != nil && p.CreationTimestamp.Before(best.CreationTimestamp.Time):
			best = p
		}
	}
	return best
}

// rollingUpdateVictims picks the outdated pods to delete now: every
// outdated pod that is not available (deleting it costs nothing), then
// available ones while fewer than maxUnavailable nodes lack an available
// pod. Pods on nodes that would not take a new pod are left alone.
func rollingUpdateVictims(ds *api.DaemonSet, hash string, plans []*nodePlan, now time.Time) []*api.Pod {
	desired, unavailable := 0, 0
	var oldAvailable, victims []*api.Pod
	for _, np := range plans {
		if !np.shouldRun && len(np.active) == 0 {
			continue
		}
		desired++
		if !np.shouldRun {
			// A replacement could not be created here (a NoSchedule
			// taint, a node not Ready): the old pod stays.
			continue
		}
		if len(np.active) == 0 {
			unavailable++
			continue
		}
		p := np.active[0]
		avail := podAvailable(p, ds.Spec.MinReadySeconds, now)
		if !avail {
			unavailable++
		}
		if p.Labels[DaemonSetRevisionLabel] == hash {
			continue
		}
		if avail {
			oldAvailable = append(oldAvailable, p)
		} else {
			victims = append(victims, p)
		}
	}
	budget := daemonMaxUnavailable(ds, desired) - unavailable
	for i := 0; i < len(oldAvailable) && i < budget; i++ {
		victims = append(victims, oldAvailable[i])
	}
	return victims
}

func daemonMaxUnavailable(ds *api.DaemonSet, desired int) int {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ru == nil || ru.MaxUnavailable == nil {
		return 1
	}
	n, err := ru.MaxUnavailable.ScaledValue(desired, true)
	if err != nil || n < 1 {
		return 1 // maxSurge is not implemented: a rollout must be able to move
	}
	return n
}

func (c *DaemonSetController) createPods(ctx context.Context, ds *api.DaemonSet, hash string, nodes []string) error {
	created := make([]api.Object, len(nodes))
	ok, err := parallel(ctx, len(nodes), func(ctx context.Context, i int) error {
		obj, err := c.Writer.Create(ctx, daemonPod(ds, hash, nodes[i]))
		created[i] = obj
		return err
	})
	waitForStore(ctx, c.Store, created...)
	c.Logger.Debug("created daemon pods", "daemonset", ds.Key(), "count", ok, "wanted", len(nodes))
	if err != nil {
		return fmt.Errorf("daemonset %s: created %d of %d pods: %w", ds.Key(), ok, len(nodes), err)
	}
	return nil
}

func (c *DaemonSetController) deletePods(ctx context.Context, ds *api.DaemonSet, pods []*api.Pod) error {
	return deletePodsOf(ctx, c.Writer, c.Logger, "daemonset "+ds.Key(), pods, "")
}

// daemonSetStatus counts nodes. A node is desired when a new pod may go
// there, or when its pod may stay (a node that stopped being Ready keeps
// its daemon, as in Kubernetes); misscheduled when it runs a pod that must
// go. The duration is when minReadySeconds next makes a pod available.
func daemonSetStatus(ds *api.DaemonSet, hash string, plans []*nodePlan, now time.Time) (api.DaemonSetStatus, time.Duration) {
	st := api.DaemonSetStatus{ObservedGeneration: ds.Generation, Conditions: ds.Status.Conditions}
	var recheck time.Duration
	for _, np := range plans {
		has := len(np.active) > 0
		desired := np.shouldRun || (has && np.mayStay)
		if has && !desired {
			st.NumberMisscheduled++
		}
		if !desired {
			continue
		}
		st.DesiredNumberScheduled++
		if !has {
			st.NumberUnavailable++
			continue
		}
		p := bestDaemonPod(np.active, hash)
		st.CurrentNumberScheduled++
		if p.Labels[DaemonSetRevisionLabel] == hash {
			st.UpdatedNumberScheduled++
		}
		if !podReady(p) {
			st.NumberUnavailable++
			continue
		}
		st.NumberReady++
		if wait := untilAvailable(p, ds.Spec.MinReadySeconds, now); wait == 0 {
			st.NumberAvailable++
		} else {
			st.NumberUnavailable++
			if recheck == 0 || wait < recheck {
				recheck = wait
			}
		}
	}
	return st, recheck
}

func (c *DaemonSetController) updateStatus(ctx context.Context, ds *api.DaemonSet, st api.DaemonSetStatus) error {
	if reflect.DeepEqual(ds.Status, st) {
		return nil
	}
	u := api.Clone(ds)
	u.Status = st
	obj, err := c.Writer.UpdateStatus(ctx, u)
	if err != nil {
		return fmt.Errorf("daemonset %s: status: %w", ds.Key(), err)
	}
	waitForStore(ctx, c.Store, obj)
	return nil
}
