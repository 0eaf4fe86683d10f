package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// TestRemovedPeerStaysRemovedWhileGossipListsIt: an operator removes a
// server that no longer answers Raft (killed, not yet detected dead by
// gossip; here cut off from Raft while its gossip runs on). The leader must
// not add it straight back because gossip still lists it alive: an audit
// saw `operator raft remove-peer` of a just-killed server undone at once.
// Once it restarts, it is added again, as a new server would be.
func TestRemovedPeerStaysRemovedWhileGossipListsIt(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(15 * time.Second)
	gone := c.Follower(leader)
	id := gone.Server().Node().ID()
	c.Partition(gone.Index)
	code, body := do(t, http.MethodDelete, leader.APIURL()+"/v1/operator/raft/peer?id="+id, "")
	if code != http.StatusOK {
		t.Fatalf("remove-peer: %d %v", code, body)
	}
	inConfig := func() bool {
		servers, _, err := leader.Server().Node().Configuration()
		if err != nil {
			t.Fatal(err)
		}
		for _, sv := range servers {
			if sv.ID == id {
				return true
			}
		}
		return false
	}
	// The leader reconciles on every gossip change and every 5 s.
	deadline := time.Now().Add(6 * time.Second)
	for time.Now().Before(deadline) {
		if inConfig() {
			t.Fatalf("the removed server %s is back in the Raft configuration while gossip lists it", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Restarted, once gossip saw it go, it is a server like any other and
	// is added again.
	c.Kill(gone.Index)
	c.Restart(gone.Index)
	deadline = time.Now().Add(20 * time.Second)
	for !inConfig() {
		if time.Now().After(deadline) {
			t.Fatalf("the restarted server %s was not added back within 20 s", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServerOfAnotherClusterIsNotAdded: two servers bootstrapped apart (as
// several servers each given bootstrap_expect = 1 would be) then meet in
// gossip. The leader must not add the other to its configuration: their
// logs number different entries alike, and their stores would differ at
// the same resourceVersions. A fresh server (no cluster yet) is added as
// before (every other cluster test).
func TestServerOfAnotherClusterIsNotAdded(t *testing.T) {
	a := cluster.New(t, 1, cluster.Options{NamePrefix: "a"})
	b := cluster.New(t, 1, cluster.Options{NamePrefix: "b"})
	la, lb := a.WaitForLeader(15*time.Second), b.WaitForLeader(15*time.Second)
	if code, body := do(t, http.MethodDelete, la.APIURL()+"/api/v1/namespaces/barque-system", ""); code != http.StatusForbidden {
		t.Fatalf("deleting barque-system, the cluster's identity: %d %v, want 403", code, body)
	}
	if n, err := lb.Server().JoinGossip(la.Server().GossipAddr()); err != nil || n == 0 {
		t.Fatalf("join: %d %v", n, err)
	}
	other := lb.Server().Node().ID()
	deadline := time.Now().Add(6 * time.Second) // past a reconcile (every 5 s and on each gossip change)
	for time.Now().Before(deadline) {
		servers, _, err := la.Server().Node().Configuration()
		if err != nil {
			t.Fatal(err)
		}
		for _, sv := range servers {
			if sv.ID == other {
				t.Fatalf("the leader added %s, a server of another cluster", other)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}
