package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/scheduler"
)

func init() { subcommands = append(subcommands, newRolloutCmd) }

// restartedAtAnnotation is what `rollout restart` stamps on the pod
// template, under kubectl's name, so the template hash changes.
const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// changeCauseAnnotation is the free text `rollout history` shows.
const changeCauseAnnotation = "kubernetes.io/change-cause"

func newRolloutCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout SUBCOMMAND deployment/NAME",
		Short: "Manage the rollout of a Deployment",
		Example: `  barque rollout status deployment/web
  barque rollout history deployment/web
  barque rollout undo deployment/web --to-revision=2
  barque rollout promote deployment/web
  barque rollout restart deployment/web`,
	}
	cmd.AddCommand(newRolloutStatusCmd(), newRolloutHistoryCmd(), newRolloutUndoCmd(),
		newRolloutPauseCmd(), newRolloutResumeCmd(), newRolloutRestartCmd(), newRolloutPromoteCmd())
	return cmd
}

// deploymentArg reads "deployment/NAME" (any spelling of the kind, with or
// without ".apps") or "deployment NAME" and returns the name.
func deploymentArg(args []string) (string, error) {
	var kind, name string
	switch {
	case len(args) == 1 && strings.Contains(args[0], "/"):
		kind, name, _ = strings.Cut(args[0], "/")
	case len(args) == 2 && !strings.Contains(args[0], "/"):
		kind, name = args[0], args[1]
	default:
		return "", errors.New("give one deployment as deployment/NAME or deployment NAME")
	}
	ki, err := api.ResolveName(strings.TrimSuffix(kind, ".apps"))
	if err != nil {
		return "", err
	}
	if ki.Kind != "Deployment" {
		return "", fmt.Errorf("rollout supports only deployments, not %s", strings.ToLower(ki.Kind))
	}
	if name == "" {
		return "", errors.New("the deployment name is empty")
	}
	return name, nil
}

// deploymentRef is the kubectl spelling used in messages.
func deploymentRef(name string) string { return "deployment.apps/" + name }

func getDeployment(ctx context.Context, c *client.Client, name string) (*api.Deployment, error) {
	obj, err := c.Get(ctx, "Deployment", currentNamespace(), name, client.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*api.Deployment), nil
}

// simpleRolloutCmd builds a verb that takes one deployment and runs fn.
func simpleRolloutCmd(use, short string, fn func(context.Context, *cobra.Command, *client.Client, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use + " deployment/NAME",
		Short: short,
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := deploymentArg(args)
			if err != nil {
				return err
			}
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			return fn(cmd.Context(), cmd, c, name)
		},
	}
}

// ---- status ----

type rolloutStatusOpts struct {
	watch            bool
	waitForPromotion bool
	timeout          time.Duration
}

func newRolloutStatusCmd() *cobra.Command {
	var o rolloutStatusOpts
	cmd := simpleRolloutCmd("status", "Watch a Deployment until its rollout completes", func(ctx context.Context, cmd *cobra.Command, c *client.Client, name string) error {
		if o.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.timeout)
			defer cancel()
		}
		return runRolloutStatus(ctx, cmd, c, name, o)
	})
	cmd.Long = `Status prints the rollout's progress each time it changes and returns when the
rollout is complete (every replica updated and available, no old replica
left). It exits 1 when the Deployment exceeds its progress deadline.

With a canary step (spec.strategy.canary) it shows the canaries' health.
Once every canary is healthy and the rollout waits for a manual promotion,
it says so and exits 0, as Nomad's deployment monitor does; with
--wait-for-promotion it keeps watching until someone promotes them
(barque rollout promote) and the rollout completes.`
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", true, "watch until the rollout completes")
	cmd.Flags().BoolVar(&o.waitForPromotion, "wait-for-promotion", false, "keep watching while healthy canaries wait for a manual promotion")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up after this long (0: never)")
	return cmd
}

// rolloutStatus is kubectl's verdict on a Deployment: a progress line, done,
// or an error once the progress deadline is exceeded.
func rolloutStatus(d *api.Deployment) (string, bool, error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...", false, nil
	}
	if c := api.FindCondition(d.Status.Conditions, api.DeploymentProgressing); c != nil && c.Reason == scheduler.ReasonTimedOut {
		return "", false, fmt.Errorf("deployment %q exceeded its progress deadline", d.Name)
	}
	st := d.Status
	if c := st.Canary; c != nil && !c.Promoted {
		return canaryProgress(d, c), false, nil
	}
	if want := replicasWanted(d); st.UpdatedReplicas < want {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...", d.Name, st.UpdatedReplicas, want), false, nil
	}
	if st.Replicas > st.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...", d.Name, st.Replicas-st.UpdatedReplicas), false, nil
	}
	if st.AvailableReplicas < st.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...", d.Name, st.AvailableReplicas, st.UpdatedReplicas), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out", d.Name), true, nil
}

