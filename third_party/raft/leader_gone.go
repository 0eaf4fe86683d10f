package raft

import (
	"math/rand"
	"sort"
	"time"
)

// Barque patch (see PATCHED.md, third change): a follower that learns its
// leader's process is gone (its Raft port refuses connections, which only
// happens when nothing listens there) starts an election within a fraction
// of the heartbeat timeout instead of waiting the timeout out. A leader
// killed on a live machine then costs ~0.1 s of unavailability instead of
// 0.3-0.6 s at Barque's LAN timings. A leader whose machine or network is
// gone still costs the heartbeat timeout: nothing refuses the probe.

// leaderGone is one report, for the main loop of a follower.
type leaderGone struct {
	addr ServerAddress
}

// earlyElectionDelay is when a follower that gave up its leader starts
// the election: the surviving voters take turns by ID, HeartbeatTimeout/5
// apart (60 ms at Barque's multiplier 1), the first after
// HeartbeatTimeout/10 with a jitter of up to HeartbeatTimeout/20. By then
// every follower has heard of the loss and forgotten the leader (one that
// still knows a leader refuses a pre-vote), and two followers never stand
// at the same moment: with random delays alone, two of twenty kills ended
// in a split vote, which costs an election timeout. If the first in turn
// cannot win (its log is behind), the next one stands.
func earlyElectionDelay(hb time.Duration, rank int) time.Duration {
	jitter := time.Duration(rand.Int63n(int64(hb/20) + 1))
	return hb/10 + time.Duration(rank)*(hb/5) + jitter
}

// voterRank is this server's place among the voters of the latest
// configuration other than gone, by ID.
func (r *Raft) voterRank(gone ServerID) int {
	var ids []string
	for _, s := range r.configurations.latest.Servers {
		if s.Suffrage == Voter && s.ID != gone {
			ids = append(ids, string(s.ID))
		}
	}
	sort.Strings(ids)
	return sort.SearchStrings(ids, string(r.localID))
}

// ReportLeaderGone tells this replica that the leader at addr is known to
// be gone: no process accepts connections on its Raft address. A follower
// whose leader that is forgets it and starts an election after a short
// random delay, unless the leader is heard from meanwhile (a report about a
// live leader, say one whose advertised address is wrong, then costs
// nothing but the forgotten leader until its next heartbeat). Any other
// replica ignores the report.
func (r *Raft) ReportLeaderGone(addr ServerAddress) {
	select {
	case r.leaderGoneCh <- leaderGone{addr: addr}:
	default:
	}
}

// onLeaderGone handles a report in the follower loop. It returns the timer
// that replaces the heartbeat timer and the moment the leader was given up,
// or ok=false when the report does not hold.
func (r *Raft) onLeaderGone(g leaderGone) (timer <-chan time.Time, goneAt time.Time, ok bool) {
	leaderAddr, leaderID := r.LeaderWithID()
	if leaderAddr == "" || leaderAddr != g.addr {
		return nil, time.Time{}, false
	}
	r.logger.Warn("the leader's Raft address refuses connections: starting an election early",
		"leader-address", leaderAddr, "leader-id", leaderID)
	r.setLeader("", "")
	delay := earlyElectionDelay(r.config().HeartbeatTimeout, r.voterRank(leaderID))
	return time.After(delay), time.Now(), true
}
