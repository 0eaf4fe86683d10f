package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newLogsCmd) }

// logsOpts are logs' flags beyond the server's log options.
type logsOpts struct {
	client.LogOptions
	tail          int
	selector      string
	allContainers bool
	prefix        bool
	maxRequests   int
}

func newLogsCmd() *cobra.Command {
	o := logsOpts{tail: -1, maxRequests: 5}
	cmd := &cobra.Command{
		Use:   "logs [pod/]POD [-c TASK] [-f] [--tail N] [--previous] | logs -l SELECTOR [--all-containers] [--prefix]",
		Short: "Print the logs of a pod's task (container), streamed from its node",
		Long: `Print a task's output: stdout, then stderr (with -f, lines of both as they
come). --tail applies to each stream. --previous prints the run before the
current one (kept when a task restarts).

With -l, the logs of every pod the selector matches, one after the other
(with -f, interleaved line by line as they come, and pods created later
are followed too): of its first task, of
the task -c names, or of all its tasks (init tasks first) with
--all-containers. As kubectl, --tail then defaults to 10 lines per stream,
and --prefix starts each line with [pod/POD/TASK]. With -f, at most
--max-log-requests streams are followed at once.

With -f, a stream that breaks (the server that proxied it stopped, the
node agent restarted) is reopened through another server and resumed
after its last line, so that no line is repeated or lost; following ends
when the pod is deleted, or once a finished pod's output is printed.`,
		Example: `  barque logs web
  barque logs web -c sidecar --tail 20 -f
  barque logs -l app=web --all-containers --prefix`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.selector != "" && len(args) > 0:
				return errors.New("only one of a pod name and a selector (-l) can be given")
			case o.selector == "" && len(args) != 1:
				return fmt.Errorf("%q needs a pod name, or -l SELECTOR\nUsage: %s", cmd.CommandPath(), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			if o.selector != "" {
				return selectorLogs(cmd, c, o)
			}
			return podLogs(cmd, c, strings.TrimPrefix(args[0], "pod/"), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Container, "container", "c", "", "task (container) name; required when the pod has several")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep streaming new output")
	f.IntVar(&o.tail, "tail", -1, "only the last N lines of each stream (-1: all; 10 with -l)")
	f.BoolVarP(&o.Previous, "previous", "p", false, "the previous run of the task")
	f.StringVarP(&o.selector, "selector", "l", "", "the logs of every pod this label selector matches")
	f.BoolVar(&o.allContainers, "all-containers", false, "every task of the pod(s), not only one")
	f.BoolVar(&o.prefix, "prefix", false, "start each line with [pod/POD/TASK]")
	f.IntVar(&o.maxRequests, "max-log-requests", 5, "with -l and -f: the most streams followed at once")
	return cmd
}

// podLogs prints one pod's logs: one task, or all with --all-containers.
func podLogs(cmd *cobra.Command, c *client.Client, name string, o logsOpts) error {
	if !o.allContainers && !o.prefix {
		lo := o.LogOptions
		if o.tail >= 0 {
			tail := o.tail
			lo.TailLines = &tail
		}
		if o.Follow {
			return followLogs(cmd.Context(), c, name, lo, &prefixWriter{out: cmd.OutOrStdout()}, "")
		}
		rc, err := c.PodLogs(cmd.Context(), currentNamespace(), name, lo)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(cmd.OutOrStdout(), rc)
		return err
	}
	obj, err := c.Get(cmd.Context(), "Pod", currentNamespace(), name, client.GetOptions{})
	if err != nil {
		return err
	}
	return printStreams(cmd, c, podStreams([]*api.Pod{obj.(*api.Pod)}, o), o)
}

// selectorLogs prints the logs of every pod the selector matches.
func selectorLogs(cmd *cobra.Command, c *client.Client, o logsOpts) error {
	if o.Follow {
		return followSelector(cmd, c, o)
	}
	list, err := c.List(cmd.Context(), "Pod", currentNamespace(), client.ListOptions{LabelSelector: o.selector})
	if err != nil {
		return err
	}
	if len(list.Items) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), noResources(&api.KindInfo{Kind: "Pod", Namespaced: true}, currentNamespace()))
		return nil
	}
	pods := make([]*api.Pod, len(list.Items))
	for i, obj := range list.Items {
		pods[i] = obj.(*api.Pod)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	if o.tail < 0 {
		o.tail = 10
	}
	streams := podStreams(pods, o)
	if len(streams) == 0 {
		return fmt.Errorf("no pod matching %q has a task %q", o.selector, o.Container)
	}
	return printStreams(cmd, c, streams, o)
}

