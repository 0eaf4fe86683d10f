package consensus

import (
	"net"
	"syscall"
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

// At multiplier 10 the heartbeat timeout is 3 s and heartbeats go every
// 0.3-0.6 s, so on the timeout alone no follower may campaign until 2.4 s
// after the kill. The early path gives the leader up after 1 s of silence
// and stands 0.3-0.45 s later: 1.3-1.45 s after the last heartbeat.
const (
	probeTestMultiplier = 10
	probeTestWindow     = 2200 * time.Millisecond
)

// connectingDial stands for a leader address that accepts connections.
func connectingDial(string, string, time.Duration) (net.Conn, error) {
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

// refusingDial stands for an address that refuses them (a dead process, or
// a firewall that rejects).
func refusingDial(string, string, time.Duration) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
}

// TestKilledLeaderIsReplacedBeforeTheHeartbeatTimeout: the followers see
// the killed leader's connections end, find its Raft port refusing, and
// elect a new leader well before the heartbeat timeout (leaderprobe.go,
// third_party/raft leader_gone.go).
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
// the leader's address still accepts connections, the followers wait out
// the heartbeat timeout as plain Raft does.
func TestWithoutARefusedProbeFollowersWaitForTheTimeout(t *testing.T) {
	nodes, leader := startTrioWith(t, func(c *Config) { c.Multiplier = probeTestMultiplier })
	for _, n := range nodes {
		n.probe.setDial(connectingDial)
	}
	if took := newLeaderAfterKill(t, nodes, leader, probeTestWindow); took < probeTestWindow {
		t.Fatalf("a new leader %v after the kill, before any heartbeat timeout could end: the probe is not what sped it up", took)
	}
}

// dropFollowerConns makes every follower of leader lose all its Raft
// connections, rounds times, and fails if the leader's term moved.
func dropFollowerConns(t *testing.T, nodes []*Node, leader *Node, rounds int, gap time.Duration) {
	t.Helper()
	term := leader.raft.Stats()["term"]
	for range rounds {
		for _, n := range nodes {
			if n != leader {
				n.stream.closeAll()
			}
		}
		time.Sleep(gap)
	}
	if !leader.IsLeader() {
		t.Fatal("the leader lost its leadership after its followers' connections dropped")
	}
	if now := leader.raft.Stats()["term"]; now != term {
		t.Fatalf("term moved from %s to %s: an election took place", term, now)
	}
}

// TestLiveLeaderKeepsLeadingWhenConnectionsDrop: connections that end for
// ordinary reasons make the followers probe the leader, find it listening,
// and keep it.
func TestLiveLeaderKeepsLeadingWhenConnectionsDrop(t *testing.T) {
	nodes, leader := startTrio(t)
	dropFollowerConns(t, nodes, leader, 5, 200*time.Millisecond)
}

// TestLiveLeaderKeepsLeadingWhenItsAddressRefuses: a refused dial is not
// proof on its own (a firewall that rejects new connections, a wrong
// advertised address): a leader whose heartbeats still arrive keeps its
// followers even though every probe is refused. At multiplier 5 the
// heartbeats come every 150-300 ms and the followers give a reported leader
// up after 500 ms of silence.
func TestLiveLeaderKeepsLeadingWhenItsAddressRefuses(t *testing.T) {
	nodes, leader := startTrioWith(t, func(c *Config) { c.Multiplier = 5 })
	for _, n := range nodes {
		n.probe.setDial(refusingDial)
	}
	dropFollowerConns(t, nodes, leader, 6, 400*time.Millisecond)
}
