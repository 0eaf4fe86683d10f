package server

import (
	"context"
	"net/http"
	"time"

	"github.com/barque-io/barque/api"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz: ready once this replica belongs to a cluster with a leader
// and (on the leader) has caught up after its election.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if !s.isReady() {
		writeError(w, api.Unavailable("not ready: no leader known, or catching up"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "index": s.node.Store().Index()})
}

// LeaderInfo is the body of /v1/status/leader.
type LeaderInfo struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	API     string `json:"api"`
}

func (s *Server) handleLeader(w http.ResponseWriter, r *http.Request) {
	id, addr := s.node.Leader()
	if id == "" {
		writeError(w, api.Unavailable("no leader"))
		return
	}
	writeJSON(w, http.StatusOK, LeaderInfo{ID: id, Address: addr, API: s.apiOfServer(id)})
}

type peerInfo struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
	API     string `json:"api,omitempty"`
	Voter   bool   `json:"voter"`
	Leader  bool   `json:"leader"`
}

func (s *Server) handleRaftConfiguration(w http.ResponseWriter, r *http.Request) {
	servers, idx, err := s.node.Configuration()
	if err != nil {
		writeError(w, err)
		return
	}
	names := map[string]string{}
	for _, m := range s.pool.Servers() {
		names[m.Meta.ID] = m.Name
	}
	out := make([]peerInfo, 0, len(servers))
	for _, sv := range servers {
		out = append(out, peerInfo{ID: sv.ID, Name: names[sv.ID], Address: sv.Address, API: s.apiOfServer(sv.ID), Voter: sv.Voter, Leader: sv.Leader})
	}
	writeJSON(w, http.StatusOK, map[string]any{"servers": out, "index": idx})
}

func (s *Server) handleRemovePeer(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodDelete {
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed, "use DELETE"))
		return
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		writeError(w, api.BadRequest("id: Required value: the server ID to remove"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	// Before the removal: the leader's next reconcile must not add it back.
	s.removed.add(id, s.pool.Servers())
	if err := s.node.RemoveServer(ctx, id); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": id})
}

func (s *Server) handleTransferLeadership(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed, "use POST"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := s.node.TransferLeadership(ctx, r.URL.Query().Get("id")); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "transferred"})
}

// handleSnapshot: GET streams a snapshot (any replica serves its own);
// PUT restores one (leader only; forwarded).
func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		// Like every read, a snapshot holds every acknowledged write unless
		// the client asks for ?stale=true (a follower may lag the leader).
		if err := s.readBarrier(r); err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := s.node.SnapshotSave(w); err != nil {
			writeError(w, err)
		}
	case http.MethodPut:
		s.writeOnLeader(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, 8<<30)
			if err := s.node.SnapshotRestore(r.Body, s.cfg.DataDir); err != nil {
				writeError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"status": "restored", "index": s.node.Store().Index()})
		})(w, r)
	default:
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed, "use GET or PUT"))
	}
}
