package api

func init() {
	Register(KindInfo{Kind: "Event", Resource: "events", Version: "v1", Namespaced: true,
		ShortNames: []string{"ev"}, New: func() Object { return &Event{} }})
}

// Event types.
const (
	EventTypeNormal  = "Normal"
	EventTypeWarning = "Warning"
)

// Event records something that happened to an object, for humans reading
// `describe`. Repeats of the same event bump Count instead of piling up.
type Event struct {
	TypeMeta       `json:",inline"`
	ObjectMeta     `json:"metadata"`
	InvolvedObject ObjectReference `json:"involvedObject"`
	Reason         string          `json:"reason,omitempty"`
	Message        string          `json:"message,omitempty"`
	Source         EventSource     `json:"source,omitempty"`
	FirstTimestamp *Time           `json:"firstTimestamp,omitempty"`
	LastTimestamp  *Time           `json:"lastTimestamp,omitempty"`
	Count          int32           `json:"count,omitempty"`
	Type           string          `json:"type,omitempty"`

	// The newer fields events.k8s.io writes through the core API.
	EventTime           *Time  `json:"eventTime,omitempty"`
	Action              string `json:"action,omitempty"`
	ReportingController string `json:"reportingComponent,omitempty"`
	ReportingInstance   string `json:"reportingInstance,omitempty"`
}

// EventSource names the component (and host) that reported an event.
type EventSource struct {
	Component string `json:"component,omitempty"`
	Host      string `json:"host,omitempty"`
}
