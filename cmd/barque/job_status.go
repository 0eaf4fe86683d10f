package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/api/table"
	"github.com/spf13/cobra"
)

func newJobStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status [JOB]",
		Short: "List jobs, or show one job: version, groups (placed/healthy/unhealthy), objects and pods",
		Args:  cobra.MaximumNArgs(1), ValidArgsFunction: completeJobNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return listJobs(cmd, c)
			}
			return jobStatus(cmd, c, args[0])
		},
	}
}

func listJobs(cmd *cobra.Command, c *client.Client) error {
	list, err := c.List(cmd.Context(), "NomadJob", currentNamespace(), client.ListOptions{})
	if err != nil {
		return err
	}
	if len(list.Items) == 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "No running jobs in namespace %s\n", currentNamespace())
		return nil
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tVERSION\tSUBMIT DATE")
	for _, o := range list.Items {
		j := o.(*api.NomadJob)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", j.Name, j.Spec.Type, recordStatus(j), j.CurrentVersion(), submitDate(j.CurrentSubmitTime()))
	}
	return tw.Flush()
}

func recordStatus(j *api.NomadJob) string {
	if j.Spec.Stop {
		return "dead (stopped)"
	}
	return "running"
}

func submitDate(t *api.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format("2006-01-02T15:04:05Z07:00")
}

// jobStatus prints one job's summary as Nomad's `job status JOB` does. A
// job submitted before records existed (objects only) shows its objects.
func jobStatus(cmd *cobra.Command, c *client.Client, name string) error {
	out := cmd.OutOrStdout()
	rec, recErr := getRecord(cmd.Context(), c, name)
	gens, err := listGenerated(cmd.Context(), c, name)
	if err != nil {
		return err
	}
	if recErr != nil && len(gens) == 0 {
		return recErr
	}
	if rec != nil {
		printRecordHeader(out, rec)
	}
	if rec != nil && rec.Spec.Parameterized != nil {
		return printDispatched(cmd.Context(), out, c, rec)
	}
	pods, err := c.List(cmd.Context(), "Pod", currentNamespace(), client.ListOptions{LabelSelector: jobLabel + "=" + name})
	if err != nil {
		return err
	}
	printGroupSummary(out, gens, pods.Items)
	printGeneratedObjects(out, gens)
	printJobPods(out, pods.Items)
	return nil
}

func printRecordHeader(w io.Writer, rec *api.NomadJob) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "ID\t= %s\n", rec.Name)
	fmt.Fprintf(tw, "Namespace\t= %s\n", rec.Namespace)
	fmt.Fprintf(tw, "Type\t= %s\n", rec.Spec.Type)
	fmt.Fprintf(tw, "Status\t= %s\n", recordStatus(rec))
	fmt.Fprintf(tw, "Version\t= %d\n", rec.CurrentVersion())
	fmt.Fprintf(tw, "Submit Date\t= %s\n", submitDate(rec.CurrentSubmitTime()))
	fmt.Fprintf(tw, "Source\t= %s\n", orDefault(rec.Spec.SourcePath, "-"))
	tw.Flush()
}

// groupCounts are a task group's pods: desired from its workload, placed
// (bound to a node and not finished), healthy (running and ready, or
// succeeded) and unhealthy (failed, or running but not ready).
type groupCounts struct{ desired, placed, healthy, unhealthy int }

func printGroupSummary(w io.Writer, gens []generated, pods []api.Object) {
	groups := map[string]*groupCounts{}
	group := func(name string) *groupCounts {
		if groups[name] == nil {
			groups[name] = &groupCounts{}
		}
		return groups[name]
	}
	for _, g := range gens {
		if d, ok := desiredOf(g.obj); ok {
			group(g.obj.GetObjectMeta().Labels[api.LabelNomadGroup]).desired += d
		}
	}
	for _, o := range pods {
		countPod(group(o.GetObjectMeta().Labels[api.LabelNomadGroup]), o.(*api.Pod))
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "\nSummary")
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "Task Group\tDesired\tPlaced\tHealthy\tUnhealthy")
	for _, n := range names {
		g := groups[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", orDefault(n, "-"), g.desired, g.placed, g.healthy, g.unhealthy)
	}
	tw.Flush()
}

func desiredOf(o api.Object) (int, bool) {
	switch v := o.(type) {
	case *api.Deployment:
		if v.Spec.Replicas == nil {
			return 1, true
		}
		return int(*v.Spec.Replicas), true
	case *api.Job:
		if v.Spec.Parallelism == nil {
			return 1, true
		}
		return int(*v.Spec.Parallelism), true
	case *api.StatefulSet:
		return int(deref32(v.Spec.Replicas, 1)), true
	case *api.DaemonSet:
		return int(v.Status.DesiredNumberScheduled), true
	}
	return 0, false
}

