package consensus

import (
	"context"
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
)

// Coalescing limits. While maxInFlight entries are on their way through
// Raft, new proposals queue up and then travel together in one entry: one
// log append, one fsync and one FSM transaction for many client writes.
const (
	maxInFlight   = 1
	maxBatchOps   = 1024
	maxBatchBytes = 2 << 20
	// groupCommitMinOps is the entry size from which the proposer takes the
	// load to be steady and waits Config.GroupCommitDelay before the next
	// entry. 1 ms at 64 concurrent writers: ~25 instead of ~13 writes per
	// entry and 20 % more writes per second (docs/BENCHMARKS.md).
	groupCommitMinOps = 8
)

type proposal struct {
	ops  []fsm.Op
	size int
	done chan proposalResult
}

type proposalResult struct {
	results []fsm.Result
	index   uint64
	err     error
}

type proposer struct {
	n *Node
	// urgent carries the scheduler's bindings, ch everything else. Bindings
	// go first: under a burst of creates (a Deployment scaled by
	// thousands) a pod's wait from created to bound is then one entry,
	// not the whole queue of creates ahead of it; the creates wait instead,
	// which slows the burst down to what the scheduler can bind.
	urgent chan *proposal
	ch     chan *proposal
	sem    chan struct{}
	quit   chan struct{}
	// lastOps is how many writes the previous entry carried.
	lastOps int
}

func newProposer(n *Node) *proposer {
	p := &proposer{n: n, urgent: make(chan *proposal, 64), ch: make(chan *proposal, 4096),
		sem: make(chan struct{}, maxInFlight), quit: make(chan struct{})}
	go p.run()
	return p
}

func (p *proposer) stop() { close(p.quit) }

// Propose commits ops through the log (batched with other concurrent
// proposals) and returns their results once the local FSM applied them,
// with the log index of the entry.
func (n *Node) Propose(ctx context.Context, ops []fsm.Op) ([]fsm.Result, uint64, error) {
	if !n.IsLeader() {
		return nil, 0, api.Unavailable("this server is not the leader")
	}
	size := 0
	for i := range ops {
		size += len(ops[i].Object) + 64
	}
	select {
	case <-n.proposer.quit:
		return nil, 0, errShuttingDown()
	default:
	}
	pr := &proposal{ops: ops, size: size, done: make(chan proposalResult, 1)}
	queue := n.proposer.ch
	if allBindings(ops) {
		queue = n.proposer.urgent
	}
	select {
	case queue <- pr:
	case <-ctx.Done():
		return nil, 0, api.Unavailable("timed out queueing the write: " + ctx.Err().Error())
	case <-n.proposer.quit:
		return nil, 0, errShuttingDown()
	}
	select {
	case r := <-pr.done:
		return r.results, r.index, r.err
	case <-ctx.Done():
		return nil, 0, api.Timeout("the write may or may not have been applied: " + ctx.Err().Error())
	}
}

func (p *proposer) run() {
	for {
		first := p.next()
		if first == nil {
			p.refuseQueued()
			return
		}
		select {
		case p.sem <- struct{}{}:
		case <-p.quit:
			first.done <- proposalResult{err: errShuttingDown()}
			p.refuseQueued()
			return
		}
		if d := p.n.cfg.GroupCommitDelay; d > 0 && p.lastOps >= groupCommitMinOps {
			p.linger(d)
		}
		batch := p.drain(first)
		p.lastOps = 0
		for _, pr := range batch {
			p.lastOps += len(pr.ops)
		}
		p.submit(batch)
	}
}

func errShuttingDown() error { return api.Unavailable("this server is shutting down") }

// refuseQueued answers the proposals left in the queues when the proposer
// stops (503: none of them was proposed), and those that were on their way
// in, for a second; later ones are refused by Propose itself.
func (p *proposer) refuseQueued() {
	grace := time.NewTimer(time.Second)
	defer grace.Stop()
	for {
		select {
		case pr := <-p.urgent:
			pr.done <- proposalResult{err: errShuttingDown()}
		case pr := <-p.ch:
			pr.done <- proposalResult{err: errShuttingDown()}
		case <-grace.C:
			return
		}
	}
}

// linger waits d for more proposals to queue, unless stopping.
func (p *proposer) linger(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.quit:
	}
}

// next waits for a proposal, urgent ones first; nil when stopping.
func (p *proposer) next() *proposal {
	select {
	case pr := <-p.urgent:
		return pr
	default:
	}
	select {
	case pr := <-p.urgent:
		return pr
	case pr := <-p.ch:
		return pr
	case <-p.quit:
		return nil
	}
}

// drain collects what else is waiting, urgent proposals first, within the
// batch limits.
func (p *proposer) drain(first *proposal) []*proposal {
	batch := []*proposal{first}
	ops, bytes := len(first.ops), first.size
	for _, q := range []chan *proposal{p.urgent, p.ch} {
		for ops < maxBatchOps && bytes < maxBatchBytes {
			var pr *proposal
			select {
			case pr = <-q:
			default:
			}
			if pr == nil {
				break
			}
			batch = append(batch, pr)
			ops += len(pr.ops)
			bytes += pr.size
		}
	}
	return batch
}

// allBindings reports whether every op binds a pod (the scheduler's
// proposals).
func allBindings(ops []fsm.Op) bool {
	for i := range ops {
		if ops[i].Type != fsm.OpBind {
			return false
		}
	}
	return len(ops) > 0
}

func (p *proposer) submit(batch []*proposal) {
	var all []fsm.Op
	for _, pr := range batch {
		all = append(all, pr.ops...)
	}
	cmd, err := fsm.EncodeOps(all)
	if err != nil {
		<-p.sem
		finish(batch, nil, 0, api.Internal(err))
		return
	}
	f := p.n.raft.Apply(cmd, p.n.cfg.ApplyTimeout)
	go func() {
		err := p.n.applyError(f)
		<-p.sem
		if err != nil {
			finish(batch, nil, 0, translate(err))
			return
		}
		switch resp := f.Response().(type) {
		case []fsm.Result:
			finish(batch, resp, f.Index(), nil)
		case error:
			finish(batch, nil, f.Index(), api.Internal(resp))
		default:
			finish(batch, nil, f.Index(), api.Internal(fmt.Errorf("unexpected FSM response %T", resp)))
		}
	}()
}

// finish hands each proposal its slice of the entry's results.
func finish(batch []*proposal, results []fsm.Result, index uint64, err error) {
	off := 0
	for _, pr := range batch {
		r := proposalResult{index: index, err: err}
		if err == nil {
			r.results = results[off : off+len(pr.ops)]
			off += len(pr.ops)
		}
		pr.done <- r
	}
}
