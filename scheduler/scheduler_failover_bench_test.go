package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/internal/hollow"
)

// BenchmarkSchedulingFailover: during the 30,000-pod run (30 Deployments
// of 1,000 replicas on 1,000 hollow nodes, production Raft timers) the
// leader is killed once a third of the pods are bound; reports the time
// from the kill to the first binding the next leader commits (the issue's
// target: at most 2 s), and checks every pod is bound in the end. A binding
// is the new leader's when its log index is past the last entry the old
// leader held, so the old leader's last entries cannot be mistaken for it.
func BenchmarkSchedulingFailover(b *testing.B) {
	for i := 0; i < b.N; i++ {
		schedulingFailover(b, 1000, 30000, 1000)
	}
}

func schedulingFailover(b *testing.B, nodes, pods, perDeployment int) {
	// Production Raft timers (multiplier 1): this is what failover costs.
	c := cluster.New(b, 3, cluster.Options{})
	leader := c.WaitForLeader(30 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses(), Timeout: 30 * time.Second, RetryFor: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h, err := hollow.New(hollow.Config{Client: cl, Prefix: "hf", Count: nodes, CPU: "32", Memory: "128Gi", Pods: 110})
	if err != nil {
		b.Fatal(err)
	}
	go h.Run(ctx)
	<-h.Registered()
	observer := c.Members[(leader.Index+1)%len(c.Members)].Server().Node().Store()
	from := observer.Index()
	createDeployments(ctx, b, cl, pods/perDeployment, perDeployment)

	var killedAt time.Time
	var oldLast uint64
	var resumed time.Duration
	bound := map[string]bool{}
	for len(bound) < pods {
		evs, more, err := observer.EventsAfter(from, 4096)
		if err != nil {
			b.Fatalf("following the store: %v", err)
		}
		for _, ev := range evs {
			from = ev.Index
			p, ok := ev.Object.(*api.Pod)
			if !ok || p.Spec.NodeName == "" || bound[p.UID] {
				continue
			}
			bound[p.UID] = true
			if !killedAt.IsZero() && resumed == 0 && ev.Index > oldLast {
				resumed = time.Since(killedAt)
			}
		}
		if killedAt.IsZero() && len(bound) >= pods/3 {
			old := c.Leader()
			oldRaft := old.Server().Node().Raft()
			killedAt = time.Now()
			c.Kill(old.Index)
			oldLast = oldRaft.LastIndex() // nothing more can be appended to it
		}
		if len(evs) > 0 {
			continue
		}
		select {
		case <-more:
		case <-ctx.Done():
			b.Fatalf("%d of %d pods bound", len(bound), pods)
		}
	}
	b.ReportMetric(float64(resumed.Milliseconds()), "ms-to-resume")
}

// createDeployments creates n Deployments of replicas pods each, at once.
func createDeployments(ctx context.Context, b *testing.B, cl *client.Client, n, replicas int) {
	for d := 0; d < n; d++ {
		go func() {
			name := fmt.Sprintf("d%02d", d)
			dep := newDeployment("default", name, int32(replicas), map[string]string{"app": name}, "web:1")
			dep.Spec.Template.Spec.Containers[0].Resources.Requests = api.ResourceList{"cpu": "100m", "memory": "100Mi"}
			if _, err := cl.Create(ctx, dep); err != nil && ctx.Err() == nil {
				b.Errorf("create %s: %v", name, err)
			}
		}()
	}
}
