package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/internal/hollow"
)

func pod(name, mem string) *api.Pod {
	return &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox",
			Resources: api.ResourceRequirements{Requests: api.ResourceList{"cpu": "100m", "memory": mem}}}}}}
}

// TestSchedulerBindsThroughRaft: the leader's scheduler binds pending pods
// to hollow nodes in batched log entries; a pod that fits nowhere is marked
// unschedulable with the reasons and an Event, and nothing is over-packed.
func TestSchedulerBindsThroughRaft(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h, err := hollow.New(hollow.Config{Client: cl, Prefix: "hn", Count: 5, CPU: "2", Memory: "1Gi"})
	if err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	<-h.Registered()

	const n = 40 // 40 x 100Mi over 5 x 1Gi: fits, at most 10 per node by memory
	for i := 0; i < n; i++ {
		if _, err := cl.Create(ctx, pod(fmt.Sprintf("p%02d", i), "100Mi")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Create(ctx, pod("huge", "64Gi")); err != nil {
		t.Fatal(err)
	}
	perNode := map[string]int{}
	for ctx.Err() == nil {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		perNode = map[string]int{}
		running := 0
		for _, o := range list.Items {
			p := o.(*api.Pod)
			if p.Name != "huge" && p.Spec.NodeName != "" {
				perNode[p.Spec.NodeName]++
				if p.Status.Phase == api.PodRunning {
					running++
				}
			}
		}
		if running == n {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatalf("pods never all bound and running: per node %v", perNode)
	}
	for node, k := range perNode {
		if k > 10 {
			t.Fatalf("node %s holds %d pods of 100Mi in 1Gi", node, k)
		}
	}
	for ctx.Err() == nil {
		obj, _ := cl.Get(ctx, "Pod", "default", "huge", client.GetOptions{})
		if c := api.FindCondition(obj.(*api.Pod).Status.Conditions, api.PodScheduled); c != nil && c.Status == api.ConditionFalse {
			if !strings.Contains(c.Message, "0/5 nodes are available") || !strings.Contains(c.Message, "Insufficient memory") {
				t.Fatalf("unschedulable message: %q", c.Message)
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	evs, err := cl.List(ctx, "Event", "default", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range evs.Items {
		e := o.(*api.Event)
		found = found || (e.InvolvedObject.Name == "huge" && e.Reason == "FailedScheduling")
	}
	if !found {
		t.Fatal("no FailedScheduling event for the pod that fits nowhere")
	}
}

// TestDeploymentRollsOutOnHollowNodes uses the controllers the servers run
// on the leader (not test copies): a Deployment's pods are created, bound
// by the scheduler, started by hollow nodes, and a template change rolls
// out to every replica.
func TestDeploymentRollsOutOnHollowNodes(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h, err := hollow.New(hollow.Config{Client: cl, Prefix: "hd", Count: 5})
	if err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	<-h.Registered()
	const n = 12
	labels := map[string]string{"app": "web"}
	d := newDeployment("default", "web", n, labels, "web:1")
	if _, err := cl.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	waitRollout(ctx, t, cl, n, "web:1")
	for attempt := 0; ; attempt++ { // the controller writes status meanwhile
		cur, err := cl.Get(ctx, "Deployment", "default", "web", client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		upd := api.Clone(cur.(*api.Deployment))
		upd.Spec.Template.Spec.Containers[0].Image = "web:2"
		if _, err = cl.Update(ctx, upd); err == nil {
			break
		}
		if !errors.Is(err, api.ErrConflict) || attempt > 20 {
			t.Fatal(err)
		}
	}
	waitRollout(ctx, t, cl, n, "web:2")
}

// waitRollout waits until exactly n pods of the image run bound, and no
// other live pod is left.
func waitRollout(ctx context.Context, t *testing.T, cl *client.Client, n int, image string) {
	t.Helper()
	var last string
	for ctx.Err() == nil {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "app=web"})
		if err == nil {
			want, other := 0, 0
			for _, o := range list.Items {
				p := o.(*api.Pod)
				if api.PodIsTerminal(p) {
					continue
				}
				if p.Spec.Containers[0].Image == image && p.Spec.NodeName != "" && p.Status.Phase == api.PodRunning {
					want++
				} else {
					other++
				}
			}
			last = fmt.Sprintf("%d running %s, %d others", want, image, other)
			if want == n && other == 0 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("rollout to %s never completed: %s", image, last)
}
