package scheduler

import "time"

// MaxHeartbeatsPerSecond bounds the heartbeats the leader receives: as a
// cluster grows its agents heartbeat less often (Nomad's
// max_heartbeats_per_second), so 5,000 nodes cost the leader no more than
// 500 do.
const MaxHeartbeatsPerSecond = 500

// HeartbeatInterval is the shortest heartbeat interval that keeps n nodes
// under MaxHeartbeatsPerSecond (zero below 500 nodes: agents then use their
// own, 2 s by default).
func HeartbeatInterval(nodes int) time.Duration {
	return time.Duration(nodes) * time.Second / MaxHeartbeatsPerSecond
}

// Heartbeats answers when the leader last heard a node's heartbeat. The
// table lives in the leader's memory, not in the log: a heartbeat that
// changes nothing costs no Raft write (Nomad keeps its heartbeat timers the
// same way), and the node's stored status is rewritten only when it
// changes or, for display, about once a minute.
type Heartbeats interface {
	LastHeartbeat(node string) (time.Time, bool)
}
