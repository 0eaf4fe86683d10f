package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func newConfigMap(name string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string]string{"v": name}}
}

// writer creates ConfigMaps one after another and records what was
// acknowledged, and the resourceVersions it saw, in order.
type writer struct {
	mu    sync.Mutex
	acked []string
	rvs   []api.Version
	fails int
}

func (w *writer) run(ctx context.Context, cl *client.Client, prefix string) {
	for i := 0; ctx.Err() == nil; i++ {
		name := fmt.Sprintf("%s-%05d", prefix, i)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		obj, err := cl.Create(cctx, newConfigMap(name))
		cancel()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, name)
			w.rvs = append(w.rvs, obj.GetObjectMeta().ResourceVersion)
		} else {
			w.fails++
		}
		w.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSIGKILLLeaderUnderWrites kills the leader process with SIGKILL twice
// while a client writes: a new leader takes over, every acknowledged write
// is on every replica afterwards, and resourceVersions only grow.
func TestSIGKILLLeaderUnderWrites(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)

	wctx, stopWriting := context.WithCancel(ctx)
	w := &writer{}
	done := make(chan struct{})
	go func() { defer close(done); w.run(wctx, cl, "kill") }()

	for round := 0; round < 2; round++ {
		time.Sleep(700 * time.Millisecond)
		old := c.leader(ctx, cl)
		t.Logf("round %d: SIGKILL leader %s", round, old.name)
		c.kill(old)
		newLeader := c.leader(ctx, cl)
		t.Logf("round %d: new leader %s", round, newLeader.name)
		if newLeader == old {
			t.Fatalf("round %d: the killed process is still reported as leader", round)
		}
		time.Sleep(700 * time.Millisecond)
		c.start(old) // rejoin on its data dir
	}
	time.Sleep(500 * time.Millisecond)
	stopWriting()
	<-done
	t.Logf("writer stopped")

	if len(w.acked) < 50 {
		t.Fatalf("only %d writes acknowledged (%d failed): the cluster did not keep serving", len(w.acked), w.fails)
	}
	for i := 1; i < len(w.rvs); i++ {
		if w.rvs[i] <= w.rvs[i-1] {
			t.Fatalf("resourceVersion went from %d to %d", w.rvs[i-1], w.rvs[i])
		}
	}
	checkOnEveryReplica(ctx, t, c, w.acked, w.rvs[len(w.rvs)-1])
	t.Logf("%d acknowledged writes, %d failed or unknown, all on every replica", len(w.acked), w.fails)
}

func waitWritable(ctx context.Context, t *testing.T, cl *client.Client) {
	t.Helper()
	for ctx.Err() == nil {
		if _, err := cl.Get(ctx, "Namespace", "", "default", client.GetOptions{}); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("cluster never became writable")
}

// checkOnEveryReplica reads each replica's own store (stale reads, one
// replica at a time) once it has applied lastRV.
func checkOnEveryReplica(ctx context.Context, t *testing.T, c *procCluster, names []string, lastRV api.Version) {
	t.Helper()
	for _, p := range c.procs {
		one, err := client.New(client.Config{Addresses: []string{p.api}, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		var list *client.List
		for time.Now().Before(deadline) {
			list, err = one.List(ctx, "ConfigMap", "default", client.ListOptions{Stale: true})
			if err == nil && list.ResourceVersion >= lastRV {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil || list.ResourceVersion < lastRV {
			t.Fatalf("%s never caught up to %d: %v", p.name, lastRV, err)
		}
		have := map[string]bool{}
		for _, o := range list.Items {
			have[o.GetObjectMeta().Name] = true
		}
		for _, n := range names {
			if !have[n] {
				t.Fatalf("%s lost acknowledged write %s", p.name, n)
			}
		}
	}
}

// TestSIGTERMHandsOverLeadership: SIGTERM on the leader transfers
// leadership before exit, so the process exits cleanly and writes go on.
func TestSIGTERMHandsOverLeadership(t *testing.T) {
	c := startProcCluster(t)
	cl := c.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	old := c.leader(ctx, cl)
	waitWritable(ctx, t, cl)
	c.signal(old, syscall.SIGTERM)
	select {
	case err := <-old.done:
		if err != nil {
			t.Fatalf("leader exited with %v after SIGTERM", err)
		}
		old.cmd = nil
	case <-time.After(20 * time.Second):
		t.Fatal("leader did not exit after SIGTERM")
	}
	b, _ := readFile(old.logPath)
	if !contains(b, "shutting down") {
		t.Fatalf("no shutdown in the log:\n%s", tail(b, 2000))
	}
	if contains(b, "leadership transfer failed") {
		t.Fatalf("leadership transfer failed:\n%s", tail(b, 2000))
	}
	if _, err := cl.Create(ctx, newConfigMap("after-term")); err != nil && !errors.Is(err, api.ErrAlreadyExists) {
		t.Fatalf("write after SIGTERM of the leader: %v", err)
	}
	if p := c.leader(ctx, cl); p == old {
		t.Fatal("the stopped process is still the leader")
	}
}
