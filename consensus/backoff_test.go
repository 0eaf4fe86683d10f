package consensus

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestFollowerBackAfterLongCutCatchesUpAtOnce: raft's replication to a
// follower it cannot reach backs off exponentially; unpatched the sleep
// grew to 41 s, so a follower back after a 25 s cut got no entry for ~6 s
// more (the sleep begun at ~20 s lasts ~10 s). The patch caps it at half
// the heartbeat timeout (third_party/raft/PATCHED.md): the follower
// applies the next write within a second or so.
func TestFollowerBackAfterLongCutCatchesUpAtOnce(t *testing.T) {
	nodes, leader := startTrio(t)
	var cut *Node
	for _, n := range nodes {
		if n != leader {
			cut = n
			break
		}
	}
	cut.SetFilter(func(string) bool { return false })
	for _, n := range nodes {
		if n != cut {
			n.SetFilter(func(peer string) bool { return peer != cut.Addr() })
		}
	}
	// Writes keep the leader trying (and failing) to replicate to it.
	deadline := time.Now().Add(25 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		proposeOK(t, leader, namespaceOps(fmt.Sprintf("while-cut-%d", i), 1))
		time.Sleep(100 * time.Millisecond)
	}
	for _, n := range nodes {
		n.SetFilter(nil)
	}
	healed := time.Now()
	index := proposeOK(t, leader, namespaceOps("after-cut", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := cut.Store().WaitForIndex(ctx, index); err != nil {
		t.Fatalf("the follower back from a 25 s cut had not applied the next write %v later: %v", time.Since(healed).Round(time.Millisecond), err)
	}
	t.Logf("the follower applied the next write %v after the cut ended", time.Since(healed).Round(time.Millisecond))
}
