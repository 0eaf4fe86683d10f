package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// ---- promote ----

func newRolloutPromoteCmd() *cobra.Command {
	var force bool
	cmd := simpleRolloutCmd("promote", "Promote a Deployment's canaries so that its rollout continues",
		func(ctx context.Context, cmd *cobra.Command, c *client.Client, name string) error {
			return runPromote(ctx, cmd, c, name, force)
		})
	cmd.Long = `Promote lets a rollout that waits on its canaries (spec.strategy.canary) go on:
it records the canaries' revision in the Deployment's
deployment.barque.io/promote-revision annotation, with a compare-and-swap on
the Deployment's resourceVersion, and the controller then replaces the
remaining old pods within maxSurge and maxUnavailable. As with Nomad, only
healthy canaries are promoted, unless --force is given.`
	cmd.Flags().BoolVar(&force, "force", false, "promote even when not every canary is healthy")
	return cmd
}

// runPromote writes the promotion request conditionally on the version
// read, reading again when someone (the controller's status) wrote meanwhile.
func runPromote(ctx context.Context, cmd *cobra.Command, c *client.Client, name string, force bool) error {
	for attempt := 0; ; attempt++ {
		d, err := getDeployment(ctx, c, name)
		if err != nil {
			return err
		}
		u, msg, err := promoteRequest(d, force)
		if err != nil || u == nil {
			if msg != "" {
				fmt.Fprintln(cmd.OutOrStdout(), msg)
			}
			return err
		}
		_, err = c.Update(ctx, u)
		if errors.Is(err, api.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s promoted (revision %s)\n", deploymentRef(name), u.Annotations[api.PromoteRevisionAnnotation])
		return nil
	}
}

// promoteRequest returns the Deployment with the promotion request for
// its canaries' revision (nil and a message when there is nothing to do).
func promoteRequest(d *api.Deployment, force bool) (*api.Deployment, string, error) {
	if d.Spec.Paused {
		return nil, "", fmt.Errorf("deployment %q is paused; resume it first with 'barque rollout resume deployment/%s'", d.Name, d.Name)
	}
	if d.Generation > d.Status.ObservedGeneration {
		return nil, "", fmt.Errorf("deployment %q: the controller has not observed its latest change yet; try again", d.Name)
	}
	c := d.Status.Canary
	if c == nil {
		return nil, "", fmt.Errorf("deployment %q has no canaries to promote", d.Name)
	}
	rev := strconv.FormatInt(c.Revision, 10)
	if c.Promoted {
		return nil, fmt.Sprintf("%s canaries of revision %s are already promoted", deploymentRef(d.Name), rev), nil
	}
	if d.Annotations[api.PromoteRevisionAnnotation] == rev {
		return nil, fmt.Sprintf("%s promotion of revision %s already requested", deploymentRef(d.Name), rev), nil
	}
	if c.Healthy < c.Desired && !force {
		return nil, "", fmt.Errorf("deployment %q: %d of %d canaries healthy; wait for them, or promote anyway with --force", d.Name, c.Healthy, c.Desired)
	}
	u := api.Clone(d)
	u.Annotations = maps.Clone(u.Annotations)
	if u.Annotations == nil {
		u.Annotations = map[string]string{}
	}
	u.Annotations[api.PromoteRevisionAnnotation] = rev
	return u, "", nil
}
