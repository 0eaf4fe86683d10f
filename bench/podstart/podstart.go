// Package podstart measures pod start latency: from the API create of a pod
// bound to a node until its status says Running (the task started and the
// agent's report committed through Raft), beside the floor of the same work
// without Barque (plain fork/exec; `docker run`).
package podstart

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// Pod describes the pods to start.
type Pod struct {
	Node    string
	Driver  string // "exec" or "docker"
	Image   string
	Command []string
	// Created, when set, is told of every pod created, so that the caller
	// can make sure its tasks are gone at the end.
	Created func(*api.Pod)
}

func (p Pod) object(name string) *api.Pod {
	return &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Annotations: map[string]string{"barque.io/driver": p.Driver}},
		Spec: api.PodSpec{NodeName: p.Node, RestartPolicy: api.RestartNever, TerminationGracePeriodSeconds: ptr(int64(1)),
			Containers: []api.Container{{Name: "main", Image: p.Image, Command: p.Command}}}}
}

func ptr[T any](v T) *T { return &v }

// Run creates n pods at once (up to parallel creates in flight) and returns
// each one's create-to-Running latency. It deletes them afterwards.
// during, when not nil, runs while all n pods are running, before cleanup.
func Run(ctx context.Context, cl *client.Client, p Pod, prefix string, n, parallel int, during func()) ([]time.Duration, error) {
	w, err := cl.Watch(ctx, "Pod", "default", client.WatchOptions{})
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	starts := sync.Map{}
	sem := make(chan struct{}, parallel)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s-%d", prefix, i)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			starts.Store(name, time.Now())
			obj, err := cl.Create(ctx, p.object(name))
			if err != nil {
				errs <- err
				return
			}
			if p.Created != nil {
				p.Created(obj.(*api.Pod))
			}
		}()
	}
	lat, err := collect(ctx, w, &starts, n, errs)
	if err == nil && during != nil {
		during()
	}
	cleanup(cl, prefix, n)
	return lat, err
}

func collect(ctx context.Context, w *client.Watcher, starts *sync.Map, n int, errs chan error) ([]time.Duration, error) {
	seen := map[string]bool{}
	var out []time.Duration
	for len(out) < n {
		select {
		case err := <-errs:
			return out, err
		case ev, ok := <-w.Events():
			if !ok || ev.Err != nil {
				return out, fmt.Errorf("watch ended: %v", ev.Err)
			}
			pod, ok := ev.Object.(*api.Pod)
			if !ok || seen[pod.Name] || !running(pod) {
				continue
			}
			if t, ok := starts.Load(pod.Name); ok {
				seen[pod.Name] = true
				out = append(out, time.Since(t.(time.Time)))
			}
		case <-ctx.Done():
			return out, fmt.Errorf("%d of %d pods running: %w", len(out), n, ctx.Err())
		}
	}
	return out, nil
}

func running(p *api.Pod) bool {
	return p.Status.Phase == api.PodRunning && len(p.Status.ContainerStatuses) > 0 &&
		p.Status.ContainerStatuses[0].State.Running != nil
}

func cleanup(cl *client.Client, prefix string, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			_ = cl.Delete(ctx, "Pod", "default", fmt.Sprintf("%s-%d", prefix, i), client.DeleteOptions{})
		}(i)
	}
	wg.Wait()
}

// ForkExecFloor is the time to start the same command with fork/exec.
func ForkExecFloor(argv []string) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	d := time.Since(start)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return d, nil
}

// DockerRunFloor is the time `docker run -d` takes to start the image.
func DockerRunFloor(image string, args []string) (time.Duration, error) {
	name := fmt.Sprintf("podbench-floor-%d", time.Now().UnixNano())
	start := time.Now()
	out, err := exec.Command("docker", append([]string{"run", "-d", "--name", name, image}, args...)...).CombinedOutput()
	d := time.Since(start)
	_ = exec.Command("docker", "rm", "-f", name).Run()
	if err != nil {
		return 0, fmt.Errorf("docker run: %v: %s", err, out)
	}
	return d, nil
}

// Percentile of sorted-in-place durations (q in [0,1]).
func Percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(q*float64(len(d)-1)+0.5)]
}
