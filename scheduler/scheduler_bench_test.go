package scheduler_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/internal/hollow"
)

// BenchmarkSchedulePods: three replicas (every write through Raft), hollow
// nodes, pods created by 64 concurrent clients; reports pods/s from the
// first create to the last binding, p99 create-to-bound latency, and Raft
// entries per 1,000 bindings. Sizes from BARQUE_BENCH_NODES/PODS-like flags
// are the sub-benchmarks below; `make bench-scheduler` runs them.
func BenchmarkSchedulePods(b *testing.B) {
	for _, sz := range []struct{ nodes, pods int }{{1000, 10000}, {5000, 30000}} {
		b.Run(fmt.Sprintf("nodes=%d/pods=%d", sz.nodes, sz.pods), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				schedulePods(b, sz.nodes, sz.pods)
			}
		})
	}
}

func schedulePods(b *testing.B, nodes, pods int) {
	// Three replicas, the hollow nodes and 64 clients share two cores in
	// one process: slower Raft timers keep GC pauses from deposing leaders.
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
	w, err := cl.Watch(ctx, "Pod", "default", client.WatchOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	startIdx := leader.Server().Node().Store().Index()
	created := sync.Map{}
	start := time.Now()
	go createPods(ctx, b, cl, pods, &created)
	lat := waitBound(ctx, b, w, pods, &created)
	elapsed := time.Since(start)
	entries := leader.Server().Node().Store().Index() - startIdx
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(pods)/elapsed.Seconds(), "pods/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(entries), "raft-entries")
}

func createPods(ctx context.Context, b *testing.B, cl *client.Client, n int, created *sync.Map) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				name := fmt.Sprintf("p%06d", i)
				created.Store(name, time.Now())
				if _, err := cl.Create(ctx, pod(name, "100Mi")); err != nil && ctx.Err() == nil {
					b.Errorf("create %s: %v", name, err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

func waitBound(ctx context.Context, b *testing.B, w *client.Watcher, n int, created *sync.Map) []time.Duration {
	seen := map[string]bool{}
	var lat []time.Duration
	for len(lat) < n {
		select {
		case ev := <-w.Events():
			if ev.Err != nil {
				b.Fatalf("watch: %v", ev.Err)
			}
			p, ok := ev.Object.(*api.Pod)
			if !ok || p.Spec.NodeName == "" || seen[p.Name] {
				continue
			}
			if t0, ok := created.Load(p.Name); ok {
				seen[p.Name] = true
				lat = append(lat, time.Since(t0.(time.Time)))
			}
		case <-ctx.Done():
			b.Fatalf("%d of %d pods bound before the deadline", len(lat), n)
		}
	}
	return lat
}
