package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

func init() { jobSubcommands = append(jobSubcommands, newJobPlanCmd) }

// Exit codes of `job plan`, as Nomad's.
const (
	planNoChanges = 0
	planChanges   = 1
	planError     = 255
)

// newJobPlanCmd: what `job run` would change, as Nomad's plan: a diff
// against the running version and a placement preview; exit 0 when nothing
// would change, 1 when something would, 255 on any error (bad arguments
// and flags included).
func newJobPlanCmd() *cobra.Command {
	var o jobFileOpts
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "Show what running a job file would change, and where its pods would go (exit 0: nothing, 1: changes, 255: error)",
		Long: `Plan compares a job file with the job's running version, as "job run" would
see it: the job's version change, then each object to create (+), change (~)
or delete (-). A placement preview follows: the pods the changed task groups
would start are placed, with the scheduler's own filters and scorers, on a
snapshot of the cluster's nodes and pods (less the pods those groups would
replace), reporting how many would be placed, on how many feasible nodes,
and why the others would not fit. Nothing is written.

Exit code: 0 when nothing would change, 1 when something would, 255 on an
error.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := exactArgs(1, "a job file")(cmd, args); err != nil {
				return &exitError{code: planError, err: err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			changes, err := planJob(cmd, args[0], o)
			switch {
			case err != nil:
				return &exitError{code: planError, err: err}
			case changes > 0:
				return &exitError{code: planChanges}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: planError, err: err} })
	o.bind(cmd)
	return cmd
}

func planJob(cmd *cobra.Command, path string, o jobFileOpts) (int, error) {
	_, sub, err := loadJob(path, o)
	if err != nil {
		return 0, err
	}
	c, err := newAPIClient()
	if err != nil {
		return 0, err
	}
	out := cmd.OutOrStdout()
	base, err := planRecord(cmd, c, sub)
	if err != nil {
		return 0, err
	}
	if sub.parameterized != nil {
		return planParameterized(cmd, c, sub, base)
	}
	if err := planObjects(cmd, c, sub, base); err != nil {
		return 0, err
	}
	if err := previewPlacement(cmd, c, sub, base.start, base.replaced); err != nil {
		return 0, err
	}
	if base.changes == 0 {
		fmt.Fprintln(out, "\nNo changes: the job is running as written.")
	} else {
		fmt.Fprintf(out, "\n%d change(s); `barque job run %s` applies them.\n", base.changes, path)
	}
	return base.changes, nil
}

// planObjects prints, and counts into base, each object the run would
// create (+), change (~, with its field diff) or delete (-), and notes the
// workloads whose pods it would start and the groups whose pods it would
// replace: those it creates or changes (all of a stopped job's), and those
// it deletes.
func planObjects(cmd *cobra.Command, c *client.Client, sub *submission, base *planBase) error {
	out := cmd.OutOrStdout()
	for _, obj := range sub.objs {
		what, err := planObject(cmd.Context(), c, obj)
		if err != nil {
			return err
		}
		if what != " " {
			base.changes++
		}
		if what != " " || base.stopped {
			base.start = append(base.start, obj)
			base.replaced[obj.GetObjectMeta().Labels[api.LabelNomadGroup]] = true
		}
		fmt.Fprintf(out, "%s %s\n", what, resourceName(mustKind(obj), obj.GetObjectMeta().Name))
		if old, ok := base.recorded[objectID(obj)]; ok && what == "~" {
			for _, l := range fieldDiff(old, base.rendered[objectID(obj)]) {
				fmt.Fprintf(out, "    %s\n", l)
			}
		}
	}
	stale, err := staleObjects(cmd.Context(), c, sub)
	if err != nil {
		return err
	}
	for _, g := range stale {
		ki, _ := api.LookupKind(g.kind)
		fmt.Fprintf(out, "- %s\n", resourceName(ki, g.obj.GetObjectMeta().Name))
		base.replaced[g.obj.GetObjectMeta().Labels[api.LabelNomadGroup]] = true
		base.changes++
	}
	return nil
}

// planBase is the job-level part of a plan.
type planBase struct {
	changes int
	// stopped: the job is stopped (a run starts it again).
	stopped bool
	// recorded and rendered are the running version's objects and the
	// file's, by "Kind/name", for the field diff.
	recorded, rendered map[string]any
	// start are the workloads whose pods a run would start; replaced the
	// groups whose current pods it would replace or delete.
	start    []api.Object
	replaced map[string]bool
}

// planRecord prints the job's line: its current version, and whether a
// run would make a new one. The objects are then given the record as
// owner, as run gives them, so that the comparison of each with the live
// object sees only real changes.
func planRecord(cmd *cobra.Command, c *client.Client, sub *submission) (*planBase, error) {
	out := cmd.OutOrStdout()
	spec, err := sub.spec()
	if err != nil {
		return nil, err
	}
	base := &planBase{changes: 1, rendered: recordedObjects(spec.Objects), replaced: map[string]bool{}}
	o, err := c.Get(cmd.Context(), "NomadJob", sub.namespace, sub.name, client.GetOptions{})
	if errors.Is(err, api.ErrNotFound) {
		fmt.Fprintf(out, "+ Job: %q (new: version 0)\n", sub.name)
		return base, nil
	}
	if err != nil {
		return nil, err
	}
	rec := o.(*api.NomadJob)
	base.recorded = recordedObjects(rec.Spec.Objects)
	withOwner(sub.objs, rec)
	switch {
	case rec.Spec.Stop:
		base.stopped = true
		fmt.Fprintf(out, "~ Job: %q (stopped; version %d would become %d)\n", sub.name, rec.CurrentVersion(), rec.CurrentVersion()+1)
	case !sameSubmission(rec.Spec, spec):
		fmt.Fprintf(out, "~ Job: %q (version %d would become %d)\n", sub.name, rec.CurrentVersion(), rec.CurrentVersion()+1)
	default:
		base.changes = 0
		fmt.Fprintf(out, "  Job: %q (version %d)\n", sub.name, rec.CurrentVersion())
	}
	if d := varsDiff(rec.Spec.Variables, spec.Variables); len(d) > 0 {
		for _, l := range d {
			fmt.Fprintf(out, "    %s\n", l)
		}
	}
	return base, nil
}

// varsDiff lists the -var values that change.
func varsDiff(a, b map[string]string) []string {
	toAny := func(m map[string]string) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	var out []string
	for _, l := range fieldDiff(toAny(a), toAny(b)) {
		out = append(out, strings.Replace(l, " ", " var.", 1))
	}
	return out
}

// planObject answers "+" (create), "~" (update) or " " (unchanged), using
// the same three-way merge as apply.
func planObject(ctx context.Context, c *client.Client, obj api.Object) (string, error) {
	m := obj.GetObjectMeta()
	cur, err := c.Get(ctx, mustKind(obj).Kind, m.Namespace, m.Name, client.GetOptions{})
	if errors.Is(err, api.ErrNotFound) {
		return "+", nil
	}
	if err != nil {
		return "", err
	}
	man, err := manifestOf(obj)
	if err != nil {
		return "", err
	}
	last, err := lastApplied(man.raw)
	if err != nil {
		return "", err
	}
	_, changed, err := mergeApplied(cur, man.raw, last)
	if err != nil {
		return "", err
	}
	if changed {
		return "~", nil
	}
	return " ", nil
}
