package robustness

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	"github.com/barque-io/barque/internal/cluster"
)

// TestPartitionedLeaderCannotCommit cuts the leader's Raft traffic: the two
// others elect a new leader and keep committing; a write proposed on the
// cut-off leader never commits (it is refused or its outcome reported
// unknown) and is not applied anywhere once the partition heals, and the
// old leader catches up with what was written meanwhile.
func TestPartitionedLeaderCannotCommit(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	old := c.WaitForLeader(15 * time.Second)
	c.Partition(old.Index)

	// A proposal on the isolated leader: it cannot reach a quorum.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lost := &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "from-isolated-leader", UID: "u-lost"}}
	op, err := fsm.NewOp(fsm.OpCreate, lost)
	if err != nil {
		t.Fatal(err)
	}
	if res, _, err := old.Server().Node().Propose(ctx, []fsm.Op{op}); err == nil && res[0].Err == nil {
		t.Fatal("an isolated leader committed a write")
	}

	var next *cluster.Member
	deadline := time.Now().Add(10 * time.Second)
	for next == nil && time.Now().Before(deadline) {
		for _, m := range c.Members {
			if m != old && m.Server().Node().IsLeader() {
				next = m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if next == nil {
		t.Fatal("the majority side elected no leader")
	}
	if old.Server().Node().IsLeader() {
		t.Fatal("the isolated replica still believes it leads")
	}
	cl := newClient(t)
	res := cl.do(http.MethodPost, next.APIURL()+cmPath, configMapJSON("during-partition", "v"))
	if res.code != 201 {
		t.Fatalf("write on the majority side: %v", res)
	}

	c.Heal(old.Index)
	idx := next.Server().Node().Store().Index()
	c.WaitForIndex(idx, 15*time.Second)
	for _, m := range c.Members {
		store := m.Server().Node().Store()
		if obj, _ := store.Get("ConfigMap", "default", "during-partition"); obj == nil {
			t.Fatalf("%d misses the write made during the partition", m.Index)
		}
		if obj, _ := store.Get("ConfigMap", "default", "from-isolated-leader"); obj != nil {
			t.Fatalf("%d applied the isolated leader's uncommitted write", m.Index)
		}
	}
}
