package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newScaleCmd) }

type scaleOpts struct {
	replicas, current int32
	resourceVersion   string
}

func newScaleCmd() *cobra.Command {
	var o scaleOpts
	cmd := &cobra.Command{
		Use:   "scale (deployment|replicaset|statefulset) NAME... --replicas N | scale KIND/NAME... --replicas N",
		Short: "Set the number of replicas of Deployments, ReplicaSets or StatefulSets",
		Long: `Scale sets spec.replicas through the scale subresource, as kubectl scale does.
--current-replicas and --resource-version make it conditional: nothing changes
unless the object still has that many replicas, or that version.`,
		Example: `  barque scale deployment web --replicas 5
  barque scale statefulset db --replicas 3 --current-replicas 1`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runScale(cmd, o, args) },
	}
	f := cmd.Flags()
	f.Int32Var(&o.replicas, "replicas", -1, "the new number of replicas (required)")
	f.Int32Var(&o.current, "current-replicas", -1, "only if the object asks for this many replicas now")
	f.StringVar(&o.resourceVersion, "resource-version", "", "only if the object is at this resourceVersion")
	return cmd
}

func runScale(cmd *cobra.Command, o scaleOpts, args []string) error {
	if o.replicas < 0 {
		return fmt.Errorf("--replicas: required, and 0 or more")
	}
	rv, err := api.ParseVersion(o.resourceVersion)
	if err != nil {
		return fmt.Errorf("--resource-version: %w", err)
	}
	ki, names, err := kindAndNames(args)
	if err != nil {
		return err
	}
	switch ki.Kind {
	case "Deployment", "ReplicaSet", "StatefulSet":
	default:
		return fmt.Errorf("%s cannot be scaled: scale deployments, replicasets or statefulsets", ki.Resource)
	}
	if rv != 0 && len(names) > 1 {
		return fmt.Errorf("--resource-version: names one version, so scale one object with it (%d named)", len(names))
	}
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := scaleOne(cmd.Context(), c, ki, name, o, rv); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s/%s scaled\n", lowerKind(ki), name)
	}
	return nil
}

// scaleAttempts bounds how often --current-replicas is checked and the
// count set again after losing a race with another writer (kubectl
// retries too).
const scaleAttempts = 10

// scaleOne sets one object's count. With --current-replicas, the count
// read is checked and the set is conditional on the version read; a
// conflict means the object changed meanwhile, so it is read, checked and
// set again.
func scaleOne(ctx context.Context, c *client.Client, ki *api.KindInfo, name string, o scaleOpts, rv api.Version) error {
	for attempt := 1; ; attempt++ {
		at := rv
		if o.current >= 0 {
			sc, err := c.GetScale(ctx, ki.Kind, currentNamespace(), name)
			if err != nil {
				return err
			}
			if sc.Replicas != o.current {
				return fmt.Errorf("%s/%s: expected %d replicas, found %d: not scaled", lowerKind(ki), name, o.current, sc.Replicas)
			}
			if at == 0 {
				at = sc.ResourceVersion
			}
		}
		_, err := c.SetScale(ctx, ki.Kind, currentNamespace(), name, o.replicas, at)
		if !errors.Is(err, api.ErrConflict) || rv != 0 || attempt == scaleAttempts {
			return err
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
}
