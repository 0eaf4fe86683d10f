package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

// TestApplyWhileAControllerWritesStatus: apply sends a patch without a
// resourceVersion, as kubectl apply does, so a controller writing the
// object's status as fast as it can does not make it fail (a GET-then-PUT
// lost its compare-and-swap five times in a row in CI, during two
// concurrent job runs), and it does not undo what the controller wrote.
func TestApplyWhileAControllerWritesStatus(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	m := c.WaitForLeader(10 * time.Second)
	ctx := context.Background()
	cl, err := client.New(client.Config{Addresses: []string{m.APIURL()}})
	if err != nil {
		t.Fatal(err)
	}
	manifest := func(tier string) manifest {
		ms, err := decodeManifests([]byte(fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {tier: %s}}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`, tier)))
		if err != nil || len(ms) != 1 {
			t.Fatalf("manifest: %v", err)
		}
		return ms[0]
	}
	if res, err := applyOne(ctx, cl, manifest("t0")); err != nil || res != "created" {
		t.Fatalf("first apply: %q %v", res, err)
	}

	var stop atomic.Bool
	var wrote atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a load-balancer controller; Services have no other one
		defer wg.Done()
		for i := int64(1); !stop.Load(); i++ {
			p := fmt.Sprintf(`{"status":{"loadBalancer":{"ingress":[{"hostname":"lb-%d"}]}}}`, i)
			if _, err := cl.PatchStatus(ctx, "Service", "default", "web", []byte(p)); err != nil {
				t.Errorf("status write: %v", err)
				return
			}
			wrote.Store(i)
		}
	}()
	for i := 1; i <= 30; i++ {
		tier := fmt.Sprintf("t%d", i)
		if res, err := applyOne(ctx, cl, manifest(tier)); err != nil || res != "configured" {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("apply %d while status is written: %q %v", i, res, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	o, err := cl.Get(ctx, "Service", "default", "web", client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := o.(*api.Service)
	lb := fmt.Sprintf("%+v", svc.Status.LoadBalancer.Ingress)
	if want := fmt.Sprintf("[{IP: Hostname:lb-%d}]", wrote.Load()); svc.Labels["tier"] != "t30" || lb != want {
		t.Fatalf("label tier %q (want t30), load balancer %s (want the controller's last, %s)", svc.Labels["tier"], lb, want)
	}
	if wrote.Load() < 30 {
		t.Fatalf("only %d status writes raced 30 applies: the test proves nothing", wrote.Load())
	}
}
