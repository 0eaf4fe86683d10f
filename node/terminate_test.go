package node

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/node/driver"
)

// stopRecorder is a driver whose task ends only when stopped with a grace
// period of at most exitWithin: it records every Stop's grace.
type stopRecorder struct {
	driver.Driver
	mu         sync.Mutex
	graces     []time.Duration
	exitWithin time.Duration
	exited     chan driver.ExitResult
	once       sync.Once
}

func (d *stopRecorder) Stop(_ context.Context, _ *driver.TaskHandle, _ string, grace time.Duration) error {
	d.mu.Lock()
	d.graces = append(d.graces, grace)
	d.mu.Unlock()
	if grace <= d.exitWithin {
		d.once.Do(func() { d.exited <- driver.ExitResult{ExitCode: 143} })
	}
	return nil
}

// TestShortenedGraceStopsTheTaskAgain: a pod deleted with a 30 s grace
// period is stopped with it; later deletes with 10 s and then 1 s shorten
// the stop under way (each starts another Stop with the shorter period),
// a longer one that races them is ignored, and the task's end comes back
// to the worker. Run with -race (make test-race): limitGrace and stopTask
// run on different goroutines, as the agent's deletes and the pod's
// worker do.
func TestShortenedGraceStopsTheTaskAgain(t *testing.T) {
	thirty := int64(30)
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default", UID: "u1"},
		Spec: api.PodSpec{TerminationGracePeriodSeconds: &thirty, Containers: []api.Container{{Name: "web"}}}}
	a := &Agent{logger: hclog.NewNullLogger(), cfg: Config{Name: "n1", BindAddr: "127.0.0.1"}}
	w := a.newWorker(pod, nil)
	drv := &stopRecorder{exitWithin: time.Second, exited: make(chan driver.ExitResult, 1)}
	if got := w.stopGraceFor(pod); got != 30*time.Second {
		t.Fatalf("grace before any delete: %v, want the pod's 30s", got)
	}

	done := make(chan driver.ExitResult, 1)
	go func() { done <- w.stopTask(drv, &driver.TaskHandle{}, pod, drv.exited) }()
	var wg sync.WaitGroup
	for _, g := range []int64{10, 20, 1, 60} {
		wg.Add(1)
		go func(g int64) { defer wg.Done(); w.limitGrace(g) }(g)
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	select {
	case res := <-done:
		if res.ExitCode != 143 {
			t.Fatalf("the task's end: %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stop did not end once the grace period was 1 s")
	}
	if got := w.stopGraceFor(pod); got != time.Second {
		t.Fatalf("grace after deletes of 10, 20, 1 and 60 s: %v, want 1s", got)
	}
	drv.mu.Lock()
	defer drv.mu.Unlock()
	last := drv.graces[len(drv.graces)-1]
	for i := 1; i < len(drv.graces); i++ {
		if drv.graces[i] > drv.graces[i-1] {
			t.Fatalf("a stop with a longer grace after a shorter one: %v", drv.graces)
		}
	}
	if drv.graces[0] > 30*time.Second || last != time.Second {
		t.Fatalf("stops with graces %v: want at most 30s first and 1s last", drv.graces)
	}
}
