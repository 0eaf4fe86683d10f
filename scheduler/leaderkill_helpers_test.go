package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/internal/hollow"
)

// leaderKillSetup starts the three-server cluster every leader-kill test
// uses, a client that retries across the election, and, when nodes > 0,
// that many hollow nodes (prefix-named) registered before it returns.
func leaderKillSetup(t *testing.T, prefix string, nodes int, startDelay time.Duration) (*cluster.Cluster, *client.Client, context.Context) {
	t.Helper()
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: c.Addresses(), RetryFor: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	if nodes > 0 {
		h, err := hollow.New(hollow.Config{Client: cl, Prefix: prefix, Count: nodes, StartDelay: startDelay})
		if err != nil {
			t.Fatal(err)
		}
		go h.Run(ctx)
		<-h.Registered()
	}
	return c, cl, ctx
}
