package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// startWithAgents starts three servers and one agent per name, waits until
// the cluster takes writes and every node is Ready, and returns the
// cluster, a client, a context bounded by the e2e tests' 150 s, and the
// agents by name.
func startWithAgents(t *testing.T, names ...string) (*procCluster, *client.Client, context.Context, map[string]*proc) {
	t.Helper()
	c := startProcCluster(t)
	cl := c.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	t.Cleanup(cancel)
	c.leader(ctx, cl)
	waitWritable(ctx, t, cl)
	agents := map[string]*proc{}
	for _, name := range names {
		agents[name] = c.startAgent(name)
	}
	for _, name := range names {
		waitNodeReady(ctx, t, cl, name, api.ConditionTrue)
	}
	return c, cl, ctx, agents
}
