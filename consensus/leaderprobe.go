package consensus

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// A leader killed on a live machine closes every connection it had, and
// its Raft address then refuses new ones. A follower notices the first at
// once, on the connections the leader dialled to it; it checks the second
// by dialling the leader, and when the kernel refuses (nothing listens
// there) it reports the leader gone to Raft. Raft gives the leader up once
// it has also been silent for a third of the heartbeat timeout, and
// starts an election (third_party/raft, leader_gone.go). Without this a
// follower waits out the heartbeat timeout, 300-600 ms at multiplier 1.
//
// Connections close for ordinary reasons too (a pool trimmed, a
// partition, a peer restarting its transport): the dial then succeeds, or
// fails some other way, and nothing happens. A refused dial is what a
// dead process's machine answers; a machine or network that is gone
// answers nothing and leaves it to the timeout. A refusal can also come
// from a firewall or a wrong advertised address while the leader lives:
// its heartbeats then keep its followers, because Raft also waits for
// silence.
const (
	// probeAttempts dials, probeGap apart, while they connect: a dying
	// process's listener may still accept a moment after its other sockets
	// closed.
	probeAttempts = 3
	probeGap      = 20 * time.Millisecond
	probeTimeout  = 100 * time.Millisecond
)

// leaderProbe runs at most one probe at a time for a node.
type leaderProbe struct {
	raft    atomic.Pointer[raft.Raft] // set once Raft runs
	running atomic.Bool
	// dial is net.DialTimeout; tests replace it (setDial).
	dial   atomic.Pointer[dialFunc]
	logger hclog.Logger
}

type dialFunc func(network, address string, timeout time.Duration) (net.Conn, error)

func newLeaderProbe(logger hclog.Logger) *leaderProbe {
	p := &leaderProbe{logger: logger}
	p.setDial(net.DialTimeout)
	return p
}

func (p *leaderProbe) setDial(d dialFunc) { p.dial.Store(&d) }

// connLost is called when an inbound Raft connection ends: if this replica
// follows a leader, check whether the leader is still there.
func (p *leaderProbe) connLost() {
	r := p.raft.Load()
	if r == nil || r.State() != raft.Follower {
		return
	}
	addr, _ := r.LeaderWithID()
	term := r.CurrentTerm()
	if addr == "" || !p.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer p.running.Store(false)
		if p.refused(addr) {
			r.ReportLeaderGone(addr, term)
			return
		}
		p.logger.Debug("a connection from the leader ended; the leader still listens", "leader", addr)
	}()
}

// refused reports whether a dial to addr was refused by the kernel: then
// nothing listens there. A dial that connects, or is reset, is tried again
// after a moment, for the listener of a dying process may still take it;
// any other failure (a timeout, no route) proves nothing.
func (p *leaderProbe) refused(addr raft.ServerAddress) bool {
	dial := *p.dial.Load()
	for i := range probeAttempts {
		if i > 0 {
			time.Sleep(probeGap)
		}
		c, err := dial("tcp", string(addr), probeTimeout)
		switch {
		case err == nil:
			c.Close()
		case errors.Is(err, syscall.ECONNREFUSED):
			return true
		case errors.Is(err, syscall.ECONNRESET):
			// A listener being closed resets the connections in its
			// backlog: try again, it refuses once it is gone.
		default:
			return false
		}
	}
	return false
}
