// Command barque is the one binary of Barque: the control-plane server, the
// node agent, the all-in-one `dev` cluster, and the CLI verbs.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// subcommands is filled by each command's file from init, so that files do
// not edit one shared list.
var subcommands []func() *cobra.Command

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "barque",
		Short:         "Barque: a container orchestrator with an etcd-free Raft control plane",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addGlobalFlags(root)
	for _, mk := range subcommands {
		root.AddCommand(mk())
	}
	return root
}

func main() {
	root := newRootCmd()
	root.SetArgs(nomadStyleArgs(os.Args[1:]))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
