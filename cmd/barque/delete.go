package main

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newDeleteCmd) }

type deleteOpts struct {
	files          []string
	selector       string
	ignoreNotFound bool
}

func newDeleteCmd() *cobra.Command {
	var o deleteOpts
	cmd := &cobra.Command{
		Use:   "delete (KIND NAME... | KIND -l SELECTOR | -f FILE)",
		Short: "Delete objects by name, by label selector, or as named in files",
		Example: `  barque delete configmap app-config
  barque delete pods -l app=web
  barque delete -f web.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDelete(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.files, "filename", "f", nil, "file, directory or - naming the objects to delete")
	f.StringVarP(&o.selector, "selector", "l", "", "delete every object of KIND matching this label selector")
	f.BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "treat objects that do not exist as deleted")
	return cmd
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
	targets, err := deleteTargets(cmd, c, o, args)
	if err != nil {
		return err
	}
	var errs error
	for _, t := range targets {
		err := c.Delete(cmd.Context(), t.ki.Kind, t.namespace, t.name, client.DeleteOptions{})
		if errors.Is(err, api.ErrNotFound) && o.ignoreNotFound {
			continue
		}
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s %q deleted\n", lowerKind(t.ki), t.name)
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
