package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// statusBatchPods is how many pods start at once on the one agent.
const statusBatchPods = 50

// TestAgentStatusWritesAreBatched starts 50 exec pods at once on one real
// agent and counts what their status reports cost in the Raft log. Every
// applied write gives its object the entry's index as resourceVersion, so
// status updates that share a resourceVersion shared a log entry.
func TestAgentStatusWritesAreBatched(t *testing.T) {
	c := startProcCluster(t)
	cl := c.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	leader := c.leader(ctx, cl)
	waitWritable(ctx, t, cl)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)

	list, err := cl.List(ctx, "Pod", "default", client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := cl.Watch(ctx, "Pod", "default", client.WatchOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	before := storeIndex(ctx, t, leader.api)
	start := time.Now()
	createPodsAtOnce(ctx, t, c.addresses())
	created := time.Since(start)
	var first time.Duration

	// Count the status updates until every pod runs and is ready.
	ready := map[string]bool{}
	updates, entries := 0, map[api.Version]bool{}
	for len(ready) < statusBatchPods {
		select {
		case ev := <-w.Events():
			if ev.Err != nil {
				t.Fatal(ev.Err)
			}
			p, ok := ev.Object.(*api.Pod)
			if !ok || ev.Type != client.EventModified || !strings.HasPrefix(p.Name, "batch-") {
				continue
			}
			if updates == 0 {
				first = time.Since(start)
			}
			updates++
			entries[p.ResourceVersion] = true
			if p.Status.Phase == api.PodRunning && podReady(p) {
				ready[p.Name] = true
			}
		case <-ctx.Done():
			t.Fatalf("only %d of %d pods became ready", len(ready), statusBatchPods)
		}
	}
	after := storeIndex(ctx, t, leader.api)
	t.Logf("%d pods: %d status updates in %d log entries; the log advanced %d entries in all (creates included); created in %v, updates from %v to %v",
		statusBatchPods, updates, len(entries), after-before, created, first, time.Since(start))
	if updates < statusBatchPods {
		t.Fatalf("%d status updates for %d pods", updates, statusBatchPods)
	}
	// One entry per report would be updates entries; batched, entries hold
	// several pods' reports each. The bound is half of one per report, not
	// a quarter: on 2 cores the 50 exec tasks start over ~0.9 s, and clean
	// CI runs saw 3.6-3.8 reports per entry (13 or 14 entries), which a
	// quarter refused; unbatched, 50 entries still fail it twice over.
	if len(entries)*2 > updates {
		t.Fatalf("%d status updates took %d log entries: not batched", updates, len(entries))
	}
	if after-before >= uint64(updates) {
		t.Fatalf("the log advanced %d entries for %d status updates (and %d creates)", after-before, updates, statusBatchPods)
	}
}

// createPodsAtOnce creates the pods from many goroutines through a
// coalescing client, as a burst of users or a controller would.
func createPodsAtOnce(ctx context.Context, t *testing.T, addrs []string) {
	t.Helper()
	cl, err := client.New(client.Config{Addresses: addrs, Timeout: 10 * time.Second, RetryFor: 20 * time.Second, CoalesceWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, statusBatchPods)
	for i := range statusBatchPods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("batch-%d", i), Namespace: "default",
				Annotations: map[string]string{"barque.io/driver": "exec"}},
				Spec: api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "main", Command: []string{"sleep", "600"}}}}}
			if _, err := cl.Create(ctx, pod); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("create: %v", err)
	}
}

// storeIndex is the last log index the server's store applied.
func storeIndex(ctx context.Context, t *testing.T, base string) uint64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Index uint64 `json:"index"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Index
}