// podStreams are the tasks whose logs are printed: -c's, every task with
// --all-containers (init tasks first), else each pod's first task.
func podStreams(pods []*api.Pod, o logsOpts) []logStream {
	var out []logStream
	for _, p := range pods {
		switch {
		case o.allContainers:
			for _, cs := range [][]api.Container{p.Spec.InitContainers, p.Spec.Containers} {
				for _, ct := range cs {
					if o.Container == "" || ct.Name == o.Container {
						out = append(out, logStream{p.Name, ct.Name})
					}
				}
			}
		case o.Container != "":
			if hasContainer(p.Spec.InitContainers, o.Container) || hasContainer(p.Spec.Containers, o.Container) {
				out = append(out, logStream{p.Name, o.Container})
			}
		case len(p.Spec.Containers) > 0:
			out = append(out, logStream{p.Name, p.Spec.Containers[0].Name})
		}
	}
	return out
}

func hasContainer(cs []api.Container, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// logPrefix is kubectl's --prefix: "[pod/NAME/CONTAINER] ".
func logPrefix(s logStream) string { return "[pod/" + s.pod + "/" + s.task + "] " }

// printStreams prints each stream, one after the other, or all at once,
// line by line, with -f. A stream that cannot be read is reported on
// stderr and the others go on; the answer is then an error.
func printStreams(cmd *cobra.Command, c *client.Client, streams []logStream, o logsOpts) error {
	w := &prefixWriter{out: cmd.OutOrStdout()}
	var mu sync.Mutex
	var errs error
	one := func(ctx context.Context, s logStream) {
		if err := copyStream(ctx, c, s, o, w); err != nil && ctx.Err() == nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "%sno logs: %v\n", logPrefix(s), err)
			mu.Lock()
			errs = errors.Join(errs, err)
			mu.Unlock()
		}
	}
	if !o.Follow {
		for _, s := range streams {
			one(cmd.Context(), s)
		}
		return errs
	}
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Add(1)
		go func() { defer wg.Done(); one(cmd.Context(), s) }()
	}
	wg.Wait()
	return errs
}

func copyStream(ctx context.Context, c *client.Client, s logStream, o logsOpts, w *prefixWriter) error {
	lo := o.LogOptions
	lo.Container = s.task
	if o.tail >= 0 {
		tail := o.tail
		lo.TailLines = &tail
	}
	prefix := ""
	if o.prefix {
		prefix = logPrefix(s)
	}
	if o.Follow {
		return followLogs(ctx, c, s.pod, lo, w, prefix)
	}
	rc, err := c.PodLogs(ctx, currentNamespace(), s.pod, lo)
	if err != nil {
		return err
	}
	defer rc.Close()
	return w.copy(ctx, prefix, rc)
}

// followSelector follows the pods the selector matches, now and later.
func followSelector(cmd *cobra.Command, c *client.Client, o logsOpts) error {
	if o.maxRequests < 1 {
		return errors.New("--max-log-requests must be at least 1")
	}
	ctx := cmd.Context()
	list, err := c.List(ctx, "Pod", currentNamespace(), client.ListOptions{LabelSelector: o.selector})
	if err != nil {
		return err
	}
	pods := podsOf(list.Items)
	streams := podStreams(pods, o)
	switch {
	case len(pods) == 0:
		fmt.Fprintf(cmd.ErrOrStderr(), "No pods match %q in namespace %s yet; waiting for them\n", o.selector, currentNamespace())
	case len(streams) == 0:
		return fmt.Errorf("no pod matching %q has a task %q", o.selector, o.Container)
	case len(streams) > o.maxRequests:
		return fmt.Errorf("you are attempting to follow %d log streams, but maximum allowed concurrency is %d, use --max-log-requests to increase the limit", len(streams), o.maxRequests)
	}
	if o.tail < 0 {
		o.tail = 10
	}
	w := &prefixWriter{out: cmd.OutOrStdout()}
	f := &podFollower{
		streams: func(p *api.Pod) []logStream { return podStreams([]*api.Pod{p}, o) },
		copy: func(ctx context.Context, s logStream, initial bool) {
			so := o
			if !initial {
				so.tail = -1 // a new pod: from its first line
			}
			if err := copyStream(ctx, c, s, so, w); err != nil && ctx.Err() == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%sno logs: %v\n", logPrefix(s), err)
			}
		},
		max: o.maxRequests,
		skipped: func(p *api.Pod) {
			fmt.Fprintf(cmd.ErrOrStderr(), "pod/%s is not followed: already following the most streams --max-log-requests allows (%d)\n", p.Name, o.maxRequests)
		},
	}
	return followPods(ctx, c, o.selector, list, f)
}
