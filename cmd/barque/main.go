// Command barque is the one binary of Barque: the control-plane server, the
// node agent, the all-in-one `dev` cluster, and the CLI verbs.
package main

import (
	"errors"
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
		os.Exit(exitCode(err))
	}
}

// exitError carries a verb's own exit code (`job plan` answers 1 for
// "changes" and 255 for errors, as Nomad's does); a nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode prints err as "Error: …" on stderr (unless it is a bare exit
// code) and answers the process's exit code: the error's own, else 1.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "Error:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	return 1
}
