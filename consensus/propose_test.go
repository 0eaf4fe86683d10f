package consensus

import (
	"context"
	"errors"
	"fmt"
	"github.com/barque-io/barque/api"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/barque-io/barque/fsm"
)

// startLoneLeader starts a one-replica Raft group on loopback and waits for
// it to lead.
func startLoneLeader(t *testing.T, delay time.Duration) *Node {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ID, cfg.DataDir, cfg.BindAddr, cfg.GroupCommitDelay = "n1", t.TempDir(), "127.0.0.1:0", delay
	n := startSolo(t, cfg)
	t.Cleanup(func() { _ = n.Shutdown(false) })
	return n
}

// startSolo starts a one-replica group on cfg's data dir (bootstrapping
// it when new) and waits until it leads.
func startSolo(t *testing.T, cfg Config) *Node {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !n.HasState() {
		if err := n.Bootstrap([]raft.Server{{ID: raft.ServerID(cfg.ID), Address: raft.ServerAddress(n.Addr()), Suffrage: raft.Voter}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !n.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatal("the lone replica did not lead within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

func namespaceOps(prefix string, count int) []fsm.Op {
	ops := make([]fsm.Op, count)
	for i := range ops {
		name := fmt.Sprintf("%s-%d", prefix, i)
		ops[i] = fsm.Op{Type: fsm.OpCreate, Kind: "Namespace", Name: name,
			Object: []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"` + name + `"}}`)}
	}
	return ops
}

func proposeOK(t *testing.T, n *Node, ops []fsm.Op) uint64 {
	t.Helper()
	res, index, err := n.Propose(context.Background(), ops)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	return index
}

// A lone writer never waits for the group commit; once an entry carried
// groupCommitMinOps writes, the next entry stays open for the delay and
// gathers every write that arrives meanwhile.
func TestGroupCommitDelay(t *testing.T) {
	const delay = 1500 * time.Millisecond
	n := startLoneLeader(t, delay)

	start := time.Now()
	for i := 0; i < 5; i++ {
		proposeOK(t, n, namespaceOps(fmt.Sprintf("lone%d", i), 1))
	}
	if took := time.Since(start); took >= delay {
		t.Fatalf("5 writes of one op each took %v: a lone writer waited for the group commit", took)
	}

	first := proposeOK(t, n, namespaceOps("big", groupCommitMinOps))
	const writers = 20
	indexes := make([]uint64, writers)
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			indexes[i] = proposeOK(t, n, namespaceOps(fmt.Sprintf("w%d", i), 1))
		}()
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	for i, idx := range indexes {
		if idx != first+1 {
			t.Fatalf("write %d went into entry %d; want all %d writes in entry %d, after the %d-op entry %d", i, idx, writers, first+1, groupCommitMinOps, first)
		}
	}
}

// TestShutdownAnswersEveryQueuedProposal: writes queued behind the one in
// flight when the node stops are answered at once with 503, and none of
// them is applied; they used to wait out their callers' deadline and then
// hear "may have been applied".
func TestShutdownAnswersEveryQueuedProposal(t *testing.T) {
	n := startLoneLeader(t, 20*time.Millisecond) // a long group commit delay keeps proposals queued
	proposeOK(t, n, namespaceOps("warm", 10))    // the proposer now lingers before each entry
	type outcome struct {
		name string
		err  error
		took time.Duration
	}
	out := make(chan outcome, 32)
	for i := range 32 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ops := namespaceOps(fmt.Sprintf("q%d", i), 1)
			start := time.Now()
			_, _, err := n.Propose(ctx, ops)
			out <- outcome{ops[0].Name, err, time.Since(start)}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := n.Shutdown(false); err != nil {
		t.Fatal(err)
	}
	for range 32 {
		o := <-out
		if o.took > 2*time.Second {
			t.Errorf("%s answered after %v (%v)", o.name, o.took, o.err)
		}
		var se *api.StatusError
		if errors.As(o.err, &se) && se.Code() == http.StatusServiceUnavailable {
			if obj, _ := n.Store().Get("Namespace", "", o.name); obj != nil {
				t.Errorf("%s was answered 503 but applied", o.name)
			}
		}
	}
}
