package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newLogsCmd) }

func newLogsCmd() *cobra.Command {
	var o client.LogOptions
	tail := -1
	cmd := &cobra.Command{
		Use:   "logs POD [-c TASK] [-f] [--tail N] [--previous]",
		Short: "Print the logs of a pod's task (container), streamed from its node",
		Long: `Print a task's output: stdout, then stderr (with -f, lines of both as they
come). --tail applies to each stream. --previous prints the run before the
current one (kept when a task restarts).`,
		Example: `  barque logs web
  barque logs web -c sidecar --tail 20 -f`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tail >= 0 {
				o.TailLines = &tail
			}
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			rc, err := c.PodLogs(cmd.Context(), currentNamespace(), args[0], o)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(os.Stdout, rc)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Container, "container", "c", "", "task (container) name; required when the pod has several")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep streaming new output")
	f.IntVar(&tail, "tail", -1, "only the last N lines of each stream (-1: all)")
	f.BoolVarP(&o.Previous, "previous", "p", false, "the previous run of the task")
	return cmd
}
