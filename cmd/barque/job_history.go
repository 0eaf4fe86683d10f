package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

func init() {
	jobSubcommands = append(jobSubcommands, newJobHistoryCmd, newJobRevertCmd, newJobInspectCmd)
}

func newJobHistoryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "history JOB",
		Short: fmt.Sprintf("List a job's versions (the last %d are kept), newest first", api.NomadJobHistoryLimit),
		Args:  exactArgs(1, "a job name"), ValidArgsFunction: completeJobNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			rec, err := getRecord(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			vs, err := listVersions(cmd.Context(), c, rec)
			if err != nil {
				return err
			}
			return printJobHistory(cmd, rec, vs)
		},
	}
}

func printJobHistory(cmd *cobra.Command, rec *api.NomadJob, vs []*api.NomadJobVersion) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSUBMIT DATE\tOBJECTS\tCHANGES")
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		hint := "first kept version"
		if i > 0 {
			hint = versionHint(vs[i-1].Spec.Job, v.Spec.Job)
		} else if v.Spec.Version == 0 {
			hint = "first version"
		}
		if i == 0 && v.Spec.Job.Stop {
			hint += "; stopped"
		}
		mark := ""
		if v.Spec.Version == rec.CurrentVersion() {
			mark = " (current)"
		}
		fmt.Fprintf(tw, "%d%s\t%s\t%d\t%s\n", v.Spec.Version, mark, submitDate(v.Spec.SubmitTime), len(v.Spec.Job.Objects), hint)
	}
	return tw.Flush()
}

// versionHint says how a version differs from the one before: stopped or
// started again, and which objects changed.
func versionHint(prev, cur api.NomadJobSpec) string {
	var parts []string
	switch {
	case cur.Stop && !prev.Stop:
		parts = append(parts, "job stopped")
	case !cur.Stop && prev.Stop:
		parts = append(parts, "job started again")
	}
	if d := diffHint(prev, cur); d != "no changes" || len(parts) == 0 {
		parts = append(parts, d)
	}
	return strings.Join(parts, "; ")
}

// getVersion reads one stored version of a job.
func getVersion(ctx context.Context, c *client.Client, rec *api.NomadJob, arg string) (*api.NomadJobVersion, error) {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("version %q: want a version number (0, 1, …) as listed by `barque job history %s`", arg, rec.Name)
	}
	o, err := c.Get(ctx, "NomadJobVersion", rec.Namespace, api.NomadJobVersionName(rec.Name, n), client.GetOptions{})
	if errors.Is(err, api.ErrNotFound) {
		return nil, fmt.Errorf("version %d of job %q is not kept (see `barque job history %s`)", n, rec.Name, rec.Name)
	}
	if err != nil {
		return nil, err
	}
	v := o.(*api.NomadJobVersion)
	if !ownedBy(&v.ObjectMeta, rec.UID) {
		return nil, fmt.Errorf("version %d of job %q belongs to an earlier job of that name", n, rec.Name)
	}
	return v, nil
}

func newJobRevertCmd() *cobra.Command {
	var detach bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "revert JOB VERSION",
		Short: "Submit a stored version of a job again, as a new version",
		Long: `Revert a job to one of its kept versions: the objects stored with that
version are submitted again (the local job file is not read), and become a
new version of the job. Reverting a stopped job to a version before the
stop starts it again; reverting to a stopped version stops the job.`,
		Args: exactArgs(2, "a job name and a version number"), ValidArgsFunction: completeJobVersions,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			rec, err := getRecord(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			v, err := getVersion(cmd.Context(), c, rec, args[1])
			if err != nil {
				return err
			}
			if v.Spec.Job.Stop {
				return revertToStopped(cmd, c, rec, v)
			}
			sub, err := submissionOf(rec.Namespace, v.Spec.Job)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "==> Reverting job %q to version %d\n", rec.Name, v.Spec.Version)
			return runSubmission(cmd, sub, detach, timeout)
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "return once the job is submitted")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to follow the rollout")
	return cmd
}

// revertToStopped makes the stopped version v the job's next version, and
// stops the job's workloads, as `job stop` does.
func revertToStopped(cmd *cobra.Command, c *client.Client, rec *api.NomadJob, v *api.NomadJobVersion) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "==> Reverting job %q to version %d (a stopped version: the job is stopped)\n", rec.Name, v.Spec.Version)
	if rec.Spec.Stop && sameSubmission(rec.Spec, v.Spec.Job) {
		fmt.Fprintf(out, "    Job version %d (already stopped)\n", rec.CurrentVersion())
	} else {
		res, err := recordStop(cmd.Context(), c, rec, &v.Spec.Job)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "    Job version %d (stopped)\n", res.record.CurrentVersion())
	}
	n, err := stopWorkloads(cmd, c, rec.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "==> Job %q stopped (%d workloads stopped)\n", rec.Name, n)
	return nil
}

// completeJobVersions offers job names, then the job's kept versions.
func completeJobVersions(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
	if len(args) != 1 {
		return completeJobNames(cmd, args, s)
	}
	c, err := newAPIClient()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	rec, err := getRecord(cmd.Context(), c, args[0])
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	vs, err := listVersions(cmd.Context(), c, rec)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	for _, v := range vs {
		out = append(out, strconv.FormatInt(v.Spec.Version, 10))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func newJobInspectCmd() *cobra.Command {
	var output, version string
	var objects bool
	cmd := &cobra.Command{
		Use:   "inspect JOB [-o yaml|json|hcl] [--version N] [--objects]",
		Short: "Print a job as stored: its record (yaml, json), its HCL source (-o hcl), or its rendered objects",
		Args:  exactArgs(1, "a job name"), ValidArgsFunction: completeJobNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != outYAML && output != outJSON && output != "hcl" {
				return fmt.Errorf("-o %q: want yaml, json or hcl", output)
			}
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			rec, err := getRecord(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return inspectJob(cmd, c, rec, version, output, objects)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outYAML, "yaml, json, or hcl (the submitted source)")
	cmd.Flags().StringVar(&version, "version", "", "a kept version instead of the current one")
	cmd.Flags().BoolVar(&objects, "objects", false, "print only the objects rendered from the job, as a List")
	return cmd
}

func inspectJob(cmd *cobra.Command, c *client.Client, rec *api.NomadJob, version, output string, objects bool) error {
	var shown api.Object = rec
	spec := rec.Spec
	if version != "" {
		v, err := getVersion(cmd.Context(), c, rec, version)
		if err != nil {
			return err
		}
		shown, spec = v, v.Spec.Job
	}
	out := cmd.OutOrStdout()
	if output == "hcl" {
		_, err := fmt.Fprint(out, ensureNewline(spec.Source))
		return err
	}
	ki, _ := api.KindOf(shown)
	if !objects {
		return newPrinter(out, output, ki, false).print([]api.Object{shown}, false)
	}
	sub, err := submissionOf(rec.Namespace, spec)
	if err != nil {
		return err
	}
	return newPrinter(out, output, ki, false).print(sub.objs, true)
}

func ensureNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