func replicasWanted(d *api.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// canaryProgress is the progress line of a canary step.
func canaryProgress(d *api.Deployment, c *api.DeploymentCanaryStatus) string {
	switch {
	case c.Healthy < c.Desired:
		return fmt.Sprintf("Waiting for deployment %q canaries: %d of %d canaries healthy...", d.Name, c.Healthy, c.Desired)
	case autoPromote(d) || promotionRequested(d):
		return fmt.Sprintf("Waiting for deployment %q canaries to be promoted: %d of %d canaries healthy...", d.Name, c.Healthy, c.Desired)
	}
	return fmt.Sprintf("Waiting for promotion of deployment %q: %d of %d canaries healthy", d.Name, c.Healthy, c.Desired)
}

func autoPromote(d *api.Deployment) bool {
	return d.Spec.Strategy.Canary != nil && d.Spec.Strategy.Canary.AutoPromote
}

// promotionRequested: someone promoted the canaries, and the controller
// has not acted on it yet.
func promotionRequested(d *api.Deployment) bool {
	c := d.Status.Canary
	return c != nil && d.Annotations[api.PromoteRevisionAnnotation] == strconv.FormatInt(c.Revision, 10)
}

// awaitsPromotion: the rollout's canaries are all healthy and only a
// person can move it on (the status must describe the current spec).
func awaitsPromotion(d *api.Deployment) bool {
	c := d.Status.Canary
	return d.Generation <= d.Status.ObservedGeneration && c != nil && !c.Promoted &&
		c.Healthy >= c.Desired && !autoPromote(d) && !promotionRequested(d)
}

// runRolloutStatus prints each new progress line from a watch of the
// Deployment until the verdict is done or an error, or until healthy
// canaries wait for a promotion (unless told to wait for it).
func runRolloutStatus(ctx context.Context, cmd *cobra.Command, c *client.Client, name string, o rolloutStatusOpts) error {
	d, err := getDeployment(ctx, c, name)
	if err != nil {
		return err
	}
	last := ""
	report := func(d *api.Deployment) (bool, error) {
		msg, done, err := rolloutStatus(d)
		if err != nil {
			return false, err
		}
		if msg != last {
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			last = msg
		}
		if !done && !o.waitForPromotion && awaitsPromotion(d) {
			fmt.Fprintf(cmd.OutOrStdout(), "Deployment %q requires promotion: run 'barque rollout promote deployment/%s'\n", d.Name, d.Name)
			return true, nil
		}
		return done, nil
	}
	if done, err := report(d); done || err != nil || !o.watch {
		return err
	}
	w, err := c.Watch(ctx, "Deployment", d.Namespace, client.WatchOptions{ResourceVersion: d.ResourceVersion})
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.Events() {
		if ev.Err != nil {
			return ev.Err
		}
		if ev.Object == nil || ev.Object.GetObjectMeta().Name != name {
			continue
		}
		if ev.Type == client.EventDeleted {
			return fmt.Errorf("deployment %q was deleted", name)
		}
		if done, err := report(ev.Object.(*api.Deployment)); done || err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("timed out waiting for the rollout of deployment %q: %w", name, ctx.Err())
	}
	return errors.New("the watch ended before the rollout completed")
}

// ---- pause, resume, restart ----

func newRolloutPauseCmd() *cobra.Command {
	return simpleRolloutCmd("pause", "Stop the controller rolling out changes to a Deployment's template",
		func(ctx context.Context, cmd *cobra.Command, c *client.Client, name string) error {
			return setPaused(ctx, cmd, c, name, true)
		})
}

func newRolloutResumeCmd() *cobra.Command {
	return simpleRolloutCmd("resume", "Let a paused Deployment roll out again",
		func(ctx context.Context, cmd *cobra.Command, c *client.Client, name string) error {
			return setPaused(ctx, cmd, c, name, false)
		})
}

func setPaused(ctx context.Context, cmd *cobra.Command, c *client.Client, name string, paused bool) error {
	d, err := getDeployment(ctx, c, name)
	if err != nil {
		return err
	}
	if d.Spec.Paused == paused {
		if paused {
			return fmt.Errorf("deployments.apps %q is already paused", name)
		}
		return fmt.Errorf("deployments.apps %q is not paused", name)
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"paused": paused}})
	if _, err := c.Patch(ctx, "Deployment", d.Namespace, name, patch); err != nil {
		return err
	}
	verb := "resumed"
	if paused {
		verb = "paused"
	}
	fmt.Fprintln(cmd.OutOrStdout(), deploymentRef(name), verb)
	return nil
}

func newRolloutRestartCmd() *cobra.Command {
	return simpleRolloutCmd("restart", "Replace every pod of a Deployment through a new rollout",
		func(ctx context.Context, cmd *cobra.Command, c *client.Client, name string) error {
			d, err := getDeployment(ctx, c, name)
			if err != nil {
				return err
			}
			if d.Spec.Paused {
				return fmt.Errorf("can't restart paused deployment (run rollout resume first)")
			}
			if _, err := c.Patch(ctx, "Deployment", d.Namespace, name, restartPatch(time.Now())); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), deploymentRef(name), "restarted")
			return nil
		})
}

// restartPatch stamps the template with the time, which changes its hash.
func restartPatch(now time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{restartedAtAnnotation: now.Format(time.RFC3339)}}}}})
	return b
}
