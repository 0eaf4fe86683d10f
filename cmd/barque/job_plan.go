package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

func init() { jobSubcommands = append(jobSubcommands, newJobPlanCmd) }

// newJobPlanCmd: what `job run` would change, as Nomad's plan: exit 0 when
// nothing would change, 1 when something would, 255 on error.
func newJobPlanCmd() *cobra.Command {
	var o jobFileOpts
	cmd := &cobra.Command{
		Use: "plan FILE", Short: "Show what running a job file would change (exit 0: nothing, 1: changes, 255: error)",
		Args: cobra.ExactArgs(1),
		Run: func(cmd *cobra.Command, args []string) {
			changes, err := planJob(cmd, args[0], o)
			if err != nil {
				fmt.Fprintln(os.Stderr, "Error:", err)
				os.Exit(255)
			}
			if changes > 0 {
				os.Exit(1)
			}
		},
	}
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
	changes, err := planRecord(cmd, c, sub)
	if err != nil {
		return 0, err
	}
	for _, obj := range sub.objs {
		what, err := planObject(cmd.Context(), c, obj)
		if err != nil {
			return 0, err
		}
		if what != " " {
			changes++
		}
		fmt.Fprintf(out, "%s %s\n", what, resourceName(mustKind(obj), obj.GetObjectMeta().Name))
	}
	stale, err := staleObjects(cmd.Context(), c, sub)
	if err != nil {
		return 0, err
	}
	for _, g := range stale {
		ki, _ := api.LookupKind(g.kind)
		fmt.Fprintf(out, "- %s\n", resourceName(ki, g.obj.GetObjectMeta().Name))
		changes++
	}
	if changes == 0 {
		fmt.Fprintln(out, "\nNo changes: the job is running as written.")
	} else {
		fmt.Fprintf(out, "\n%d change(s); `barque job run %s` applies them.\n", changes, path)
	}
	return changes, nil
}

// planRecord prints the job's line: its current version, and whether a
// run would make a new one. The objects are given the record as owner, as
// run gives them, so that the comparison sees only real changes.
func planRecord(cmd *cobra.Command, c *client.Client, sub *submission) (int, error) {
	out := cmd.OutOrStdout()
	o, err := c.Get(cmd.Context(), "NomadJob", sub.namespace, sub.name, client.GetOptions{})
	if errors.Is(err, api.ErrNotFound) {
		fmt.Fprintf(out, "+ Job: %q (new: version 0)\n", sub.name)
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	rec := o.(*api.NomadJob)
	spec, err := sub.spec()
	if err != nil {
		return 0, err
	}
	withOwner(sub.objs, rec)
	switch {
	case rec.Spec.Stop:
		fmt.Fprintf(out, "~ Job: %q (stopped; version %d would become %d)\n", sub.name, rec.CurrentVersion(), rec.CurrentVersion()+1)
		return 1, nil
	case !sameSubmission(rec.Spec, spec):
		fmt.Fprintf(out, "~ Job: %q (version %d would become %d)\n", sub.name, rec.CurrentVersion(), rec.CurrentVersion()+1)
		return 1, nil
	}
	fmt.Fprintf(out, "  Job: %q (version %d)\n", sub.name, rec.CurrentVersion())
	return 0, nil
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
