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

// followJobLogs streams the logs of the job's pods until interrupted. It
// lists the pods labelled with the job, then watches them from the list's
// resourceVersion: each pod's tasks are followed once the pod runs, and a
// pod is no longer followed once it is deleted.
func followJobLogs(cmd *cobra.Command, c *client.Client, job string, o jobLogsOpts) error {
	ctx := cmd.Context()
	sel := client.ListOptions{LabelSelector: jobLabel + "=" + job}
	list, err := c.List(ctx, "Pod", currentNamespace(), sel)
	if err != nil {
		return err
	}
	if len(list.Items) == 0 {
		if _, err := getRecord(ctx, c, job); err != nil {
			return fmt.Errorf("job %q has no pods in namespace %s", job, currentNamespace())
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "==> Job %q has no pods yet; waiting for them\n", job)
	}
	if o.task != "" && len(list.Items) > 0 && len(logStreams(podsOf(list.Items), o.task)) == 0 {
		return fmt.Errorf("job %q has no task %q", job, o.task)
	}
	w, err := c.Watch(ctx, "Pod", currentNamespace(), client.WatchOptions{ListOptions: sel, ResourceVersion: list.ResourceVersion})
	if err != nil {
		return err
	}
	defer w.Stop()
	f := &podFollower{cmd: cmd, c: c, o: o, w: &prefixWriter{out: cmd.OutOrStdout()}, pods: map[string]*followed{}}
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

// followed is one pod whose tasks are being followed.
type followed struct {
	cancel context.CancelFunc
}

// podFollower starts and stops the streams of the job's pods.
type podFollower struct {
	cmd  *cobra.Command
	c    *client.Client
	o    jobLogsOpts
	w    *prefixWriter
	wg   sync.WaitGroup
	pods map[string]*followed // by pod uid
}

// update starts following a pod's tasks the first time it is seen
// running (or finished: its output is still there). initial pods keep
// --tail; pods that appear later are followed from their first line.
func (f *podFollower) update(ctx context.Context, p *api.Pod, initial bool) {
	if _, ok := f.pods[p.UID]; ok || !hasLogs(p) {
		return
	}
	o := f.o
	if !initial {
		o.tail = -1
	}
	pctx, cancel := context.WithCancel(ctx)
	f.pods[p.UID] = &followed{cancel: cancel}
	for _, s := range logStreams([]*api.Pod{p}, o.task) {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); copyLogs(pctx, f.cmd, f.c, s, o, f.w) }()
	}
}

// forget stops following a deleted pod.
func (f *podFollower) forget(p *api.Pod) {
	if fp, ok := f.pods[p.UID]; ok {
		fp.cancel()
		delete(f.pods, p.UID)
	}
}

func (f *podFollower) stopAll() {
	for uid, fp := range f.pods {
		fp.cancel()
		delete(f.pods, uid)
	}
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
