// Package nodefail measures node failure to replacement (issue #3): a
// Deployment's pods run on an agent that is SIGKILLed together with its
// tasks, and the clock runs until the Deployment again has every replica
// Running on the surviving nodes. The e2e test and bench/cmd/nodefailbench
// share it.
package nodefail

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// Deployment is name: replicas exec-driver pods running `sleep 3600`,
// selected by app=name.
func Deployment(name string, replicas int32) *api.Deployment {
	labels := map[string]string{"app": name}
	return &api.Deployment{
		TypeMeta:   api.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.DeploymentSpec{
			Replicas: api.Ptr(replicas),
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: labels, Annotations: map[string]string{"barque.io/driver": "exec"}},
				Spec: api.PodSpec{TerminationGracePeriodSeconds: api.Ptr(int64(1)),
					Containers: []api.Container{{Name: "sleep", Command: []string{"sleep", "3600"}}}},
			},
		},
	}
}

// Pods lists the Deployment's pods (app=name), by name.
func Pods(ctx context.Context, cl *client.Client, name string) ([]*api.Pod, error) {
	l, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		return nil, err
	}
	out := make([]*api.Pod, 0, len(l.Items))
	for _, o := range l.Items {
		out = append(out, o.(*api.Pod))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// running counts the Deployment's Running pods per node.
func running(pods []*api.Pod) map[string]int {
	out := map[string]int{}
	for _, p := range pods {
		if p.Status.Phase == api.PodRunning && p.DeletionTimestamp == nil {
			out[p.Spec.NodeName]++
		}
	}
	return out
}

// WaitRunning polls until want pods of the Deployment are Running.
func WaitRunning(ctx context.Context, cl *client.Client, name string, want int) ([]*api.Pod, error) {
	var last []*api.Pod
	for ctx.Err() == nil {
		pods, err := Pods(ctx, cl, name)
		if err == nil {
			last = pods
			n := 0
			for _, c := range running(pods) {
				n += c
			}
			if n == want {
				return pods, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("deployment %s never had %d pods running; last seen %s", name, want, Describe(last))
}

// Victim is the node running the most of the Deployment's pods (ties: the
// first by name) and those pods.
func Victim(pods []*api.Pod) (string, []*api.Pod) {
	counts := running(pods)
	node := ""
	for n, c := range counts {
		if node == "" || c > counts[node] || (c == counts[node] && n < node) {
			node = n
		}
	}
	var on []*api.Pod
	for _, p := range pods {
		if p.Spec.NodeName == node && p.Status.Phase == api.PodRunning {
			on = append(on, p)
		}
	}
	return node, on
}

// KillTasks SIGKILLs the process group of every task of pods: exec tasks
// outlive their agent on purpose, and a dead node's work must really stop.
func KillTasks(pods []*api.Pod) {
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			if pid, err := strconv.Atoi(strings.TrimPrefix(cs.ContainerID, "exec://")); err == nil && pid > 1 {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
		}
	}
}

// Result is one node failure, timed from the SIGKILL of the agent.
type Result struct {
	// Detected: the leader marked the node Ready=Unknown (first seen by
	// polling every 50 ms).
	Detected time.Duration
	// Reason is the node condition's message: gossip or missed heartbeats.
	Reason string
	// Replaced: the Deployment again had every replica Running elsewhere.
	Replaced time.Duration
	// Lost is how many of the dead node's pods were marked Failed/NodeLost
	// (or were gone) when the replacements ran.
	Lost int
}

// Observe polls from killedAt until want pods of the Deployment run on
// nodes other than dead, recording when the node was marked lost.
func Observe(ctx context.Context, cl *client.Client, name, dead string, victims []*api.Pod, want int, killedAt time.Time) (Result, error) {
	var r Result
	var last []*api.Pod
	for ctx.Err() == nil {
		if r.Detected == 0 {
			if obj, err := cl.Get(ctx, "Node", "", dead, client.GetOptions{}); err == nil {
				if c := api.FindCondition(obj.(*api.Node).Status.Conditions, api.NodeReady); c != nil && c.Status != api.ConditionTrue {
					r.Detected, r.Reason = time.Since(killedAt), c.Message
				}
			}
		}
		pods, err := Pods(ctx, cl, name)
		if err == nil {
			last = pods
			counts := running(pods)
			if counts[dead] == 0 && total(counts) == want {
				r.Replaced = time.Since(killedAt)
				r.Lost = lostCount(pods, victims)
				return r, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r, fmt.Errorf("deployment %s never ran %d pods off %s; last seen %s", name, want, dead, Describe(last))
}

func total(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// lostCount counts the victims now Failed with reason NodeLost, or gone.
func lostCount(pods, victims []*api.Pod) int {
	byName := map[string]*api.Pod{}
	for _, p := range pods {
		byName[p.Name] = p
	}
	n := 0
	for _, v := range victims {
		p, ok := byName[v.Name]
		if !ok || (p.Status.Phase == api.PodFailed && p.Status.Reason == "NodeLost") {
			n++
		}
	}
	return n
}

// Describe is a one-line summary of pods: name node phase/reason.
func Describe(pods []*api.Pod) string {
	var b strings.Builder
	for _, p := range pods {
		fmt.Fprintf(&b, "[%s %s %s/%s] ", p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.Reason)
	}
	return b.String()
}
