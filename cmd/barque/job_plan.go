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
	job, sub, err := loadJob(path, o)
	if err != nil {
		return 0, err
	}
	objs := sub.objs
	c, err := newAPIClient()
	if err != nil {
		return 0, err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Job: %q\n", job.Name)
	changes := 0
	for _, obj := range objs {
		what, err := planObject(cmd.Context(), c, obj)
		if err != nil {
			return 0, err
		}
		if what != " " {
			changes++
		}
		fmt.Fprintf(out, "%s %s\n", what, resourceName(mustKind(obj), obj.GetObjectMeta().Name))
	}
	if changes == 0 {
		fmt.Fprintln(out, "\nNo changes: the job is running as written.")
	} else {
		fmt.Fprintf(out, "\n%d object(s) would change; `barque job run %s` applies them.\n", changes, path)
	}
	return changes, nil
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