func countPod(g *groupCounts, p *api.Pod) {
	ready := false
	if c := api.FindCondition(p.Status.Conditions, api.PodReady); c != nil && c.Status == api.ConditionTrue {
		ready = true
	}
	switch {
	case p.Status.Phase == api.PodFailed:
		g.unhealthy++
	case p.Status.Phase == api.PodSucceeded:
		g.healthy++
	case p.Spec.NodeName == "" || p.DeletionTimestamp != nil:
	case ready:
		g.placed++
		g.healthy++
	case failing(p):
		g.placed++
		g.unhealthy++
	default: // placed, and starting or waiting for its first health check
		g.placed++
	}
}

// failing reports a pod whose tasks crashed or restarted: unhealthy as
// Nomad counts allocations, where a task that is merely still starting is
// neither healthy nor unhealthy yet.
func failing(p *api.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.RestartCount > 0 || cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0 {
			return true
		}
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
			return true
		}
	}
	return false
}

func printGeneratedObjects(w io.Writer, gens []generated) {
	fmt.Fprintln(w, "\nObjects")
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tGROUP\tSTATUS")
	for _, g := range gens {
		m := g.obj.GetObjectMeta()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.kind, m.Name, m.Labels[api.LabelNomadGroup], jobObjectStatus(g.obj))
	}
	tw.Flush()
}

func jobObjectStatus(o api.Object) string {
	switch v := o.(type) {
	case *api.Deployment:
		want := int32(1)
		if v.Spec.Replicas != nil {
			want = *v.Spec.Replicas
		}
		return fmt.Sprintf("%d/%d available, %d updated", v.Status.AvailableReplicas, want, v.Status.UpdatedReplicas)
	case *api.Job:
		return fmt.Sprintf("%d succeeded, %d active, %d failed", v.Status.Succeeded, v.Status.Active, v.Status.Failed)
	case *api.StatefulSet:
		return fmt.Sprintf("%d/%d ready, %d updated", v.Status.ReadyReplicas, deref32(v.Spec.Replicas, 1), v.Status.UpdatedReplicas)
	case *api.DaemonSet:
		if c := api.FindCondition(v.Status.Conditions, api.DaemonSetComplete); api.RunOncePerNode(v) && c != nil {
			return "run once per node: " + c.Message
		}
		return fmt.Sprintf("%d/%d ready", v.Status.NumberReady, v.Status.DesiredNumberScheduled)
	case *api.Ingress:
		return ingressHosts(v)
	case *api.CronJob:
		if v.Spec.Suspend != nil && *v.Spec.Suspend {
			return "suspended"
		}
		return "schedule " + v.Spec.Schedule
	}
	return "-"
}

func printJobPods(w io.Writer, pods []api.Object) {
	fmt.Fprintln(w, "\nAllocations (pods)")
	if len(pods) == 0 {
		fmt.Fprintln(w, "No pods")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tGROUP\tNODE\tSTATUS\tREADY\tAGE")
	for _, o := range pods {
		m, err := toMap(o)
		if err != nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.GetObjectMeta().Name, orDefault(o.GetObjectMeta().Labels[api.LabelNomadGroup], "-"),
			orNone(m.Str("spec", "nodeName")), table.PodStatus(m), table.PodReady(m), ageOf(m.Str("metadata", "creationTimestamp")))
	}
	tw.Flush()
}

// jobPods lists the pods of a job, sorted by name.
func jobPods(ctx context.Context, c *client.Client, job string) ([]*api.Pod, error) {
	list, err := c.List(ctx, "Pod", currentNamespace(), client.ListOptions{LabelSelector: jobLabel + "=" + job})
	if err != nil {
		return nil, err
	}
	out := make([]*api.Pod, 0, len(list.Items))
	for _, o := range list.Items {
		out = append(out, o.(*api.Pod))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ingressHosts names an Ingress's routes: "HOST/PATH -> SERVICE" per path.
func ingressHosts(ing *api.Ingress) string {
	var routes []string
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			to := "-"
			if p.Backend.Service != nil {
				to = p.Backend.Service.Name
			}
			routes = append(routes, orDefault(r.Host, "*")+p.Path+" -> "+to)
		}
	}
	if len(routes) == 0 {
		return "-"
	}
	return strings.Join(routes, ", ")
}
