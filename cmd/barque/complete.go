package main

import (
	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api/client"
)

// completeJobNames completes the first argument with the jobs of the
// current namespace.
func completeJobNames(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	return completeNames(cmd, args, "NomadJob", currentNamespace())
}

// completeNodeNames completes the first argument with the cluster's nodes.
func completeNodeNames(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	return completeNames(cmd, args, "Node", "")
}

// completeNames offers the names of kind's objects in ns for the first
// argument, and nothing (not even files) after it.
func completeNames(cmd *cobra.Command, args []string, kind, ns string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := newAPIClient()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	list, err := c.List(cmd.Context(), kind, ns, client.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, o := range list.Items {
		names = append(names, o.GetObjectMeta().Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
