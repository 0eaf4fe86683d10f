package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

// jobKinds are the kinds a job file generates, in the order they are
// listed and removed.
var jobKinds = []string{"Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet", "Ingress", "Service", "ConfigMap"}

// generated is one object a job generated, with its kind.
type generated struct {
	kind string
	obj  api.Object
}

// listGenerated lists every object labelled as generated from the job.
func listGenerated(ctx context.Context, c *client.Client, job string) ([]generated, error) {
	var out []generated
	for _, kind := range jobKinds {
		list, err := c.List(ctx, kind, currentNamespace(), client.ListOptions{LabelSelector: jobLabel + "=" + job})
		if err != nil {
			return nil, err
		}
		for _, o := range list.Items {
			out = append(out, generated{kind, o})
		}
	}
	return out, nil
}

// staleObjects lists the objects labelled with the job that this
// submission no longer generates (a removed group or service).
func staleObjects(ctx context.Context, c *client.Client, sub *submission) ([]generated, error) {
	keep := map[string]bool{}
	for _, o := range sub.objs {
		keep[mustKind(o).Kind+"/"+o.GetObjectMeta().Name] = true
	}
	gens, err := listGenerated(ctx, c, sub.name)
	if err != nil {
		return nil, err
	}
	var out []generated
	for _, g := range gens {
		if !keep[g.kind+"/"+g.obj.GetObjectMeta().Name] {
			out = append(out, g)
		}
	}
	return out, nil
}

// deleteStale deletes the stale objects of a submission.
func deleteStale(cmd *cobra.Command, c *client.Client, sub *submission) error {
	stale, err := staleObjects(cmd.Context(), c, sub)
	if err != nil {
		return err
	}
	for _, g := range stale {
		m := g.obj.GetObjectMeta()
		if err := deleteIgnoringMissing(cmd.Context(), c, g.kind, m.Namespace, m.Name); err != nil {
			return err
		}
		ki, _ := api.LookupKind(g.kind)
		fmt.Fprintf(cmd.OutOrStdout(), "    %s deleted (no longer in the job)\n", resourceName(ki, m.Name))
	}
	return nil
}

func deleteIgnoringMissing(ctx context.Context, c *client.Client, kind, ns, name string) error {
	err := c.Delete(ctx, kind, ns, name, client.DeleteOptions{PropagationPolicy: api.DeletePropagationBackground})
	if err != nil && !errors.Is(err, api.ErrNotFound) {
		return err
	}
	return nil
}

func newJobStopCmd() *cobra.Command {
	var purge bool
	cmd := &cobra.Command{
		Use:   "stop JOB [--purge]",
		Short: "Stop a job: scale its groups to zero and keep its record; --purge deletes the record and everything",
		Long: `Stop a job as Nomad does: its service groups are scaled to zero, its
batch and system groups are removed, periodic groups are suspended; the
job's record stays (marked stopped), so that "job status", "job history"
and "job revert" still work and "job run" starts it again.

--purge deletes the record instead; the garbage collector then deletes
every object generated from it, and its versions.`,
		Args:              exactArgs(1, "a job name"),
		ValidArgsFunction: completeJobNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			rec, err := getRecord(cmd.Context(), c, args[0])
			if errors.Is(err, api.ErrNotFound) {
				return stopUnrecorded(cmd, c, args[0], err)
			}
			if err != nil {
				return err
			}
			if purge {
				return purgeJob(cmd, c, rec)
			}
			return stopJob(cmd, c, rec)
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "delete the job's record, and thereby everything it generated")
	return cmd
}

// stopUnrecorded deletes what a job submitted before job records existed
// generated (it has no record to keep); notFound is the answer when it
// generated nothing either.
func stopUnrecorded(cmd *cobra.Command, c *client.Client, job string, notFound error) error {
	gens, err := listGenerated(cmd.Context(), c, job)
	if err != nil {
		return err
	}
	if len(gens) == 0 {
		return notFound
	}
	for _, g := range gens {
		m := g.obj.GetObjectMeta()
		if err := deleteIgnoringMissing(cmd.Context(), c, g.kind, m.Namespace, m.Name); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "==> Job %q has no record: its %d objects are deleted\n", job, len(gens))
	return nil
}

// purgeJob deletes the record; the garbage collector deletes its dependents.
func purgeJob(cmd *cobra.Command, c *client.Client, rec *api.NomadJob) error {
	err := c.Delete(cmd.Context(), "NomadJob", rec.Namespace, rec.Name,
		client.DeleteOptions{PropagationPolicy: api.DeletePropagationBackground})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "==> Job %q purged: its record is deleted, and the garbage collector deletes what it generated\n", rec.Name)
	return nil
}

