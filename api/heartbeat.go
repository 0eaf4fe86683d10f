package api

import "time"

// HeartbeatResponse answers an agent's heartbeat (PUT /v1/heartbeat/{node}).
// Heartbeats are kept in the leader's memory, not written to the log; the
// answer tells the agent whether its stored status needs a real write.
type HeartbeatResponse struct {
	Node string `json:"node"`
	// Ready is whether the stored node is Ready=True. False after the
	// leader marked it lost: the agent then posts its full status again.
	Ready bool `json:"ready"`
	// IntervalMillis is how often the agent should heartbeat: longer in
	// larger clusters, so that the leader's load stays bounded.
	IntervalMillis int64 `json:"intervalMillis"`
}

// Interval is IntervalMillis as a duration.
func (r HeartbeatResponse) Interval() time.Duration {
	return time.Duration(r.IntervalMillis) * time.Millisecond
}
