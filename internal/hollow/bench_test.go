package hollow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

const (
	benchNodes = 1000
	benchPods  = 5000
)

// leaderIndex is the leader's applied log index: deltas count Raft entries.
func leaderIndex(b *testing.B, c *cluster.Cluster) uint64 {
	b.Helper()
	l := c.Leader()
	if l == nil {
		b.Fatal("no leader")
	}
	return l.Server().Node().Store().Index()
}

// BenchmarkHollowPodsRunning registers 1,000 hollow nodes on a 3-replica
// cluster, then per iteration creates 5,000 pods bound round-robin to them
// and waits until the hollow nodes have reported every one Running. It
// reports the create-to-Running throughput and the Raft entries the whole
// flow took (creates, status reports and heartbeats of the window).
func BenchmarkHollowPodsRunning(b *testing.B) {
	c, cl := newCluster(b)
	idx0, t0 := leaderIndex(b, c), time.Now()
	h, err := New(Config{Client: cl, Prefix: "bench", Count: benchNodes})
	if err != nil {
		b.Fatal(err)
	}
	start(b, h)
	waitRegistered(b, h, 60*time.Second)
	b.Logf("registered %d nodes in %v with %d Raft entries", benchNodes, time.Since(t0).Round(time.Millisecond),
		leaderIndex(b, c)-idx0)
	users, err := client.New(client.Config{Addresses: c.Addresses()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var elapsed time.Duration
	var entries uint64
	var heartbeats int64
	b.ResetTimer()
	for iter := 0; iter < b.N; iter++ {
		s0, i0, t0 := h.Stats(), leaderIndex(b, c), time.Now()
		if err := createPods(ctx, users, fmt.Sprintf("b%d", iter), benchPods, h.Nodes(), 64); err != nil {
			b.Fatal(err)
		}
		created := time.Since(t0)
		deadline := time.Now().Add(5 * time.Minute)
		for h.Stats().PodsStarted-s0.PodsStarted < benchPods {
			if time.Now().After(deadline) {
				b.Fatalf("pods not running in time: %+v", h.Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
		d := time.Since(t0)
		s1 := h.Stats()
		elapsed += d
		entries += leaderIndex(b, c) - i0
		heartbeats += s1.Heartbeats - s0.Heartbeats
		b.Logf("iteration %d: %d pods created in %v, all Running after %v; errors %d", iter, benchPods,
			created.Round(time.Millisecond), d.Round(time.Millisecond), s1.Errors-s0.Errors)
	}
	b.StopTimer()
	pods := float64(benchPods * b.N)
	b.ReportMetric(pods/elapsed.Seconds(), "pods/s")
	b.ReportMetric(float64(entries)/float64(b.N), "raft-entries/op")
	// Every pod costs two writes (create, status); heartbeats come on top.
	b.ReportMetric((2*pods+float64(heartbeats))/float64(entries), "writes/entry")
}
