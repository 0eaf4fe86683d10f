package hollow

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

// newCluster starts three replicas and a client over all of them.
func newCluster(t testing.TB) (*cluster.Cluster, *client.Client) {
	t.Helper()
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses()})
	if err != nil {
		t.Fatal(err)
	}
	return c, cl
}

// start runs h until the test ends and checks that Run returned cleanly.
func start(t testing.TB, h *Hollow) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
}

func waitRegistered(t testing.TB, h *Hollow, timeout time.Duration) {
	t.Helper()
	select {
	case <-h.Registered():
	case <-time.After(timeout):
		t.Fatalf("nodes not registered within %v: %+v", timeout, h.Stats())
	}
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not true within %v: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testPod(name, node string) *api.Pod {
	return &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "hollow-test"}},
		Spec: api.PodSpec{NodeName: node,
			InitContainers: []api.Container{{Name: "init", Image: "busybox"}},
			Containers:     []api.Container{{Name: "web", Image: "busybox"}, {Name: "side", Image: "busybox"}}}}
}

// createPods creates n pods named prefix-i, bound round-robin to nodes,
// with conc creates in flight.
func createPods(ctx context.Context, cl *client.Client, prefix string, n int, nodes []string, conc int) error {
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if _, err := cl.Create(ctx, testPod(fmt.Sprintf("%s-%d", prefix, i), nodes[i%len(nodes)])); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return first
}

func nodeReady(n *api.Node) bool {
	c := api.FindCondition(n.Status.Conditions, api.NodeReady)
	return c != nil && c.Status == api.ConditionTrue
}
