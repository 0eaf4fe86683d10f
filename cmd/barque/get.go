package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newGetCmd) }

// getOpts are get's flags.
type getOpts struct {
	allNamespaces bool
	selector      string
	fieldSelector string
	output        string
	watch         bool
}

func newGetCmd() *cobra.Command {
	var o getOpts
	cmd := &cobra.Command{
		Use:   "get KIND [NAME...]",
		Short: "Display one or many objects",
		Example: `  barque get pods
  barque get deployments -A -o wide
  barque get configmap app-config -o yaml
  barque get pods -l app=web -w`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGet(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	f.StringVarP(&o.selector, "selector", "l", "", "label selector (a=b,c!=d,e in (x,y),!f)")
	f.StringVar(&o.fieldSelector, "field-selector", "", "field selector (spec.nodeName=n1,status.phase=Running)")
	f.StringVarP(&o.output, "output", "o", "", "output format: wide|json|yaml|name")
	f.BoolVarP(&o.watch, "watch", "w", false, "after listing, watch for changes")
	return cmd
}

func runGet(cmd *cobra.Command, o getOpts, args []string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	ki, err := api.ResolveName(args[0])
	if err != nil {
		return err
	}
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	ns := currentNamespace()
	if o.allNamespaces {
		ns = ""
	}
	p := newPrinter(cmd.OutOrStdout(), o.output, ki, o.allNamespaces)
	if len(args) > 1 {
		return getNamed(cmd.Context(), c, p, ki, ns, args[1:])
	}
	lo := client.ListOptions{LabelSelector: o.selector, FieldSelector: o.fieldSelector}
	l, err := c.List(cmd.Context(), ki.Kind, ns, lo)
	if err != nil {
		return err
	}
	if len(l.Items) == 0 && !o.watch && (o.output == outTable || o.output == outWide) {
		fmt.Fprintln(cmd.ErrOrStderr(), noResources(ki, ns))
		return nil
	}
	if len(l.Items) > 0 || o.output == outJSON || o.output == outYAML {
		if err := p.print(l.Items, !o.watch); err != nil {
			return err
		}
	}
	if !o.watch {
		return nil
	}
	return watchAndPrint(cmd.Context(), c, p, ki, ns, client.WatchOptions{ListOptions: lo, ResourceVersion: l.ResourceVersion})
}

// getNamed prints the objects that exist and reports the first that does
// not, after printing the rest, as kubectl does.
func getNamed(ctx context.Context, c *client.Client, p *printer, ki *api.KindInfo, ns string, names []string) error {
	var objs []api.Object
	var firstErr error
	for _, n := range names {
		obj, err := c.Get(ctx, ki.Kind, ns, n, client.GetOptions{})
		if err != nil {
			firstErr = errors.Join(firstErr, err)
			continue
		}
		objs = append(objs, obj)
	}
	if len(objs) > 0 {
		if err := p.print(objs, len(names) > 1); err != nil {
			return err
		}
	}
	return firstErr
}

func watchAndPrint(ctx context.Context, c *client.Client, p *printer, ki *api.KindInfo, ns string, wo client.WatchOptions) error {
	if ns == "" {
		p.withNamespace = ki.Namespaced
	}
	w, err := c.Watch(ctx, ki.Kind, ns, wo)
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.Events() {
		if ev.Err != nil {
			return ev.Err
		}
		if err := p.print([]api.Object{ev.Object}, false); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func noResources(ki *api.KindInfo, ns string) string {
	if ns == "" || !ki.Namespaced {
		return "No resources found"
	}
	return fmt.Sprintf("No resources found in %s namespace.", ns)
}
