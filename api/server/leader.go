package server

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	"github.com/google/uuid"
)

// LeaderService is a loop that runs only on the leader (the scheduler and
// controllers register here). It must return when ctx ends.
type LeaderService func(ctx context.Context)

// leaderServices is the one place that starts every leader-only loop when
// leadership is gained and stops them all when it is lost.
type leaderServices struct {
	s        *Server
	mu       sync.Mutex
	services []LeaderService
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func newLeaderServices(s *Server) *leaderServices { return &leaderServices{s: s} }

// AddLeaderService registers a loop to run while this replica leads. Call it
// before the server becomes leader (right after New) to be sure it runs.
func (s *Server) AddLeaderService(f LeaderService) {
	s.leaderSvcs.mu.Lock()
	defer s.leaderSvcs.mu.Unlock()
	s.leaderSvcs.services = append(s.leaderSvcs.services, f)
}

func (l *leaderServices) running() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cancel != nil
}

func (l *leaderServices) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(l.s.ctx)
	l.cancel = cancel
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		if !l.s.establishLeadership(ctx) {
			return
		}
		l.mu.Lock()
		svcs := append([]LeaderService(nil), l.services...)
		l.mu.Unlock()
		for _, f := range svcs {
			l.wg.Add(1)
			go func(f LeaderService) { defer l.wg.Done(); f(ctx) }(f)
		}
	}()
}

func (l *leaderServices) stop() {
	l.mu.Lock()
	cancel := l.cancel
	l.cancel = nil
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		l.wg.Wait()
	}
}

// leadershipLoop follows Raft's leadership notifications. Notifications can
// coalesce, so it acts on the current state rather than on the value.
func (s *Server) leadershipLoop() {
	for {
		select {
		case <-s.node.LeaderCh():
			s.followLeadership()
		case <-s.ctx.Done():
			s.leaderSvcs.stop()
			return
		}
	}
}

// followLeadership acts on one (possibly coalesced) notification. A
// notification that finds this replica leading starts this term's services
// afresh, behind a new barrier, even when services run: they may be an
// earlier term's, whose loss and regain coalesced into this notification,
// and leaving them would leave the replica leading but never ready.
func (s *Server) followLeadership() {
	if s.node.IsLeader() {
		s.logger.Info("gained leadership")
		s.leaderReady.Store(false) // until this term's barrier is done
		s.leaderSvcs.stop()
		s.leaderSvcs.start()
		// After start: retiring may wait for a dial to the old leader.
		s.fwd.stream.retire()
	} else if s.leaderSvcs.running() {
		s.logger.Info("lost leadership")
		s.leaderReady.Store(false)
		s.leaderSvcs.stop()
	}
}

// establishLeadership runs before any leader-only work: a barrier makes the
// local FSM current with everything committed by earlier leaders; then the
// built-in namespaces are ensured and the replica declares itself ready.
func (s *Server) establishLeadership(ctx context.Context) bool {
	for ctx.Err() == nil {
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := s.node.Barrier(bctx)
		cancel()
		if err == nil {
			break
		}
		s.logger.Warn("barrier failed after gaining leadership", "error", err)
		if !s.node.IsLeader() {
			return false
		}
	}
	if ctx.Err() != nil {
		return false
	}
	s.ensureNamespaces(ctx)
	s.leaderReady.Store(true)
	s.markBootstrapped()
	go s.reconcilePeers(ctx)
	return true
}

// builtinNamespaces exist in every cluster, as in Kubernetes.
var builtinNamespaces = []string{"default", "barque-system"}

func (s *Server) ensureNamespaces(ctx context.Context) {
	var ops []fsm.Op
	for _, name := range builtinNamespaces {
		if obj, _ := s.node.Store().Get("Namespace", "", name); obj != nil {
			continue
		}
		ns := &api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Name: name, UID: uuid.NewString(), CreationTimestamp: api.NewTime(time.Now())},
			Status:     api.NamespaceStatus{Phase: "Active"}}
		op, err := fsm.NewOp(fsm.OpCreate, ns)
		if err == nil {
			ops = append(ops, op)
		}
	}
	if len(ops) == 0 {
		return
	}
	if _, _, err := s.node.Propose(ctx, ops); err != nil {
		s.logger.Warn("creating built-in namespaces failed", "error", err)
	}
}

// followerReadyLoop keeps a follower's readiness current: it is ready while
// it knows a leader, hears from it, and has applied what the leader told
// it is committed (followerCaughtUp).
func (s *Server) followerReadyLoop() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	marked := false
	prevCommit := uint64(math.MaxUint64)
	for {
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
		s.advertiseCluster()
		if s.node.IsLeader() {
			prevCommit = math.MaxUint64
			continue
		}
		id, _ := s.node.Leader()
		r := s.node.Raft()
		commit := r.CommitIndex()
		ok := id != "" && time.Since(r.LastContact()) < 3*time.Second &&
			followerCaughtUp(commit, prevCommit, r.AppliedIndex())
		prevCommit = commit
		if ok && !s.followerReady.Load() {
			// Becoming ready: Raft's applied index counts entries handed
			// to the FSM, not yet applied, so ask the leader for its read
			// index as a linearizable read would, once.
			ok = s.storeReachedLeader()
		}
		s.followerReady.Store(ok)
		if ok && !marked {
			s.markBootstrapped()
			marked = true
		}
	}
}

// followerCaughtUp reports whether a follower's store is current: the
// leader has told it a commit index (a restarted replica knows none until
// then, and would serve an old or empty store), and it has applied up to
// that index as it stood at the previous check (prevCommit; MaxUint64 for
// none), so that applying just behind a busy leader still counts.
func followerCaughtUp(commit, prevCommit, applied uint64) bool {
	return commit > 0 && applied >= min(commit, prevCommit)
}

// storeReachedLeader reports whether the local store holds everything the
// leader had applied a moment ago (one read-index round).
func (s *Server) storeReachedLeader() bool {
	ctx, cancel := context.WithTimeout(s.ctx, time.Second)
	defer cancel()
	idx, err := s.reads.readIndex(ctx)
	return err == nil && s.node.Store().Index() >= idx
}

// isReady is /readyz: a leader once its barrier is done, a follower while
// it hears from a leader.
func (s *Server) isReady() bool {
	if s.node.IsLeader() {
		return s.leaderReady.Load()
	}
	return s.followerReady.Load()
}
