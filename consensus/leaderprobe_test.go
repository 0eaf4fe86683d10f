package consensus

import (
	"net"
	"testing"
	"time"
)

// newLeaderAfterKill stops leader as a SIGKILL would (connections cut, the
// Raft port closed) and returns how long the others took to elect a new
// leader, or max when none was elected by then.
func newLeaderAfterKill(t *testing.T, nodes []*Node, leader *Node, max time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := leader.close(); err != nil {
		t.Fatal(err)
	}
	for time.Since(start) < max {
		for _, n := range nodes {
			if n != leader && n.IsLeader() {
				return time.Since(start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return max
}

// At multiplier 5 a follower waits 1.5-3 s without contact before it may
// campaign (heartbeats every 150 ms), so no election can start within
// 1.2 s of the kill on the timeout alone.
const (
	probeTestMultiplier = 5
	probeTestWindow     = 1200 * time.Millisecond
)

// TestKilledLeaderIsReplacedBeforeTheHeartbeatTimeout: the followers see
// the killed leader's connections end, find its Raft port refusing, and
// elect a new leader within a fraction of the heartbeat timeout
// (leaderprobe.go, third_party/raft leader_gone.go).
func TestKilledLeaderIsReplacedBeforeTheHeartbeatTimeout(t *testing.T) {
	nodes, leader := startTrioWith(t, func(c *Config) { c.Multiplier = probeTestMultiplier })
	took := newLeaderAfterKill(t, nodes, leader, probeTestWindow)
	if took >= probeTestWindow {
		t.Fatalf("no new leader within %v of the kill; the heartbeat timeout is %v", probeTestWindow,
			baseHeartbeat*probeTestMultiplier)
	}
	t.Logf("new leader %v after the kill (heartbeat timeout %v)", took, baseHeartbeat*probeTestMultiplier)
}

// TestWithoutARefusedProbeFollowersWaitForTheTimeout is the control: when
// the probe finds the leader's address accepting (a machine that is alive,
// or one that answers nothing), the followers wait out the heartbeat
// timeout as plain Raft does.
func TestWithoutARefusedProbeFollowersWaitForTheTimeout(t *testing.T) {
	nodes, leader := startTrioWith(t, func(c *Config) { c.Multiplier = probeTestMultiplier })
	for _, n := range nodes {
		n.probe.setDial(func(string, string, time.Duration) (net.Conn, error) {
			a, b := net.Pipe()
			b.Close()
			return a, nil
		})
	}
	if took := newLeaderAfterKill(t, nodes, leader, probeTestWindow); took < probeTestWindow {
		t.Fatalf("a new leader %v after the kill, before any heartbeat timeout could end: the probe is not what sped it up", took)
	}
}

// TestLiveLeaderKeepsLeadingWhenConnectionsDrop: connections that end for
// ordinary reasons (here the followers drop all of theirs) make the
// followers probe the leader, find it listening, and keep it.
func TestLiveLeaderKeepsLeadingWhenConnectionsDrop(t *testing.T) {
	nodes, leader := startTrio(t)
	term := leader.raft.Stats()["term"]
	for round := 0; round < 5; round++ {
		for _, n := range nodes {
			if n != leader {
				n.stream.closeAll()
			}
		}
		time.Sleep(150 * time.Millisecond) // past the early election's delay (50-100 ms)
	}
	if !leader.IsLeader() {
		t.Fatal("the leader lost its leadership after its followers' connections dropped")
	}
	if now := leader.raft.Stats()["term"]; now != term {
		t.Fatalf("term moved from %s to %s: an election took place", term, now)
	}
}
