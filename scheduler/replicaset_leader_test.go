package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

// TestReplicaSetLeaderChange: the leader dies while its controller creates
// pods; the new leader's controller, starting from its own store, makes up
// the difference and never more: replaying the whole log, the set never
// had more pods than it asked for.
func TestReplicaSetLeaderChange(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ns := e.namespace(t, "rs-leader")
	labels := map[string]string{"app": "ha"}
	const n = 40
	if _, err := e.cl.Create(ctx, newReplicaSet(ns, "ha", n, labels)); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&scheduler.ReplicaSetController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}).Run(cctx)
	}()
	eventually(t, 10*time.Second, func() error {
		if len(podsOf(e.store, ns, labels)) == 0 {
			return fmt.Errorf("no pods yet")
		}
		return nil
	})
	// Leadership is lost: the loops stop, and the replica dies.
	cancel()
	old := e.c.Leader()
	e.c.Kill(old.Index)
	<-done

	leader := e.c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: []string{leader.APIURL()}})
	if err != nil {
		t.Fatal(err)
	}
	store := leader.Server().Node().Store()
	w := &clientWriter{cl: cl, store: store}
	run(t, (&scheduler.ReplicaSetController{Store: store, Writer: w, Logger: hclog.NewNullLogger()}).Run)
	eventually(t, 15*time.Second, func() error { return countf("pods", len(podsOf(store, ns, labels)), n) })
	time.Sleep(300 * time.Millisecond)
	if got := len(store.View().List("Pod", ns, nil)); got != n {
		t.Errorf("%d pods after the leader change, want %d", got, n)
	}
	// Replay the new leader's history from the start.
	if most, at := mostPods(t, store, ns); most != n {
		t.Errorf("%d pods at index %d, want exactly %d at most", most, at, n)
	}
}

// mostPods replays the store's retained history (from index 0) and returns
// the largest number of pods not being deleted that the namespace held
// after any log entry.
func mostPods(t *testing.T, store *state.Store, ns string) (int, uint64) {
	t.Helper()
	pods := map[string]bool{}
	var last, at uint64
	most := 0
	for {
		evs, _, err := store.EventsAfter(last, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return most, at
		}
		for _, ev := range evs {
			if ev.Kind != "Pod" || ev.Object.GetObjectMeta().Namespace != ns {
				continue
			}
			// A pod being deleted (Terminating until its node ends it)
			// no longer counts: controllers bound the pods that are not,
			// as Kubernetes' maxSurge and replicas do.
			if ev.Type == state.Deleted || ev.Object.GetObjectMeta().DeletionTimestamp != nil {
				delete(pods, ev.Object.GetObjectMeta().Name)
			} else {
				pods[ev.Object.GetObjectMeta().Name] = true
			}
			if len(pods) > most {
				most, at = len(pods), ev.Index
			}
		}
		last = evs[len(evs)-1].Index
	}
}
