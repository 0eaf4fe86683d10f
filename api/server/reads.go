package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
)

// readBarrier makes a read linearizable unless the client asked for a stale
// one. On the leader: confirm leadership with a round of heartbeats (the
// local store already holds every acknowledged write, because writes are
// acknowledged only after the leader applied them). On a follower: ask the
// leader for its applied index (a read index) and wait until the local store
// has caught up to it.
func (s *Server) readBarrier(r *http.Request) error {
	if r.URL.Query().Get("stale") == "true" {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	idx, err := s.reads.readIndex(ctx)
	if err != nil {
		return err
	}
	if err := s.node.Store().WaitForIndex(ctx, idx); err != nil {
		return api.Unavailable("this server has not caught up with the leader: " + err.Error())
	}
	return nil
}

// readBatcher shares one read-index round between every read that arrived
// before the round started, so that a burst of reads costs one heartbeat
// round (leader) or one request to the leader (follower).
type readBatcher struct {
	s       *Server
	mu      sync.Mutex
	waiting []chan readResult
	running bool
}

type readResult struct {
	index uint64
	err   error
}

func newReadBatcher(s *Server) *readBatcher { return &readBatcher{s: s} }

func (b *readBatcher) readIndex(ctx context.Context) (uint64, error) {
	ch := make(chan readResult, 1)
	b.mu.Lock()
	b.waiting = append(b.waiting, ch)
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
	select {
	case res := <-ch:
		return res.index, res.err
	case <-ctx.Done():
		return 0, api.Unavailable("linearizable read timed out: " + ctx.Err().Error())
	}
}

func (b *readBatcher) loop() {
	for {
		b.mu.Lock()
		batch := b.waiting
		b.waiting = nil
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(b.s.ctx, 5*time.Second)
		idx, err := b.s.fetchReadIndex(ctx)
		cancel()
		for _, ch := range batch {
			ch <- readResult{idx, err}
		}
	}
}

// fetchReadIndex is one round: local on the leader, a request to it elsewhere.
func (s *Server) fetchReadIndex(ctx context.Context) (uint64, error) {
	if s.node.IsLeader() {
		return s.leaderReadIndex(ctx)
	}
	leader := s.leaderAPI()
	if leader == "" {
		return 0, api.Unavailable("no leader is known; cannot serve a linearizable read (use ?stale=true for a local read)")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, leader+"/v1/internal/read-index", nil)
	if err != nil {
		return 0, api.Internal(err)
	}
	resp, err := s.proxy.client.Do(req)
	if err != nil {
		return 0, api.Unavailable(fmt.Sprintf("asking the leader for a read index: %v", err))
	}
	defer resp.Body.Close()
	var body struct {
		Index uint64 `json:"index"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
		return 0, api.Unavailable(fmt.Sprintf("the leader refused a read index (HTTP %d)", resp.StatusCode))
	}
	return body.Index, nil
}

func (s *Server) leaderReadIndex(ctx context.Context) (uint64, error) {
	if !s.leaderReady.Load() {
		return 0, api.Unavailable("the leader is still catching up after its election")
	}
	idx, err := s.node.ReadIndex()
	if err != nil {
		return 0, err
	}
	if err := s.node.VerifyLeader(ctx); err != nil {
		return 0, err
	}
	return idx, nil
}

// handleReadIndex answers a follower's read-index request (leader only).
func (s *Server) handleReadIndex(w http.ResponseWriter, r *http.Request) {
	if !s.node.IsLeader() {
		writeError(w, api.Unavailable("not the leader"))
		return
	}
	// Not s.reads: a round that started while this replica led could,
	// had it lost leadership meanwhile, forward to the new leader, which
	// might forward back; a follower's request is answered here or not.
	idx, err := s.leaderReadIndex(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"index": idx})
}
