package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/scheduler/placement"
	"github.com/spf13/cobra"
)

// groupPlan is what the placement preview says of one changed workload.
type groupPlan struct {
	group, what string
	want, fit   int
	feasible    int    // feasible nodes for the group's first pod
	reason      string // why the first pod left out fits nowhere
	note        string
}

// previewPlacement is the scheduler dry run of `job plan`: the pods the
// changed workloads would start are placed, with the scheduler's own
// filters and scorers (package placement, default config, as the leader
// runs it), on the cluster's nodes and pods less the pods of the job's
// groups that the run would replace or delete. Nothing is written.
func previewPlacement(cmd *cobra.Command, c *client.Client, sub *submission, changed []api.Object, replaced map[string]bool) error {
	out := cmd.OutOrStdout()
	if len(changed) == 0 {
		fmt.Fprintln(out, "\nPlacement preview: no pods to place (no task group changes)")
		return nil
	}
	snap, nodes, err := planSnapshot(cmd.Context(), c, sub.name, replaced)
	if err != nil {
		return err
	}
	var plans []groupPlan
	for _, obj := range changed {
		if gp, ok := planWorkload(snap, nodes, obj); ok {
			plans = append(plans, gp)
		}
	}
	printPlacement(out, len(nodes), plans)
	return nil
}

// planSnapshot reads the nodes and the pods holding room on them, leaving
// out the pods of the job's groups in replaced (they would be replaced or
// deleted by the run).
func planSnapshot(ctx context.Context, c *client.Client, job string, replaced map[string]bool) (*placement.Snapshot, []*api.Node, error) {
	nl, err := c.List(ctx, "Node", "", client.ListOptions{})
	if err != nil {
		return nil, nil, err
	}
	pl, err := c.List(ctx, "Pod", "", client.ListOptions{})
	if err != nil {
		return nil, nil, err
	}
	nodes := make([]*api.Node, 0, len(nl.Items))
	for _, o := range nl.Items {
		nodes = append(nodes, o.(*api.Node))
	}
	var pods []*api.Pod
	for _, o := range pl.Items {
		p := o.(*api.Pod)
		if p.Labels[api.LabelNomadJob] == job && replaced[p.Labels[api.LabelNomadGroup]] {
			continue
		}
		pods = append(pods, p)
	}
	return placement.NewSnapshot(nodes, pods), nodes, nil
}

// planWorkload previews one workload; ok is false for objects that start
// no pods (services, config).
func planWorkload(snap *placement.Snapshot, nodes []*api.Node, obj api.Object) (groupPlan, bool) {
	m := obj.GetObjectMeta()
	gp := groupPlan{group: orDefault(m.Labels[api.LabelNomadGroup], m.Name), what: resourceName(mustKind(obj), m.Name)}
	switch v := obj.(type) {
	case *api.Deployment:
		gp.want = int(deref32(v.Spec.Replicas, 1))
		placePods(snap, &gp, planPods(obj, &v.Spec.Template, gp.want))
	case *api.Job:
		gp.want = batchPods(&v.Spec)
		placePods(snap, &gp, planPods(obj, &v.Spec.Template, gp.want))
	case *api.CronJob:
		gp.want = batchPods(&v.Spec.JobTemplate.Spec)
		gp.note = "at each launch (" + v.Spec.Schedule + ")"
		placePods(snap, &gp, planPods(obj, &v.Spec.JobTemplate.Spec.Template, gp.want))
	case *api.DaemonSet:
		planDaemon(nodes, &gp, obj, &v.Spec.Template)
	default:
		return gp, false
	}
	return gp, true
}

func deref32(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// batchPods is how many pods a Job runs at once.
func batchPods(s *api.JobSpec) int {
	n := deref32(s.Parallelism, 1)
	if s.Completions != nil && *s.Completions < n {
		n = *s.Completions
	}
	return int(n)
}

// planPods stamps out n pods of a template, owned by a stand-in controller
// so that spreading and anti-affinity see them as siblings.
func planPods(owner api.Object, tpl *api.PodTemplateSpec, n int) []*api.Pod {
	m := owner.GetObjectMeta()
	t := true
	ref := api.OwnerReference{Kind: mustKind(owner).Kind, Name: m.Name, UID: "plan-" + m.Name, Controller: &t}
	// A copy, defaulted as the API server defaults created pods; the
	// template itself stays as the file rendered it.
	proto := api.Clone(&api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Namespace: m.Namespace, Labels: tpl.Labels, Annotations: tpl.Annotations,
			OwnerReferences: []api.OwnerReference{ref}}, Spec: tpl.Spec})
	api.Default(proto)
	pods := make([]*api.Pod, n)
	for i := range pods {
		p := *proto
		p.Name, p.UID = m.Name+"-plan-"+strconv.Itoa(i), "plan-"+m.Name+"-"+strconv.Itoa(i)
		pods[i] = &p
	}
	return pods
}

func placePods(snap *placement.Snapshot, gp *groupPlan, pods []*api.Pod) {
	for i, d := range placement.Place(snap, pods, placement.Config{}) {
		if i == 0 {
			gp.feasible = d.Feasible
		}
		if d.Node != "" {
			gp.fit++
		} else if gp.reason == "" {
			gp.reason = d.Reason
		}
	}
}

// planDaemon counts the nodes a system job's pod would run on, with the
// filters the DaemonSet controller applies (daemon pods are bound by the
// controller, tolerate cordons and are not charged against resources).
func planDaemon(nodes []*api.Node, gp *groupPlan, owner api.Object, tpl *api.PodTemplateSpec) {
	proto := planPods(owner, tpl, 1)[0]
	proto.Spec.Tolerations = append(proto.Spec.Tolerations,
		api.Toleration{Key: placement.TaintUnschedulable, Operator: api.TolerationOpExists, Effect: api.TaintNoSchedule})
	gp.note = "one per eligible node"
	var rejected []string
	for _, st := range placement.NodeFilters(nodes, proto, placement.NodeReady{}, placement.Driver{},
		placement.TaintToleration{}, placement.NodeAffinity{}) {
		if st == nil {
			gp.fit++
			continue
		}
		rejected = append(rejected, st.Reasons...)
	}
	gp.want, gp.feasible = gp.fit, gp.fit
	if gp.fit == 0 {
		gp.want = 1
		gp.reason = fmt.Sprintf("0/%d nodes are eligible", len(nodes))
		if len(rejected) > 0 {
			gp.reason += ": " + rejected[0]
		}
	}
}

// printPlacement prints the preview, in the spirit of Nomad's "Scheduler
// dry-run".
func printPlacement(w io.Writer, numNodes int, plans []groupPlan) {
	fmt.Fprintf(w, "\nPlacement preview (scheduler dry run over %d nodes):\n", numNodes)
	short := 0
	for _, gp := range plans {
		line := fmt.Sprintf("  group %q (%s): would place %d of %d pods; %d nodes feasible", gp.group, gp.what, gp.fit, gp.want, gp.feasible)
		if gp.note != "" {
			line += ", " + gp.note
		}
		if gp.fit < gp.want {
			short += gp.want - gp.fit
			line += "; " + gp.reason
		}
		fmt.Fprintln(w, line)
	}
	if short == 0 {
		fmt.Fprintln(w, "- All pods can be placed.")
	} else {
		fmt.Fprintf(w, "- WARNING: %d pods cannot be placed now; they would stay pending until room is found.\n", short)
	}
}
