package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newExecCmd) }

// noTTYWarning is kubectl's own words for -t without a terminal.
const noTTYWarning = "Unable to use a TTY - input is not a terminal or the right kind of file"

func newExecCmd() *cobra.Command {
	var o client.ExecOptions
	var stdin bool
	cmd := &cobra.Command{
		Use:   "exec [-i] [-t] POD [-c TASK] -- COMMAND [ARGS...]",
		Short: "Run a command in a pod's task (container); its exit code becomes barque's",
		Long: `Run a command in the context of a running task, on its node. -i forwards
stdin. -t runs the command on a terminal (stdout and stderr merged) when
barque's stdin is one: the local terminal is switched to raw mode for the
session and its size follows window changes. When stdin is not a terminal,
-t is dropped with a warning, as kubectl does.`,
		Example: `  barque exec web -- ls /
  echo hi | barque exec -i web -c app -- cat
  barque exec -it web -- sh`,
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
			var restore func()
			if o.TTY {
				restore = setupTTY(&o, stdin)
			}
			code, err := c.PodExec(cmd.Context(), currentNamespace(), args[0], o)
			if restore != nil {
				restore()
			}
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
	f.BoolVarP(&o.TTY, "tty", "t", false, "run the command on a terminal (when stdin is one)")
	return cmd
}

// setupTTY readies a -t session: without a terminal on stdin it drops the
// TTY with kubectl's warning; with one it sends the terminal's size and
// its changes (SIGWINCH) and, when stdin is forwarded, puts the terminal
// in raw mode so keys reach the remote terminal as typed. The returned
// function undoes it all.
func setupTTY(o *client.ExecOptions, stdin bool) func() {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		fmt.Fprintln(os.Stderr, noTTYWarning)
		o.TTY = false
		return nil
	}
	sizes := make(chan client.TerminalSize, 1)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	done := make(chan struct{})
	send := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case sizes <- client.TerminalSize{Width: uint16(w), Height: uint16(h)}:
			case <-done:
			}
		}
	}
	send() // the first size, waiting in the channel for PodExec
	go func() {
		for {
			select {
			case <-done:
				return
			case <-winch:
				send()
			}
		}
	}()
	o.Resize = sizes
	var old *term.State
	if stdin {
		var err error
		if old, err = term.MakeRaw(fd); err != nil {
			fmt.Fprintln(os.Stderr, "barque: cannot put the terminal in raw mode:", err)
		}
	}
	return func() {
		signal.Stop(winch)
		close(done)
		if old != nil {
			_ = term.Restore(fd, old)
		}
	}
}
