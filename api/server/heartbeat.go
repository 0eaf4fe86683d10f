package server

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler"
)

// pathHeartbeat is where agents heartbeat: PUT /v1/heartbeat/{node}.
const pathHeartbeat = "/v1/heartbeat/"

// heartbeatTable remembers, on the leader, when each node last heartbeat.
// It is memory only: a new leader starts empty and the node lifecycle
// controller counts missed heartbeats from its takeover.
type heartbeatTable struct {
	mu   sync.Mutex
	seen map[string]time.Time

	// nodes is the Node count, refreshed at most once a second, for the
	// interval each answer suggests.
	nodes     atomic.Int64
	countedAt atomic.Int64 // unix nanoseconds
}

var _ scheduler.Heartbeats = (*heartbeatTable)(nil)

func newHeartbeatTable() *heartbeatTable {
	return &heartbeatTable{seen: map[string]time.Time{}}
}

func (t *heartbeatTable) record(node string, at time.Time) {
	t.mu.Lock()
	t.seen[node] = at
	t.mu.Unlock()
}

// LastHeartbeat is when node last heartbeat to this replica as leader.
func (t *heartbeatTable) LastHeartbeat(node string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.seen[node]
	return at, ok
}

// handleHeartbeat records a node's heartbeat on the leader (followers
// forward it) and says whether its stored status needs a real write.
func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed,
			"heartbeats are PUT /v1/heartbeat/{node}"))
		return
	}
	name := r.URL.Path[len(pathHeartbeat):]
	if name == "" {
		writeError(w, api.BadRequest("heartbeat: the node name is missing from the path"))
		return
	}
	view := s.node.Store().View()
	obj := view.Get("Node", "", name)
	if obj == nil {
		writeError(w, api.NotFound("nodes", name))
		return
	}
	now := time.Now()
	s.heartbeats.record(name, now)
	node := obj.(*api.Node)
	ready := api.FindCondition(node.Status.Conditions, api.NodeReady)
	writeJSON(w, http.StatusOK, api.HeartbeatResponse{Node: name,
		Ready:          ready != nil && ready.Status == api.ConditionTrue,
		IntervalMillis: scheduler.HeartbeatInterval(s.heartbeats.nodeCount(view, now)).Milliseconds()})
}

// nodeCount counts the nodes at most once a second: heartbeats arrive by
// the hundred per second and the count only sizes their interval.
func (t *heartbeatTable) nodeCount(view *state.ReadView, now time.Time) int {
	if now.UnixNano()-t.countedAt.Load() > int64(time.Second) {
		t.countedAt.Store(now.UnixNano())
		t.nodes.Store(int64(len(view.List("Node", "", nil))))
	}
	return int(t.nodes.Load())
}
