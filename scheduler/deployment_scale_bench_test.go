package scheduler_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/internal/hollow"
)

// BenchmarkScheduleDeployments is issue #4's scale benchmark: 30,000 pods
// from 30 Deployments of 1,000 replicas, created at once, on 1,000 and 5,000
// hollow nodes. Three replicas in one process; the leader's ReplicaSet
// controller creates the pods, the scheduler binds them, the hollow nodes
// report them Running, every write through Raft. Reports pods/s from the
// first Deployment create to the last binding, and create-to-bound
// latency per pod (from the log entry that created it to the one that
// bound it, as the leader's store applies them).
func BenchmarkScheduleDeployments(b *testing.B) {
	for _, sz := range []struct{ nodes, pods int }{{1000, 30000}, {5000, 30000}} {
		b.Run(fmt.Sprintf("nodes=%d/pods=%d", sz.nodes, sz.pods), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				scheduleDeployments(b, sz.nodes, sz.pods, 1000)
			}
		})
	}
}

func scheduleDeployments(b *testing.B, nodes, pods, perDeployment int) {
	c := cluster.New(b, 3, cluster.Options{RaftMultiplier: 3})
	leader := c.WaitForLeader(30 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses(), Timeout: 60 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h, err := hollow.New(hollow.Config{Client: cl, Prefix: "hn", Count: nodes, CPU: "32", Memory: "128Gi", Pods: 110})
	if err != nil {
		b.Fatal(err)
	}
	go h.Run(ctx)
	<-h.Registered()
	store := leader.Server().Node().Store()
	startIdx := store.Index()
	start := time.Now()
	createDeployments(ctx, b, cl, pods/perDeployment, perDeployment)
	lat, last := followBindings(ctx, b, store, startIdx, pods)
	elapsed := last.Sub(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(pods)/elapsed.Seconds(), "pods/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(store.Index()-startIdx), "raft-entries")
}

// followBindings reads the store's event history from index from on, and
// returns each pod's create-to-bound latency (by the wall clock when this
// process first saw each event) and when the last of n pods was bound.
func followBindings(ctx context.Context, b *testing.B, store *state.Store, from uint64, n int) ([]time.Duration, time.Time) {
	created := map[string]time.Time{}
	var lat []time.Duration
	var last time.Time
	for len(lat) < n {
		evs, more, err := store.EventsAfter(from, 4096)
		if err != nil {
			b.Fatalf("following the store: %v", err)
		}
		now := time.Now()
		for _, ev := range evs {
			from = ev.Index
			p, ok := ev.Object.(*api.Pod)
			if !ok {
				continue
			}
			if _, seen := created[p.UID]; !seen && ev.Type == state.Added {
				created[p.UID] = now
			}
			if t0, ok := created[p.UID]; ok && p.Spec.NodeName != "" && !t0.IsZero() {
				lat = append(lat, now.Sub(t0))
				created[p.UID] = time.Time{} // counted
				last = now
			}
		}
		if len(evs) > 0 {
			continue
		}
		select {
		case <-more:
		case <-ctx.Done():
			b.Fatalf("%d of %d pods bound before the deadline", len(lat), n)
		}
	}
	return lat, last
}
