package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/api/table"
	"github.com/spf13/cobra"
)

func newNodeStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status [NODE]",
		Short: "List nodes (status, eligibility, drivers, pods), or show one node and the pods it runs",
		Args:  cobra.MaximumNArgs(1), ValidArgsFunction: completeNodeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				list, err := c.List(cmd.Context(), "Node", "", client.ListOptions{})
				if err != nil {
					return err
				}
				pods, err := c.List(cmd.Context(), "Pod", "", client.ListOptions{})
				if err != nil {
					return err
				}
				return printNodeList(cmd.OutOrStdout(), list.Items, podsPerNode(pods.Items))
			}
			o, err := c.Get(cmd.Context(), "Node", "", args[0], client.GetOptions{})
			if err != nil {
				return err
			}
			pods, err := c.List(cmd.Context(), "Pod", "", client.ListOptions{FieldSelector: "spec.nodeName=" + args[0]})
			if err != nil {
				return err
			}
			return printNodeStatus(cmd.OutOrStdout(), o.(*api.Node), pods.Items)
		},
	}
}

func eligibility(n *api.Node) string {
	if n.Spec.Unschedulable {
		return "ineligible"
	}
	return "eligible"
}

// podsPerNode counts the pods bound to each node that have not finished
// and are not being deleted.
func podsPerNode(pods []api.Object) map[string]int {
	out := map[string]int{}
	for _, o := range pods {
		if p := o.(*api.Pod); p.Spec.NodeName != "" && !api.PodIsTerminal(p) && p.DeletionTimestamp == nil {
			out[p.Spec.NodeName]++
		}
	}
	return out
}

func labelList(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for k, v := range labels {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func printNodeList(w io.Writer, nodes []api.Object, pods map[string]int) error {
	if len(nodes) == 0 {
		fmt.Fprintln(w, "No nodes")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDC\tADDRESS\tSTATUS\tELIGIBILITY\tDRIVERS\tPODS")
	for _, o := range nodes {
		n := o.(*api.Node)
		m, err := toMap(n)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", n.Name, orDefault(n.Status.Datacenter, "-"), table.NodeInternalIP(m),
			table.NodeStatus(m), eligibility(n), orNone(strings.Join(n.Status.Drivers, ",")), pods[n.Name])
	}
	return tw.Flush()
}

func printNodeStatus(w io.Writer, n *api.Node, pods []api.Object) error {
	m, err := toMap(n)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "Name\t= %s\n", n.Name)
	fmt.Fprintf(tw, "Datacenter\t= %s\n", orDefault(n.Status.Datacenter, "-"))
	fmt.Fprintf(tw, "Address\t= %s\n", table.NodeInternalIP(m))
	fmt.Fprintf(tw, "Status\t= %s\n", table.NodeStatus(m))
	fmt.Fprintf(tw, "Eligibility\t= %s\n", eligibility(n))
	fmt.Fprintf(tw, "Drivers\t= %s\n", orNone(strings.Join(n.Status.Drivers, ",")))
	fmt.Fprintf(tw, "Version\t= %s\n", table.NodeVersion(m))
	fmt.Fprintf(tw, "CPU (alloc/cap)\t= %s\n", table.NodeResource(m, "cpu"))
	fmt.Fprintf(tw, "Memory (alloc/cap)\t= %s\n", table.NodeResource(m, "memory"))
	fmt.Fprintf(tw, "Labels\t= %s\n", orNone(labelList(n.Labels)))
	tw.Flush()
	fmt.Fprintln(w, "\nPods")
	if len(pods) == 0 {
		fmt.Fprintln(w, "No pods")
		return nil
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].GetObjectMeta().Key() < pods[j].GetObjectMeta().Key() })
	tw = tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tJOB\tSTATUS\tREADY\tAGE")
	for _, o := range pods {
		pm, err := toMap(o)
		if err != nil {
			return err
		}
		meta := o.GetObjectMeta()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", meta.Namespace, meta.Name, orDefault(meta.Labels[api.LabelNomadJob], "-"),
			table.PodStatus(pm), table.PodReady(pm), ageOf(pm.Str("metadata", "creationTimestamp")))
	}
	return tw.Flush()
}
