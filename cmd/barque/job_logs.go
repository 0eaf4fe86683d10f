package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

func init() { jobSubcommands = append(jobSubcommands, newJobLogsCmd) }

type jobLogsOpts struct {
	task        string
	follow      bool
	tail        int
	maxRequests int
}

func newJobLogsCmd() *cobra.Command {
	o := jobLogsOpts{tail: -1, maxRequests: 50}
	cmd := &cobra.Command{
		Use:   "logs JOB [-f] [--task T] [--tail N]",
		Short: "Print the logs of every task of a job's pods, each line prefixed with [pod/task]",
		Long: `Merge the output of all the job's pods: every line is prefixed with
[pod/task]. Without -f the pods are printed one after the other. With -f
their lines are interleaved as they come, until interrupted: the job's pods
are watched, so that pods started later (a new version, a replacement) are
followed from their first line once they run, and a deleted pod is no
longer followed. --tail applies to the pods running when the command
starts.`,
		Args: exactArgs(1, "a job name"), ValidArgsFunction: completeJobNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			return jobLogs(cmd, c, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.task, "task", "t", "", "only this task (container)")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep streaming new output")
	f.IntVar(&o.tail, "tail", -1, "only the last N lines of each stream (-1: all)")
	f.IntVar(&o.maxRequests, "max-log-requests", 50, "with -f: the most streams followed at once")
	return cmd
}

// logStream is one task of one pod.
type logStream struct{ pod, task string }

func jobLogs(cmd *cobra.Command, c *client.Client, job string, o jobLogsOpts) error {
	if o.follow {
		return followJobLogs(cmd, c, job, o)
	}
	pods, err := jobPods(cmd.Context(), c, job)
	if err != nil {
		return err
	}
	if len(pods) == 0 {
		return fmt.Errorf("job %q has no pods in namespace %s", job, currentNamespace())
	}
	streams := logStreams(pods, o.task)
	if len(streams) == 0 {
		return fmt.Errorf("job %q has no task %q", job, o.task)
	}
	w := &prefixWriter{out: cmd.OutOrStdout()}
	for _, s := range streams {
		copyLogs(cmd.Context(), cmd, c, s, o, w)
	}
	return nil
}

func logStreams(pods []*api.Pod, task string) []logStream {
	var out []logStream
	for _, p := range pods {
		for _, ct := range p.Spec.Containers {
			if task == "" || ct.Name == task {
				out = append(out, logStream{p.Name, ct.Name})
			}
		}
	}
	return out
}

// copyLogs prints one stream; a pod whose logs cannot be read (not yet
// placed, node gone) is reported on stderr and skipped.
// With -f the stream is resumed when it breaks (client.FollowPodLogs).
func copyLogs(ctx context.Context, cmd *cobra.Command, c *client.Client, s logStream, o jobLogsOpts, w *prefixWriter) {
	lo := client.LogOptions{Container: s.task, Follow: o.follow}
	if o.tail >= 0 {
		tail := o.tail
		lo.TailLines = &tail
	}
	prefix := "[" + s.pod + "/" + s.task + "] "
	if o.follow {
		err := followLogs(ctx, c, s.pod, lo, w, prefix)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "%sno logs: %v\n", prefix, err)
		}
		return
	}
	rc, err := c.PodLogs(ctx, currentNamespace(), s.pod, lo)
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "[%s/%s] no logs: %v\n", s.pod, s.task, err)
		}
		return
	}
	defer rc.Close()
	if err := w.copy(ctx, prefix, rc); err != nil && ctx.Err() == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "[%s/%s] %v\n", s.pod, s.task, err)
	}
}

// prefixWriter writes whole lines from several streams, each with its
// stream's prefix, so that lines never interleave mid-line.
type prefixWriter struct {
	mu  sync.Mutex
	out io.Writer
}

// line writes one line with its prefix.
func (w *prefixWriter) line(prefix string, text []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := fmt.Fprintf(w.out, "%s%s\n", prefix, text)
	return err
}

// followLogs follows one pod's stream(s), printed line by line with
// prefix; a broken stream is resumed without repeating lines.
func followLogs(ctx context.Context, c *client.Client, pod string, lo client.LogOptions, w *prefixWriter, prefix string) error {
	return c.FollowPodLogs(ctx, currentNamespace(), pod, lo, func(text []byte) error { return w.line(prefix, text) })
}

func (w *prefixWriter) copy(ctx context.Context, prefix string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		w.mu.Lock()
		_, err := fmt.Fprintf(w.out, "%s%s\n", prefix, sc.Text())
		w.mu.Unlock()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return sc.Err()
}
