package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

// monitorJob follows the job's service and system groups (its Deployments
// and DaemonSets) until every one has rolled out, or one fails, printing
// per group the desired count and the placed, healthy and unhealthy pods of
// the current version, as Nomad's deployment monitor does. Batch groups
// are listed but not waited for.
func monitorJob(ctx context.Context, cmd *cobra.Command, c *client.Client, objs []api.Object) error {
	out := cmd.OutOrStdout()
	last := ""
	for {
		t, err := rolloutTable(ctx, c, objs)
		if err == nil {
			if s := strings.Join(t.lines, "\n"); s != last {
				fmt.Fprintf(out, "==> %s: Deployment\n%s\n", time.Now().Format("15:04:05"), s)
				last = s
			}
			switch {
			case t.failed != "":
				return errors.New(t.failed)
			case t.done && len(t.promote) > 0:
				// As Nomad's monitor, return once only a promotion is missing.
				for _, name := range t.promote {
					fmt.Fprintf(out, "==> Deployment %q requires promotion: run 'barque rollout promote deployment/%s'\n", name, name)
				}
				return nil
			case t.done:
				fmt.Fprintln(out, "==> Job rollout completed successfully")
				return nil
			}
		}
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("the rollout did not finish: %w", ctx.Err())
		}
	}
}

// groupRollout is one group's line of the monitor.
type groupRollout struct {
	group, kind string
	desired     int
	counts      groupCounts
	canaries    string // "healthy/desired" during a canary step
	done        bool
	promote     bool // done but for a manual promotion of its canaries
	failed      string
}

// rolloutState is one look at the whole job.
type rolloutState struct {
	lines   []string
	done    bool
	failed  string
	promote []string // Deployments waiting for a manual promotion
}

// rolloutTable reads the job's workloads, their newest ReplicaSets and
// pods once, and renders the monitor's table.
func rolloutTable(ctx context.Context, c *client.Client, objs []api.Object) (*rolloutState, error) {
	st := &rolloutState{done: true, lines: []string{fmt.Sprintf("    %-20s %-10s %8s %8s %8s %10s %9s",
		"Task Group", "Kind", "Desired", "Placed", "Healthy", "Unhealthy", "Canaries")}}
	if len(objs) == 0 {
		return st, nil
	}
	ns, job := objs[0].GetObjectMeta().Namespace, objs[0].GetObjectMeta().Labels[api.LabelNomadJob]
	pods, err := c.List(ctx, "Pod", ns, client.ListOptions{LabelSelector: jobLabel + "=" + job})
	if err != nil {
		return nil, err
	}
	rsets, err := c.List(ctx, "ReplicaSet", ns, client.ListOptions{LabelSelector: jobLabel + "=" + job})
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		g, ok, err := groupStatus(ctx, c, o, rsets.Items, pods.Items)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		st.lines = append(st.lines, fmt.Sprintf("    %-20s %-10s %8d %8d %8d %10d %9s", orDefault(g.group, "-"), g.kind, g.desired,
			g.counts.placed, g.counts.healthy, g.counts.unhealthy, orDefault(g.canaries, "-")))
		st.done = st.done && g.done
		if g.promote {
			st.promote = append(st.promote, o.GetObjectMeta().Name)
		}
		if st.failed == "" {
			st.failed = g.failed
		}
	}
	return st, nil
}

// groupStatus reads one workload; ok is false for objects without pods
// of their own (services, config, periodic jobs).
func groupStatus(ctx context.Context, c *client.Client, o api.Object, rsets, pods []api.Object) (groupRollout, bool, error) {
	m := o.GetObjectMeta()
	g := groupRollout{group: m.Labels[api.LabelNomadGroup], kind: mustKind(o).Kind}
	switch o.(type) {
	case *api.Deployment, *api.DaemonSet, *api.Job:
	default:
		return g, false, nil
	}
	cur, err := c.Get(ctx, g.kind, m.Namespace, m.Name, client.GetOptions{})
	if err != nil {
		return g, false, err
	}
	switch v := cur.(type) {
	case *api.Deployment:
		deploymentRollout(&g, v, rsets, pods)
	case *api.DaemonSet:
		st := v.Status
		g.desired = int(st.DesiredNumberScheduled)
		countOwned(&g.counts, v.UID, pods)
		g.done = st.ObservedGeneration >= v.Generation && st.UpdatedNumberScheduled == st.DesiredNumberScheduled &&
			st.NumberAvailable == st.DesiredNumberScheduled
	case *api.Job:
		g.desired, _ = desiredOf(v)
		countOwned(&g.counts, v.UID, pods)
		g.done = true // batch work is not waited for
	}
	return g, true, nil
}

// deploymentRollout counts the pods of the Deployment's newest ReplicaSet
// (the version being rolled out); it is done when every replica is updated
// and available, and failed past its progress deadline.
func deploymentRollout(g *groupRollout, d *api.Deployment, rsets, pods []api.Object) {
	want := deref32(d.Spec.Replicas, 1)
	g.desired = int(want)
	var newest *api.ReplicaSet
	for _, o := range rsets {
		rs := o.(*api.ReplicaSet)
		if ownedBy(&rs.ObjectMeta, d.UID) && (newest == nil || revision(rs) > revision(newest)) {
			newest = rs
		}
	}
	if newest != nil {
		countOwned(&g.counts, newest.UID, pods)
	}
	st := d.Status
	observed := st.ObservedGeneration >= d.Generation
	g.done = observed && st.UpdatedReplicas == want && st.AvailableReplicas == want && st.Replicas == want
	if cs := st.Canary; cs != nil && !cs.Promoted {
		g.canaries = fmt.Sprintf("%d/%d", cs.Healthy, cs.Desired)
		auto := d.Spec.Strategy.Canary != nil && d.Spec.Strategy.Canary.AutoPromote
		if observed && !auto && cs.Healthy >= cs.Desired {
			g.done, g.promote = true, true
		}
	}
	if c := api.FindCondition(st.Conditions, "Progressing"); c != nil && c.Reason == "ProgressDeadlineExceeded" {
		g.failed = fmt.Sprintf("deployment %s exceeded its progress deadline (task group %q: %d healthy, %d unhealthy of %d)",
			d.Name, g.group, g.counts.healthy, g.counts.unhealthy, want)
	}
}

func revision(rs *api.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations["deployment.kubernetes.io/revision"], 10, 64)
	return n
}

// countOwned counts the pods owned by uid into g.
func countOwned(g *groupCounts, uid string, pods []api.Object) {
	for _, o := range pods {
		if p := o.(*api.Pod); ownedBy(&p.ObjectMeta, uid) {
			countPod(g, p)
		}
	}
}
