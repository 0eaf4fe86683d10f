package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/internal/hollow"
)

// BenchmarkDeploymentScaleFromZero: a Deployment on 1,000 hollow nodes is
// scaled from 0 to 1,000 replicas; reports the time until every pod is
// bound and until every pod is Running (the leader's ReplicaSet controller
// creates the pods, the scheduler binds them, the hollow nodes report them
// Running, every write through Raft).
func BenchmarkDeploymentScaleFromZero(b *testing.B) {
	for i := 0; i < b.N; i++ {
		deploymentScaleFromZero(b, 1000, 1000)
	}
}

func deploymentScaleFromZero(b *testing.B, nodes, replicas int) {
	c := cluster.New(b, 3, cluster.Options{RaftMultiplier: 3})
	c.WaitForLeader(30 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses(), Timeout: 60 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := hollow.New(hollow.Config{Client: cl, Prefix: "hs", Count: nodes})
	if err != nil {
		b.Fatal(err)
	}
	go h.Run(ctx)
	<-h.Registered()
	d := newDeployment("default", "big", 0, map[string]string{"app": "big"}, "web:1")
	if _, err := cl.Create(ctx, d); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := cl.Patch(ctx, "Deployment", "default", "big", []byte(`{"spec":{"replicas":1000}}`)); err != nil {
		b.Fatal(err)
	}
	var allBound, allRunning time.Duration
	for ctx.Err() == nil && allRunning == 0 {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "app=big", Stale: true})
		if err == nil {
			bound, running := 0, 0
			for _, o := range list.Items {
				p := o.(*api.Pod)
				if p.Spec.NodeName != "" {
					bound++
				}
				if p.Status.Phase == api.PodRunning {
					running++
				}
			}
			if bound >= replicas && allBound == 0 {
				allBound = time.Since(start)
			}
			if running >= replicas {
				allRunning = time.Since(start)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if allRunning == 0 {
		b.Fatal("the Deployment never reached 1,000 running replicas")
	}
	b.ReportMetric(float64(allBound.Milliseconds()), "ms-all-bound")
	b.ReportMetric(float64(allRunning.Milliseconds()), "ms-all-running")
}
