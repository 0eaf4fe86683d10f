package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// startWithAgents starts three servers and one agent per name, waits until
// the cluster takes writes and every node is Ready, and returns the
// cluster, a client, a context bounded by the e2e tests' 150 s, and the
// agents by name.
// startWritable starts the servers and returns a client, once a leader
// takes writes, with a context that ends after timeout or with the test.
func startWritable(t *testing.T, timeout time.Duration) (*procCluster, *client.Client, context.Context) {
	t.Helper()
	c := startProcCluster(t)
	cl := c.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	c.leader(ctx, cl)
	waitWritable(ctx, t, cl)
	return c, cl, ctx
}

func startWithAgents(t *testing.T, names ...string) (*procCluster, *client.Client, context.Context, map[string]*proc) {
	t.Helper()
	c, cl, ctx := startWritable(t, 150*time.Second)
	agents := map[string]*proc{}
	for _, name := range names {
		agents[name] = c.startAgent(name)
	}
	for _, name := range names {
		waitNodeReady(ctx, t, cl, name, api.ConditionTrue)
	}
	return c, cl, ctx, agents
}

// startDockerCluster is startWithAgents with one agent, n1, for tests of
// the docker driver: it skips when the test images are not built or n1
// does not advertise the driver (no engine).
func startDockerCluster(t *testing.T) (*procCluster, *client.Client, context.Context) {
	t.Helper()
	requireDockerImages(t)
	c, cl, ctx, _ := startWithAgents(t, "n1")
	n := waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	if !slices.Contains(n.Status.Drivers, "docker") {
		t.Skipf("the node does not advertise the docker driver: %v", n.Status.Drivers)
	}
	return c, cl, ctx
}
