package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

// jobKinds are the kinds a job file generates, in the order they are
// listed and removed.
var jobKinds = []string{"Deployment", "Job", "CronJob", "DaemonSet", "Service", "ConfigMap"}

func newJobStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use: "status JOB", Short: "Show what a job runs", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "KIND\tNAME\tGROUP\tSTATUS")
			found := 0
			for _, kind := range jobKinds {
				list, err := c.List(cmd.Context(), kind, currentNamespace(), client.ListOptions{LabelSelector: jobLabel + "=" + args[0]})
				if err != nil {
					return err
				}
				for _, o := range list.Items {
					found++
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", kind, o.GetObjectMeta().Name, o.GetObjectMeta().Labels["barque.io/group"], jobObjectStatus(o))
				}
			}
			if found == 0 {
				return fmt.Errorf("job %q not found in namespace %s", args[0], currentNamespace())
			}
			return tw.Flush()
		},
	}
}

func jobObjectStatus(o api.Object) string {
	switch v := o.(type) {
	case *api.Deployment:
		want := int32(1)
		if v.Spec.Replicas != nil {
			want = *v.Spec.Replicas
		}
		return fmt.Sprintf("%d/%d available, %d updated", v.Status.AvailableReplicas, want, v.Status.UpdatedReplicas)
	case *api.Job:
		return fmt.Sprintf("%d succeeded, %d active, %d failed", v.Status.Succeeded, v.Status.Active, v.Status.Failed)
	case *api.DaemonSet:
		return fmt.Sprintf("%d/%d ready", v.Status.NumberReady, v.Status.DesiredNumberScheduled)
	}
	return "-"
}

func newJobStopCmd() *cobra.Command {
	return &cobra.Command{
		Use: "stop JOB", Short: "Stop a job: delete everything it generated", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			deleted := 0
			for _, kind := range jobKinds {
				list, err := c.List(cmd.Context(), kind, currentNamespace(), client.ListOptions{LabelSelector: jobLabel + "=" + args[0]})
				if err != nil {
					return err
				}
				for _, o := range list.Items {
					m := o.GetObjectMeta()
					err := c.Delete(cmd.Context(), kind, m.Namespace, m.Name, client.DeleteOptions{})
					if err != nil && !errors.Is(err, api.ErrNotFound) {
						return err
					}
					deleted++
				}
			}
			if deleted == 0 {
				return fmt.Errorf("job %q not found in namespace %s", args[0], currentNamespace())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "==> Job %q stopped (%d objects deleted; their pods are garbage-collected)\n", args[0], deleted)
			return nil
		},
	}
}
