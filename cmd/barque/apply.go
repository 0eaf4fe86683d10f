package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newApplyCmd) }

// applyAttempts bounds the GET-then-write loop when the object is deleted,
// created or replaced under it, or an answer is lost.
const applyAttempts = 5

func newApplyCmd() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create objects, or update them to match the files",
		Example: `  barque apply -f web.yaml
  barque apply -f manifests/
  cat cm.json | barque apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd, files)
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "file, directory or - (stdin) holding the objects")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func runApply(cmd *cobra.Command, files []string) error {
	ms, err := readAllManifests(cmd, files)
	if err != nil {
		return err
	}
	warnIgnored(cmd.ErrOrStderr(), ms)
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	var errs error
	for _, m := range ms {
		res, err := applyOne(cmd.Context(), c, m)
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		fmt.Fprintln(cmd.OutOrStdout(), resourceName(mustKind(m.obj), m.obj.GetObjectMeta().Name), res)
	}
	return errs
}

// readAllManifests reads every -f and settles each object's namespace.
func readAllManifests(cmd *cobra.Command, files []string) ([]manifest, error) {
	var out []manifest
	for _, f := range files {
		ms, err := readManifests(f, cmd.InOrStdin())
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	for _, m := range out {
		if err := settleNamespace(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// settleNamespace puts a namespaced object without one into the current
// namespace, and refuses a clash with an explicit -n, as kubectl does.
func settleNamespace(m manifest) error {
	ki := mustKind(m.obj)
	meta := m.obj.GetObjectMeta()
	if !ki.Namespaced {
		return nil
	}
	ns := currentNamespace()
	switch {
	case meta.Namespace == "":
		meta.Namespace = ns
		if md := m.raw.Dict("metadata"); md != nil {
			md["namespace"] = ns
		}
	case globalOpts.namespaceSet && meta.Namespace != ns:
		return fmt.Errorf("the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation",
			meta.Namespace, ns, meta.Namespace)
	}
	return nil
}

// applyOne creates m, or merges it onto the stored object and patches in
// what changed (patchApplied), looking again when the object was deleted
// or replaced meanwhile. It answers "created", "configured" or
// "unchanged"; after a write whose answer was lost, finding nothing left
// to do means that write landed, and it answers what that write did.
func applyOne(ctx context.Context, c *client.Client, m manifest) (string, error) {
	ki := mustKind(m.obj)
	meta := m.obj.GetObjectMeta()
	last, err := lastApplied(m.raw)
	if err != nil {
		return "", err
	}
	unchanged := "unchanged"
	for range applyAttempts {
		cur, err := c.Get(ctx, ki.Kind, meta.Namespace, meta.Name, client.GetOptions{})
		if errors.Is(err, api.ErrNotFound) {
			err = createApplied(ctx, c, m.obj, last)
			// Lost the race, or the answer: look again.
			if client.IsUnknownOutcome(err) {
				unchanged = "created"
			}
			if errors.Is(err, api.ErrAlreadyExists) || client.IsUnknownOutcome(err) {
				continue
			}
			return "created", err
		}
		if err != nil {
			return "", err
		}
		merged, changed, err := mergeApplied(cur, m.raw, last)
		if err != nil || !changed {
			return unchanged, err
		}
		err = patchApplied(ctx, c, cur, merged)
		if client.IsUnknownOutcome(err) && unchanged == "unchanged" {
			unchanged = "configured"
		}
		if errors.Is(err, api.ErrConflict) || errors.Is(err, api.ErrNotFound) || client.IsUnknownOutcome(err) {
			continue // deleted or replaced meanwhile, or the answer was lost: look again
		}
		return "configured", err
	}
	return "", fmt.Errorf("%s: gave up after %d attempts: the object keeps changing", resourceName(ki, meta.Name), applyAttempts)
}

// patchApplied writes merged as kubectl apply does: a patch of only what
// differs from cur, with cur's uid as its one precondition and no
// resourceVersion. The server applies it to the newest object and retries
// its own conflicts, so controllers updating the object meanwhile (a
// Deployment's status during a rollout) no longer make the apply lose a
// compare-and-swap again and again, as two concurrent job runs did in CI.
// An object deleted, or deleted and created again, fails and is looked at
// afresh. As with kubectl's merge patches, a list the apply changes is
// written whole: a concurrent change to another element of it is lost.
func patchApplied(ctx context.Context, c *client.Client, cur, merged api.Object) error {
	patch, err := changesPatch(cur, merged)
	if err != nil {
		return err
	}
	// Decoded with UseNumber, so that large integers keep every digit.
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil {
		return err
	}
	md, _ := p["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		p["metadata"] = md
	}
	cm := cur.GetObjectMeta()
	md["uid"] = cm.UID
	if patch, err = json.Marshal(p); err != nil {
		return err
	}
	_, err = c.Patch(ctx, cur.GetTypeMeta().Kind, cm.Namespace, cm.Name, patch)
	return err
}

func createApplied(ctx context.Context, c *client.Client, o api.Object, last string) error {
	o = api.Clone(o)
	meta := o.GetObjectMeta()
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[lastAppliedKey] = last
	meta.ResourceVersion = 0
	_, err := c.Create(ctx, o)
	return err
}

func mustKind(o api.Object) *api.KindInfo {
	ki, ok := api.LookupKind(o.GetTypeMeta().Kind)
	if !ok {
		panic("decoded object of unregistered kind " + o.GetTypeMeta().Kind)
	}
	return ki
}
