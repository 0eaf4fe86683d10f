package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/api/jobspec"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newJobCmd) }

// jobLabel marks every object generated from a job file.
const jobLabel = "barque.io/job"

// jobSubcommands lets job verbs in other files register themselves.
var jobSubcommands []func() *cobra.Command

func newJobCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "job", Short: "Run and manage Nomad-style job files (HCL)"}
	cmd.AddCommand(newJobRunCmd(), newJobValidateCmd(), newJobStatusCmd(), newJobStopCmd())
	for _, mk := range jobSubcommands {
		cmd.AddCommand(mk())
	}
	return cmd
}

type jobFileOpts struct{ vars, varFiles []string }

func (o *jobFileOpts) bind(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&o.vars, "var", nil, "set a variable: -var name=value (repeatable)")
	cmd.Flags().StringArrayVar(&o.varFiles, "var-file", nil,
		"read variables from an HCL file of name = value lines (repeatable; later files and -var win)")
}

// variables merges the variable files, in order, then the -var values,
// as Nomad does: what comes later wins.
func (o jobFileOpts) variables() (map[string]string, error) {
	vars := map[string]string{}
	for _, f := range o.varFiles {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("-var-file: %w", err)
		}
		fv, err := jobspec.ParseVarFile(f, src)
		if err != nil {
			return nil, err
		}
		for k, v := range fv {
			vars[k] = v
		}
	}
	for _, kv := range o.vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("-var: Invalid value %q: want name=value", kv)
		}
		vars[k] = v
	}
	return vars, nil
}

// loadJob parses a job file into the submission it stands for: its
// source, variables, and the objects rendered from them.
func loadJob(path string, o jobFileOpts) (*jobspec.Job, *submission, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	vars, err := o.variables()
	if err != nil {
		return nil, nil, err
	}
	job, err := jobspec.Parse(path, src, vars)
	if err != nil {
		return nil, nil, err
	}
	objs, err := job.Objects()
	if err != nil {
		return nil, nil, err
	}
	ns := currentNamespace()
	for _, o := range objs {
		if k, ok := api.KindOf(o); ok && k.Namespaced && o.GetObjectMeta().Namespace == "" {
			o.GetObjectMeta().Namespace = ns
		}
	}
	if len(objs) > 0 && objs[0].GetObjectMeta().Namespace != "" {
		ns = objs[0].GetObjectMeta().Namespace
	}
	abs, _ := filepath.Abs(path)
	return job, &submission{name: job.Name, namespace: ns, typ: job.Type, source: string(src), path: abs,
		vars: nilIfEmpty(vars), objs: objs, parameterized: job.Record()}, nil
}

func newJobValidateCmd() *cobra.Command {
	var o jobFileOpts
	cmd := &cobra.Command{
		Use: "validate FILE", Short: "Check a job file without submitting it", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, sub, err := loadJob(args[0], o)
			if err != nil {
				return err
			}
			objs := sub.objs
			for _, obj := range objs {
				api.Default(obj)
				if err := api.Validate(obj); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Job validation successful (%d objects)\n", len(objs))
			return nil
		},
	}
	o.bind(cmd)
	return cmd
}

func newJobRunCmd() *cobra.Command {
	var o jobFileOpts
	var detach bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use: "run FILE", Short: "Submit a job file and follow its rollout", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, sub, err := loadJob(args[0], o)
			if err != nil {
				return err
			}
			for _, w := range job.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "    Warning: %s\n", w)
			}
			return runSubmission(cmd, sub, detach, timeout)
		},
	}
	o.bind(cmd)
	cmd.Flags().BoolVar(&detach, "detach", false, "return once the job is submitted")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to follow the rollout")
	return cmd
}

// runSubmission records and applies a submission, then follows the
// rollout unless detach is set. `job run` and `job revert` share it.
func runSubmission(cmd *cobra.Command, sub *submission, detach bool, timeout time.Duration) error {
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	if sub.parameterized != nil {
		return registerParameterized(cmd, c, sub)
	}
	if err := submitJob(cmd, c, sub); err != nil {
		return err
	}
	if detach {
		return nil
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	return monitorJob(ctx, cmd, c, sub.objs)
}

// submitJob records the submission, applies every object generated from
// the job (as apply does, each owned by the record), and deletes what the
// previous version generated that this one does not.
func submitJob(cmd *cobra.Command, c *client.Client, sub *submission) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "==> %s: Submitting job %q (%d objects)\n", time.Now().Format("2006-01-02T15:04:05Z07:00"), sub.name, len(sub.objs))
	res, err := recordAndReport(cmd, c, sub)
	if err != nil {
		return err
	}
	withOwner(sub.objs, res.record)
	for _, obj := range sub.objs {
		m, err := manifestOf(obj)
		if err != nil {
			return err
		}
		result, err := applyOne(cmd.Context(), c, m)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "    %s %s\n", resourceName(mustKind(obj), obj.GetObjectMeta().Name), result)
	}
	if res.wasStopped {
		if err := restartStopped(cmd.Context(), c, sub.objs); err != nil {
			return err
		}
	}
	return deleteStale(cmd, c, sub)
}

func manifestOf(o api.Object) (manifest, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return manifest{}, err
	}
	var raw obj
	if err := json.Unmarshal(b, &raw); err != nil {
		return manifest{}, err
	}
	return manifest{obj: o, raw: raw}, nil
}
