package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newGetCmd) }

// getOpts are get's flags.
type getOpts struct {
	allNamespaces     bool
	selector          string
	fieldSelector     string
	output            string
	watch             bool
	chunkSize         int64
	showManagedFields bool
}

func newGetCmd() *cobra.Command {
	var o getOpts
	cmd := &cobra.Command{
		Use:   "get KIND[,KIND...] [NAME...] | get KIND/NAME...",
		Short: "Display one or many objects",
		Long: `Display objects of one or several kinds. Several kinds, comma-separated
(svc,ing), print one table per kind, each with its own header, and names
in KIND/NAME form, as kubectl does. Objects may also be named as
KIND/NAME (the form -o name prints): get pod/web-1 deploy/web.`,
		Example: `  barque get pods
  barque get deployments -A -o wide
  barque get configmap app-config -o yaml
  barque get svc,ing
  barque get pod/web-1 deploy/web
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
	f.Int64Var(&o.chunkSize, "chunk-size", 500, "read lists in pages of this many objects (0: in one answer)")
	f.BoolVar(&o.showManagedFields, "show-managed-fields", false, "keep metadata.managedFields in -o json|yaml")
	return cmd
}

// getRequest is one kind to get: named objects, or a list when names is
// empty.
type getRequest struct {
	ki    *api.KindInfo
	names []string
}

// parseGetArgs reads get's arguments as kubectl does: "KIND[,KIND…]
// [NAME…]" (the names are looked up in every kind), or only KIND/NAME
// arguments, grouped by kind in the order they first appear.
func parseGetArgs(args []string) ([]getRequest, error) {
	slashed := 0
	for _, a := range args {
		if strings.Contains(a, "/") {
			slashed++
		}
	}
	if slashed == 0 {
		var reqs []getRequest
		names := args[1:]
		if len(names) == 0 {
			names = nil
		}
		for _, k := range strings.Split(args[0], ",") {
			ki, err := resolveKind(k)
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(reqs, func(r getRequest) bool { return r.ki == ki }) {
				reqs = append(reqs, getRequest{ki: ki, names: names})
			}
		}
		return reqs, nil
	}
	if slashed != len(args) {
		return nil, fmt.Errorf("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'barque get resource/<resource_name>' instead of 'barque get resource resource/<resource_name>')")
	}
	var reqs []getRequest
	for _, a := range args {
		k, name, _ := strings.Cut(a, "/")
		if name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("arguments in resource/name form must have a single resource and name: %q", a)
		}
		ki, err := resolveKind(k)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(reqs, func(r getRequest) bool { return r.ki == ki })
		if i < 0 {
			reqs, i = append(reqs, getRequest{ki: ki}), len(reqs)
		}
		reqs[i].names = append(reqs[i].names, name)
	}
	return reqs, nil
}

// kindAndNames reads "KIND NAME…" or "KIND/NAME…" (one kind) as kubectl's
// verbs that act on named objects of one kind do.
func kindAndNames(args []string) (*api.KindInfo, []string, error) {
	reqs, err := parseGetArgs(args)
	if err != nil {
		return nil, nil, err
	}
	if len(reqs) != 1 {
		return nil, nil, fmt.Errorf("name objects of one kind only")
	}
	if len(reqs[0].names) == 0 {
		return nil, nil, fmt.Errorf("resource(s) were provided, but no name was specified")
	}
	return reqs[0].ki, reqs[0].names, nil
}

// resolveKind is api.ResolveName, also taking the KIND.GROUP form that
// -o name prints ("deployment.apps", "ingress.networking.k8s.io").
func resolveKind(s string) (*api.KindInfo, error) {
	ki, err := api.ResolveName(s)
	if err == nil {
		return ki, nil
	}
	if k, group, ok := strings.Cut(s, "."); ok {
		if gi, gerr := api.ResolveName(k); gerr == nil && strings.EqualFold(gi.Group, group) {
			return gi, nil
		}
	}
	return nil, err
}

func runGet(cmd *cobra.Command, o getOpts, args []string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if o.chunkSize < 0 {
		return fmt.Errorf("--chunk-size: %d is negative; use 0 to read a list in one answer", o.chunkSize)
	}
	reqs, err := parseGetArgs(args)
	if err != nil {
		return err
	}
	if len(reqs) > 1 && o.watch {
		return errors.New("you may only specify a single resource type to watch")
	}
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	ns := currentNamespace()
	if o.allNamespaces {
		ns = ""
	}
	if len(reqs) > 1 {
		return getKinds(cmd, c, o, ns, reqs)
	}
	ki := reqs[0].ki
	p := newPrinter(cmd.OutOrStdout(), o.output, ki, o.allNamespaces)
	p.showManagedFields = o.showManagedFields
	if len(reqs[0].names) > 0 {
		objs, err := getNamed(cmd.Context(), c, ki, ns, reqs[0].names)
		if len(objs) > 0 {
			if perr := p.print(objs, len(reqs[0].names) > 1); perr != nil {
				return perr
			}
		}
		return err
	}
	lo := client.ListOptions{LabelSelector: o.selector, FieldSelector: o.fieldSelector, ChunkSize: o.chunkSize}
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

// getKinds gets several kinds: one table per kind with a header of its
// own, blocks separated by a blank line, names as KIND/NAME; JSON and YAML
// are one List of every object. Objects not found are reported after the
// rest is printed.
func getKinds(cmd *cobra.Command, c *client.Client, o getOpts, ns string, reqs []getRequest) error {
	var all []api.Object
	var errs error
	blocks := 0
	for _, r := range reqs {
		var objs []api.Object
		if len(r.names) > 0 {
			var err error
			objs, err = getNamed(cmd.Context(), c, r.ki, ns, r.names)
			errs = errors.Join(errs, err)
		} else {
			l, err := c.List(cmd.Context(), r.ki.Kind, ns, client.ListOptions{LabelSelector: o.selector, FieldSelector: o.fieldSelector, ChunkSize: o.chunkSize})
			if err != nil {
				return errors.Join(errs, err)
			}
			objs = l.Items
		}
		all = append(all, objs...)
		if len(objs) == 0 || o.output == outJSON || o.output == outYAML {
			continue
		}
		if blocks > 0 && o.output != outName {
			fmt.Fprintln(cmd.OutOrStdout())
		}
		blocks++
		p := newPrinter(cmd.OutOrStdout(), o.output, r.ki, o.allNamespaces)
		p.showManagedFields = o.showManagedFields
		p.withKind = true
		if err := p.print(objs, true); err != nil {
			return err
		}
	}
	switch {
	case o.output == outJSON || o.output == outYAML:
		p := newPrinter(cmd.OutOrStdout(), o.output, reqs[0].ki, o.allNamespaces)
		p.showManagedFields = o.showManagedFields
		if err := p.print(all, true); err != nil {
			return err
		}
	case len(all) == 0 && errs == nil:
		fmt.Fprintln(cmd.ErrOrStderr(), noResources(reqs[0].ki, ns))
	}
	return errs
}

// getNamed gets the named objects that exist and joins the errors of those
// that do not, so that the caller prints the rest first, as kubectl does.
func getNamed(ctx context.Context, c *client.Client, ki *api.KindInfo, ns string, names []string) ([]api.Object, error) {
	var objs []api.Object
	var errs error
	for _, n := range names {
		obj, err := c.Get(ctx, ki.Kind, ns, n, client.GetOptions{})
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		objs = append(objs, obj)
	}
	return objs, errs
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
