package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// TestAgentJoinsThroughAgent: an agent given only another agent's gossip
// address (no server's) learns the servers from gossip and registers Ready.
func TestAgentJoinsThroughAgent(t *testing.T) {
	c, cl, ctx, agents := startWithAgents(t, "n1")
	n2 := c.startAgentWith("n2", nil, "-join", agents["n1"].gossip)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	n := waitNodeReady(ctx, t, cl, "n2", api.ConditionTrue)
	if n.Status.Attributes["agent.api"] == "" {
		t.Fatalf("n2 registered without its agent API: %v", n.Status.Attributes)
	}
	// n2 was given n1's address alone.
	if log, _ := readFile(n2.logPath); !contains(log, "joining ["+agents["n1"].gossip+"]") {
		t.Fatalf("n2 did not join through n1 alone:\n%s", tail(log, 2000))
	}
}
