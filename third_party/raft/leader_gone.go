package raft

import (
	"math/rand"
	"sort"
	"time"
)

// Barque patch (see PATCHED.md, third change): a follower told that its
// leader's process is gone (ReportLeaderGone) starts an election within a
// fraction of the heartbeat timeout instead of waiting the timeout out. A
// leader killed on a live machine then costs ~0.1 s of unavailability
// instead of 0.3-0.6 s at Barque's LAN timings. A leader whose machine or
// network is gone still costs the heartbeat timeout.
//
// A report is a hint, never enough on its own: the follower gives its
// leader up only once it has also heard nothing from it for
// HeartbeatTimeout/3, longer than the leader's longest gap between
// heartbeats (HeartbeatTimeout/5). A live leader that is reported gone by
// mistake (a firewall that rejects new connections, a wrong advertised
// address) keeps its followers.

// leaderGone is one report, for the main loop of a follower.
type leaderGone struct {
	addr ServerAddress
	term uint64
}

// earlyElection is a follower's progress after a report.
type earlyElection struct {
	reportedAt time.Time // zero: no report being acted on
	clearedAt  time.Time // when the leader was given up; zero: not yet
}

// silenceBeforeGivingUp is how long a reported leader must have been
// silent before the follower gives it up.
func silenceBeforeGivingUp(hb time.Duration) time.Duration { return hb / 3 }

// earlyElectionDelay is when a follower that gave its leader up stands:
// the surviving voters take turns by ID, HeartbeatTimeout/5 apart, the
// first after HeartbeatTimeout/10 with a jitter of up to
// HeartbeatTimeout/20. Every follower gives the leader up at about the
// same moment (they heard its last heartbeat at about the same time), so
// by the time the first stands the others have forgotten it (a follower
// that still knows a leader refuses a pre-vote), and two followers never
// stand at the same moment: with random delays alone, two of twenty kills
// ended in a split vote, which costs an election timeout. If the first in
// turn cannot win (its log is behind), the next one stands.
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

// ReportLeaderGone tells this replica that the leader at addr, which led
// in term, is believed gone: its Raft address refuses connections. A
// follower of that leader in that term gives it up and stands early once
// the leader has also been silent (see above); any other replica, or a
// report of an earlier term, is ignored.
func (r *Raft) ReportLeaderGone(addr ServerAddress, term uint64) {
	select {
	case r.leaderGoneCh <- leaderGone{addr: addr, term: term}:
	default:
	}
}

// onLeaderGone takes a report in the follower loop: ok with the timer that
// replaces the heartbeat timer when it holds.
func (r *Raft) onLeaderGone(g leaderGone, e *earlyElection) (timer <-chan time.Time, ok bool) {
	leaderAddr, _ := r.LeaderWithID()
	if leaderAddr == "" || leaderAddr != g.addr || g.term != r.getCurrentTerm() || !e.reportedAt.IsZero() {
		return nil, false
	}
	*e = earlyElection{reportedAt: time.Now()}
	return r.earlyTimer(r.LastContact()), true
}

// earlyTimer fires when the leader will have been silent long enough.
func (r *Raft) earlyTimer(lastContact time.Time) <-chan time.Time {
	return time.After(time.Until(lastContact.Add(silenceBeforeGivingUp(r.config().HeartbeatTimeout))))
}

// earlyStep runs when the heartbeat timer fires while a report is being
// acted on. It returns stand when the follower should become a candidate
// now; otherwise the next timer (and the report is dropped when the
// leader, or a new one, was heard from).
func (r *Raft) earlyStep(e *earlyElection) (timer <-chan time.Time, stand bool) {
	hb := r.config().HeartbeatTimeout
	lastContact := r.LastContact()
	if e.clearedAt.IsZero() {
		switch {
		case lastContact.After(e.reportedAt):
			// The leader spoke after the report: it is alive.
			*e = earlyElection{}
			return randomTimeout(hb), false
		case time.Since(lastContact) < silenceBeforeGivingUp(hb):
			return r.earlyTimer(lastContact), false
		}
		leaderAddr, leaderID := r.LeaderWithID()
		r.logger.Warn("the leader's Raft address refuses connections and it has gone silent: starting an election early",
			"leader-address", leaderAddr, "leader-id", leaderID)
		r.setLeader("", "")
		e.clearedAt = time.Now()
		return time.After(earlyElectionDelay(hb, r.voterRank(leaderID))), false
	}
	// A new leader's contact, or a pre-vote granted to another follower
	// (whose election may still be running), ends the early path: the
	// ordinary timer takes over, so two followers do not split the vote.
	if lastContact.After(e.clearedAt) || r.lastPreVoteGrant.After(e.clearedAt) {
		*e = earlyElection{}
		return randomTimeout(hb), false
	}
	*e = earlyElection{}
	return nil, true
}
