package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newNodeCmd) }

func newNodeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "node", Short: "Node operations: status, eligibility and drain"}
	cmd.AddCommand(newNodeStatusCmd(), newNodeEligibilityCmd(), newNodeDrainCmd())
	return cmd
}

func newNodeEligibilityCmd() *cobra.Command {
	var enable, disable bool
	cmd := &cobra.Command{
		Use: "eligibility NODE (--enable | --disable)", Short: "Mark a node (in)eligible for new pods (cordon)", Args: cobra.ExactArgs(1),
		ValidArgsFunction: completeNodeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if enable == disable {
				return errors.New("exactly one of --enable and --disable is required")
			}
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			if err := setUnschedulable(cmd.Context(), c, args[0], disable); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Node %q scheduling eligibility set: %s\n", args[0], map[bool]string{true: "ineligible", false: "eligible"}[disable])
			return nil
		},
	}
	cmd.Flags().BoolVar(&enable, "enable", false, "let the scheduler place pods on the node")
	cmd.Flags().BoolVar(&disable, "disable", false, "keep new pods off the node (running pods stay)")
	return cmd
}

func setUnschedulable(ctx context.Context, c *client.Client, node string, on bool) error {
	_, err := c.Patch(ctx, "Node", "", node, fmt.Appendf(nil, `{"spec":{"unschedulable":%t}}`, on))
	return err
}

func newNodeDrainCmd() *cobra.Command {
	var deadline time.Duration
	cmd := &cobra.Command{
		Use:   "drain NODE [--deadline D]",
		Short: "Cordon a node and evict its pods; their controllers replace them elsewhere",
		Long: `Drain marks the node ineligible, then deletes every pod on it except DaemonSet
pods (they belong to the node). Pods owned by a controller are replaced on
other nodes; bare pods are gone. It waits until the node holds no more
evicted pods, or the deadline passes.`,
		Args: cobra.ExactArgs(1), ValidArgsFunction: completeNodeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), deadline)
			defer cancel()
			return drainNode(ctx, cmd, c, args[0])
		},
	}
	cmd.Flags().DurationVar(&deadline, "deadline", time.Hour, "give up waiting after this long")
	return cmd
}

func drainNode(ctx context.Context, cmd *cobra.Command, c *client.Client, node string) error {
	if err := setUnschedulable(ctx, c, node, true); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "==> Node %q marked ineligible; evicting its pods\n", node)
	for {
		pods, err := c.List(ctx, "Pod", "", client.ListOptions{FieldSelector: "spec.nodeName=" + node})
		if err != nil {
			return err
		}
		left := 0
		for _, o := range pods.Items {
			p := o.(*api.Pod)
			if ownedByDaemonSet(p) || api.PodIsTerminal(p) {
				continue
			}
			left++
			err := c.Delete(ctx, "Pod", p.Namespace, p.Name, client.DeleteOptions{})
			if err == nil {
				fmt.Fprintf(out, "    evicted pod %s/%s\n", p.Namespace, p.Name)
			} else if !errors.Is(err, api.ErrNotFound) {
				return err
			}
		}
		if left == 0 {
			fmt.Fprintf(out, "==> Node %q drained\n", node)
			return nil
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return fmt.Errorf("drain of %s did not finish before the deadline: %d pods left", node, left)
		}
	}
}

func ownedByDaemonSet(p *api.Pod) bool {
	for _, r := range p.OwnerReferences {
		if r.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}
