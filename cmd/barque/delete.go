package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newDeleteCmd) }

type deleteOpts struct {
	files          []string
	selector       string
	ignoreNotFound bool
	gracePeriod    int64
	force          bool
	now            bool
	wait           bool
	timeout        time.Duration
}

func newDeleteCmd() *cobra.Command {
	var o deleteOpts
	cmd := &cobra.Command{
		Use:   "delete (KIND NAME... | KIND -l SELECTOR | -f FILE)",
		Short: "Delete objects by name, by label selector, or as named in files",
		Long: `Delete objects by name, by label selector, or as named in files.

A pod that a node runs is deleted gracefully, as in Kubernetes: it shows
Terminating while its node stops it (the kill signal, then SIGKILL after
its grace period: --grace-period, else its terminationGracePeriodSeconds,
30 s by default), and is gone once stopped. --force --grace-period=0
removes it at once without waiting for its node: it may keep running
there. Like kubectl, delete waits until the objects are gone (--wait=false
returns at once).`,
		Example: `  barque delete configmap app-config
  barque delete pods -l app=web
  barque delete pod web-1 --grace-period=5
  barque delete pod web-1 --force --grace-period=0
  barque delete -f web.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDelete(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.files, "filename", "f", nil, "file, directory or - naming the objects to delete")
	f.StringVarP(&o.selector, "selector", "l", "", "delete every object of KIND matching this label selector")
	f.BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "treat objects that do not exist as deleted")
	f.Int64Var(&o.gracePeriod, "grace-period", -1, "seconds a pod gets to stop (-1: its own terminationGracePeriodSeconds; 0 only with --force)")
	f.BoolVar(&o.force, "force", false, "remove pods at once, without waiting for their nodes to stop them (with --grace-period=0)")
	f.BoolVar(&o.now, "now", false, "give pods one second to stop (--grace-period=1)")
	f.BoolVar(&o.wait, "wait", true, "wait until the objects are gone")
	f.DurationVar(&o.timeout, "timeout", 0, "how long to wait with --wait (0: as long as it takes)")
	return cmd
}

// deleteGrace turns the flags into the grace period to ask for (nil: the
// pod's own), as kubectl does: --now is 1 s, and --grace-period=0 without
// --force is 1 s too, so that a pod is not removed before it stopped by
// accident; --force alone means 0.
func deleteGrace(o deleteOpts, stderr io.Writer) (*int64, error) {
	g := o.gracePeriod
	switch {
	case g < -1:
		return nil, fmt.Errorf("--grace-period: %d is not a number of seconds (-1: the pod's own)", g)
	case o.now && g != -1:
		return nil, errors.New("--now and --grace-period cannot be given together")
	case o.now:
		g = 1
	case g == 0 && !o.force:
		g = 1
	case o.force && g == -1:
		g = 0
	}
	if o.force {
		fmt.Fprintln(stderr, "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.")
	}
	if g < 0 {
		return nil, nil
	}
	return &g, nil
}

// target is one object to delete.
type target struct {
	ki        *api.KindInfo
	namespace string
	name      string
}

func runDelete(cmd *cobra.Command, o deleteOpts, args []string) error {
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	grace, err := deleteGrace(o, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	targets, err := deleteTargets(cmd, c, o, args)
	if err != nil {
		return err
	}
	var errs error
	var deleted []deletedObject
	for _, t := range targets {
		uid := ""
		if o.wait {
			// The uid pins the object to wait for: one created again
			// under the name meanwhile is another.
			obj, err := c.Get(cmd.Context(), t.ki.Kind, t.namespace, t.name, client.GetOptions{})
			if err == nil {
				uid = obj.GetObjectMeta().UID
			}
		}
		err := c.Delete(cmd.Context(), t.ki.Kind, t.namespace, t.name, client.DeleteOptions{GracePeriodSeconds: grace})
		if errors.Is(err, api.ErrNotFound) && o.ignoreNotFound {
			continue
		}
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		deleted = append(deleted, deletedObject{t, uid})
		fmt.Fprintf(cmd.OutOrStdout(), "%s %q deleted\n", lowerKind(t.ki), t.name)
	}
	if o.wait {
		errs = errors.Join(errs, waitUntilGone(cmd.Context(), c, deleted, o.timeout))
	}
	return errs
}

func deleteTargets(cmd *cobra.Command, c *client.Client, o deleteOpts, args []string) ([]target, error) {
	if len(o.files) > 0 {
		if len(args) > 0 {
			return nil, errors.New("give either -f or KIND NAME..., not both")
		}
		ms, err := readAllManifests(cmd, o.files)
		if err != nil {
			return nil, err
		}
		var out []target
		for _, m := range ms {
			meta := m.obj.GetObjectMeta()
			out = append(out, target{mustKind(m.obj), meta.Namespace, meta.Name})
		}
		return teardownOrder(out), nil
	}
	if len(args) == 0 {
		return nil, errors.New("you must provide one or more resources by argument or filename")
	}
	ki, err := api.ResolveName(args[0])
	if err != nil {
		return nil, err
	}
	ns := currentNamespace()
	var out []target
	for _, n := range args[1:] {
		out = append(out, target{ki, ns, n})
	}
	if o.selector == "" {
		if len(out) == 0 {
			return nil, fmt.Errorf("resource(s) were provided, but no name was specified")
		}
		return out, nil
	}
	l, err := c.List(cmd.Context(), ki.Kind, ns, client.ListOptions{LabelSelector: o.selector})
	if err != nil {
		return nil, err
	}
	if len(l.Items) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), noResources(ki, ns)) // as kubectl, exit 0
	}
	for _, it := range l.Items {
		out = append(out, target{ki, ns, it.GetObjectMeta().Name})
	}
	return out, nil
}

// teardownOrder deletes a file's objects in reverse order and its
// Namespaces last: deleting a Namespace first would delete its contents
// behind our back and turn the next deletes into "not found" errors.
func teardownOrder(ts []target) []target {
	slices.Reverse(ts)
	slices.SortStableFunc(ts, func(a, b target) int {
		return cmp.Compare(boolInt(a.ki.Kind == "Namespace"), boolInt(b.ki.Kind == "Namespace"))
	})
	return ts
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lowerKind is kubectl's "deployment.apps" spelling used in messages.
func lowerKind(ki *api.KindInfo) string {
	n := resourceName(ki, "")
	return n[:len(n)-1]
}
