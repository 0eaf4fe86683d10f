package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

// TestHeartbeatsKeepNodesReadyWithoutWrites: heartbeats sent to any
// replica reach the leader, keep a node Ready well past the grace period
// without changing the stored Node (no Raft write), and once they stop the
// leader marks the node lost and says so in the next answer.
func TestHeartbeatsKeepNodesReadyWithoutWrites(t *testing.T) {
	const grace = 2 * time.Second
	c := cluster.New(t, 3, cluster.Options{NodeGrace: grace})
	leader := c.WaitForLeader(15 * time.Second)
	follower := c.Follower(leader).APIURL()
	cl, err := client.New(client.Config{Addresses: []string{follower}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cl.Heartbeat(ctx, "nope"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("heartbeat of an unknown node: %v, want NotFound", err)
	}
	node := registerReadyNode(t, cl, "hb1")

	deadline := time.Now().Add(3 * grace)
	for time.Now().Before(deadline) {
		res, err := cl.Heartbeat(ctx, "hb1")
		if err != nil || !res.Ready {
			t.Fatalf("heartbeat: %+v, %v", res, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	got, err := cl.Get(ctx, "Node", "", "hb1", client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rv := got.GetObjectMeta().ResourceVersion; rv != node.GetObjectMeta().ResourceVersion {
		t.Fatalf("heartbeats rewrote the node: resourceVersion %d -> %d", node.GetObjectMeta().ResourceVersion, rv)
	}

	lost := time.Now().Add(grace + 5*time.Second)
	for {
		obj, err := cl.Get(ctx, "Node", "", "hb1", client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c := api.FindCondition(obj.(*api.Node).Status.Conditions, api.NodeReady); c != nil && c.Status == api.ConditionUnknown {
			break
		}
		if time.Now().After(lost) {
			t.Fatal("the node was not marked lost after its heartbeats stopped")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res, err := cl.Heartbeat(ctx, "hb1"); err != nil || res.Ready {
		t.Fatalf("heartbeat after the node was lost: %+v, %v; want ready=false", res, err)
	}
}

func registerReadyNode(t *testing.T, cl *client.Client, name string) api.Object {
	t.Helper()
	ctx := context.Background()
	n := &api.Node{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: api.ObjectMeta{Name: name}}
	if _, err := cl.Create(ctx, n); err != nil {
		t.Fatal(err)
	}
	now := api.NewTime(time.Now())
	n.Status.Conditions = []api.Condition{{Type: api.NodeReady, Status: api.ConditionTrue, LastHeartbeatTime: now, LastTransitionTime: now}}
	n.Status.Capacity = api.ResourceList{"cpu": "4", "memory": "8Gi", "pods": "110"}
	n.Status.Allocatable = n.Status.Capacity
	obj, err := cl.UpdateStatus(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}
