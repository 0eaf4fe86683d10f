package main

import (
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newExecCmd) }

func newExecCmd() *cobra.Command {
	var o client.ExecOptions
	var stdin bool
	cmd := &cobra.Command{
		Use:   "exec [-i] [-t] POD [-c TASK] -- COMMAND [ARGS...]",
		Short: "Run a command in a pod's task (container); its exit code becomes barque's",
		Long: `Run a command in the context of a running task, on its node. -i forwards
stdin. -t is accepted for kubectl's sake but there is no terminal: the command
runs with pipes.`,
		Example: `  barque exec web -- ls /
  echo hi | barque exec -i web -c app -- cat`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash != 1 {
				return errors.New("usage: barque exec POD [-c TASK] -- COMMAND [ARGS...]")
			}
			o.Command = args[1:]
			o.Stdout, o.Stderr = os.Stdout, os.Stderr
			if stdin {
				o.Stdin = io.Reader(os.Stdin)
			}
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			code, err := c.PodExec(cmd.Context(), currentNamespace(), args[0], o)
			if err != nil {
				return err
			}
			if code != 0 {
				os.Exit(code) // the remote command's exit code is ours
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Container, "container", "c", "", "task (container) name; required when the pod has several")
	f.BoolVarP(&stdin, "stdin", "i", false, "forward stdin to the command")
	f.BoolVarP(&o.TTY, "tty", "t", false, "accepted; commands run without a terminal")
	return cmd
}
