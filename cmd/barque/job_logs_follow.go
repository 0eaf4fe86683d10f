package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

// followJobLogs streams the logs of the job's pods until interrupted: the
// pods labelled with the job now and those created later (followPods).
func followJobLogs(cmd *cobra.Command, c *client.Client, job string, o jobLogsOpts) error {
	ctx := cmd.Context()
	sel := jobLabel + "=" + job
	list, err := c.List(ctx, "Pod", currentNamespace(), client.ListOptions{LabelSelector: sel})
	if err != nil {
		return err
	}
	if len(list.Items) == 0 {
		if _, err := getRecord(ctx, c, job); err != nil {
			return fmt.Errorf("job %q has no pods in namespace %s", job, currentNamespace())
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "==> Job %q has no pods yet; waiting for them\n", job)
	}
	streams := logStreams(podsOf(list.Items), o.task)
	switch {
	case o.maxRequests < 1:
		return errors.New("--max-log-requests must be at least 1")
	case o.task != "" && len(list.Items) > 0 && len(streams) == 0:
		return fmt.Errorf("job %q has no task %q", job, o.task)
	case len(streams) > o.maxRequests:
		return fmt.Errorf("you are attempting to follow %d log streams, but maximum allowed concurrency is %d, use --max-log-requests to increase the limit", len(streams), o.maxRequests)
	}
	w := &prefixWriter{out: cmd.OutOrStdout()}
	f := &podFollower{
		streams: func(p *api.Pod) []logStream { return logStreams([]*api.Pod{p}, o.task) },
		copy: func(ctx context.Context, s logStream, initial bool) {
			so := o
			if !initial {
				so.tail = -1
			}
			copyLogs(ctx, cmd, c, s, so, w)
		},
		max: o.maxRequests,
		skipped: func(p *api.Pod) {
			fmt.Fprintf(cmd.ErrOrStderr(), "pod/%s is not followed: already following the most streams --max-log-requests allows (%d)\n", p.Name, o.maxRequests)
		},
	}
	return followPods(ctx, c, sel, list, f)
}

// followPods follows the logs of the pods a selector matches until ctx
// ends: those of list, then, watching from the list's resourceVersion,
// those created later. A pod's streams start once it runs (or has
// finished: its output is still there) and stop when it is deleted.
func followPods(ctx context.Context, c *client.Client, selector string, list *client.List, f *podFollower) error {
	sel := client.ListOptions{LabelSelector: selector}
	w, err := c.Watch(ctx, "Pod", currentNamespace(), client.WatchOptions{ListOptions: sel, ResourceVersion: list.ResourceVersion})
	if err != nil {
		return err
	}
	defer w.Stop()
	f.pods = map[string]*followed{}
	defer f.stopAll()
	for _, obj := range list.Items {
		f.update(ctx, obj.(*api.Pod), true)
	}
	for ev := range w.Events() {
		switch ev.Type {
		case client.EventError:
			return ev.Err
		case client.EventDeleted:
			f.forget(ev.Object.(*api.Pod))
		case client.EventAdded, client.EventModified:
			f.update(ctx, ev.Object.(*api.Pod), false)
		}
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func podsOf(objs []api.Object) []*api.Pod {
	out := make([]*api.Pod, len(objs))
	for i, o := range objs {
		out[i] = o.(*api.Pod)
	}
	return out
}

// followed is one pod whose streams are being followed.
type followed struct {
	cancel  context.CancelFunc
	streams int
}

// podFollower starts and stops the streams of the followed pods.
type podFollower struct {
	// streams are the pod's streams to follow.
	streams func(p *api.Pod) []logStream
	// copy prints one stream until ctx ends or the pod is over; initial is
	// true for the pods that existed when following started.
	copy func(ctx context.Context, s logStream, initial bool)
	// max bounds the streams followed at once (0: no bound); skipped is
	// called for a pod left out because of it.
	max     int
	skipped func(p *api.Pod)

	wg     sync.WaitGroup
	pods   map[string]*followed // by pod uid
	active int
}

// update starts following a pod's streams the first time it is seen
// running (or finished).
func (f *podFollower) update(ctx context.Context, p *api.Pod, initial bool) {
	if _, ok := f.pods[p.UID]; ok || !hasLogs(p) {
		return
	}
	streams := f.streams(p)
	if f.max > 0 && f.active+len(streams) > f.max {
		if f.skipped != nil {
			f.skipped(p)
		}
		f.pods[p.UID] = &followed{cancel: func() {}}
		return
	}
	pctx, cancel := context.WithCancel(ctx)
	f.pods[p.UID] = &followed{cancel: cancel, streams: len(streams)}
	f.active += len(streams)
	for _, s := range streams {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); f.copy(pctx, s, initial) }()
	}
}

// forget stops following a deleted pod.
func (f *podFollower) forget(p *api.Pod) {
	if fp, ok := f.pods[p.UID]; ok {
		fp.cancel()
		f.active -= fp.streams
		delete(f.pods, p.UID)
	}
}

func (f *podFollower) stopAll() {
	for uid, fp := range f.pods {
		fp.cancel()
		delete(f.pods, uid)
	}
	f.active = 0
	f.wg.Wait()
}

// hasLogs: the pod is on a node and its tasks have started.
func hasLogs(p *api.Pod) bool {
	if p.Spec.NodeName == "" {
		return false
	}
	switch p.Status.Phase {
	case api.PodRunning, api.PodSucceeded, api.PodFailed:
		return true
	}
	return false
}