// stopJob records the stopped job as a new version (as Nomad does, so that
// `job history` shows the stop and `job revert` to an earlier version
// starts the job again), then stops each generated workload. A job already
// stopped gets no new version; its workloads are stopped again.
func stopJob(cmd *cobra.Command, c *client.Client, rec *api.NomadJob) error {
	if rec.Spec.Stop {
		fmt.Fprintf(cmd.OutOrStdout(), "    Job version %d (already stopped)\n", rec.CurrentVersion())
	} else {
		res, err := recordStop(cmd.Context(), c, rec, nil)
		if err != nil {
			return fmt.Errorf("marking job %q stopped: %w", rec.Name, err)
		}
		rec = res.record
		fmt.Fprintf(cmd.OutOrStdout(), "    Job version %d (stopped)\n", rec.CurrentVersion())
	}
	n, err := stopWorkloads(cmd, c, rec.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "==> Job %q stopped (%d workloads stopped; the record is kept, `job stop --purge` deletes it)\n", rec.Name, n)
	return nil
}

// recordStop writes the record's next version with stop set: the current
// submission, or (for a revert to a stopped version) the given one. It
// re-reads the record when a concurrent writer got there first.
func recordStop(ctx context.Context, c *client.Client, rec *api.NomadJob, spec *api.NomadJobSpec) (*recordResult, error) {
	first := true
	return retryOnConflict(func() (*recordResult, error) {
		if !first {
			cur, err := c.Get(ctx, "NomadJob", rec.Namespace, rec.Name, client.GetOptions{})
			if err != nil {
				return nil, err
			}
			rec = cur.(*api.NomadJob)
		}
		first = false
		if err := ensureVersion(ctx, c, rec); err != nil {
			return nil, err
		}
		next, err := writeNextVersion(ctx, c, rec, func(s *api.NomadJobSpec) {
			if spec != nil {
				*s = *spec
			}
			s.Stop = true
		})
		if err != nil {
			return nil, err
		}
		return &recordResult{record: next, newVersion: true, wasStopped: rec.Spec.Stop}, nil
	})
}

// stopWorkloads stops every workload generated from the job and answers
// how many it stopped.
func stopWorkloads(cmd *cobra.Command, c *client.Client, job string) (int, error) {
	gens, err := listGenerated(cmd.Context(), c, job)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range gens {
		did, err := stopObject(cmd.Context(), c, g)
		if err != nil {
			return n, err
		}
		if did != "" {
			n++
			ki, _ := api.LookupKind(g.kind)
			fmt.Fprintf(cmd.OutOrStdout(), "    %s %s\n", resourceName(ki, g.obj.GetObjectMeta().Name), did)
		}
	}
	return n, nil
}

// stopObject stops one generated object: services (Deployments and
// StatefulSets) scale to zero, periodic jobs are suspended, batch and
// system workloads are deleted (their pods follow). Services, Ingresses
// and config stay, so that running the job again keeps their addresses;
// --purge deletes them. It answers what it did.
func stopObject(ctx context.Context, c *client.Client, g generated) (string, error) {
	m := g.obj.GetObjectMeta()
	switch g.kind {
	case "Deployment", "StatefulSet":
		_, err := c.Patch(ctx, g.kind, m.Namespace, m.Name, []byte(`{"spec":{"replicas":0}}`))
		return "scaled to 0", err
	case "CronJob":
		_, err := c.Patch(ctx, g.kind, m.Namespace, m.Name, []byte(`{"spec":{"suspend":true}}`))
		return "suspended", err
	case "Job", "DaemonSet":
		return "deleted", deleteIgnoringMissing(ctx, c, g.kind, m.Namespace, m.Name)
	}
	return "", nil
}

// restartStopped undoes stopObject for a job that is run again. Apply
// restores fields the file sets (replicas) but keeps those it leaves out
// (a CronJob's suspend), so both are set back to what the file says.
func restartStopped(ctx context.Context, c *client.Client, objs []api.Object) error {
	for _, o := range objs {
		m := o.GetObjectMeta()
		var patch string
		switch v := o.(type) {
		case *api.Deployment:
			patch = fmt.Sprintf(`{"spec":{"replicas":%d}}`, deref32(v.Spec.Replicas, 1))
		case *api.StatefulSet:
			patch = fmt.Sprintf(`{"spec":{"replicas":%d}}`, deref32(v.Spec.Replicas, 1))
		case *api.CronJob:
			patch = fmt.Sprintf(`{"spec":{"suspend":%t}}`, v.Spec.Suspend != nil && *v.Spec.Suspend)
		default:
			continue
		}
		if _, err := c.Patch(ctx, mustKind(o).Kind, m.Namespace, m.Name, []byte(patch)); err != nil {
			return err
		}
	}
	return nil
}

// exactArgs is cobra.ExactArgs with a message naming what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%q needs %s (got %d arguments)\nUsage: %s", cmd.CommandPath(), what, len(args), cmd.UseLine())
		}
		return nil
	}
}
