package main

import (
	"github.com/spf13/cobra"

	execdriver "github.com/barque-io/barque/node/driver/exec"
)

func init() { subcommands = append(subcommands, newExecutorCmd) }

// newExecutorCmd is the exec driver's task supervisor. The agent starts it;
// people do not, hence hidden. Its arguments are not flags.
func newExecutorCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "executor SPEC.json",
		Short:              "Supervise one exec task (started by the agent)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			return execdriver.RunExecutor(args)
		},
	}
}
