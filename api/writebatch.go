package api

import "encoding/json"

// Write batches: POST /v1/batch carries many writes in one request. Each
// item is admitted exactly as its own request would be (decoding,
// defaults, validation, compare-and-swap) and gets its own answer; the
// items are not a transaction. The admitted items travel to the leader
// and through the log together, so a batch costs one HTTP round trip and
// (usually) one log entry instead of one each. Barque's Go client sends
// its concurrent writes this way when asked to coalesce them.
const (
	// PathWriteBatch is the endpoint, on every server.
	PathWriteBatch = "/v1/batch"
	// MaxBatchItems bounds the items of one batch.
	MaxBatchItems = 1024
	// MaxBatchBytes bounds the body of one batch.
	MaxBatchBytes = 16 << 20
)

// Batch verbs.
const (
	BatchCreate = "create"
	BatchUpdate = "update"
	BatchDelete = "delete"
)

// WriteBatch is the body of a batch request.
type WriteBatch struct {
	TypeMeta `json:",inline"`
	Items    []WriteBatchItem `json:"items"`
}

// WriteBatchItem is one write. create and update carry the whole object
// (with apiVersion, kind and metadata.namespace); delete names its object.
type WriteBatchItem struct {
	Verb   string          `json:"verb"`
	Object json.RawMessage `json:"object,omitempty"`

	// delete only
	APIVersion        string  `json:"apiVersion,omitempty"`
	Kind              string  `json:"kind,omitempty"`
	Namespace         string  `json:"namespace,omitempty"`
	Name              string  `json:"name,omitempty"`
	ResourceVersion   Version `json:"resourceVersion,omitempty"`
	PropagationPolicy string  `json:"propagationPolicy,omitempty"`
}

// WriteBatchResult answers a batch: one result per item, in order.
type WriteBatchResult struct {
	TypeMeta `json:",inline"`
	Items    []WriteBatchItemResult `json:"items"`
}

// WriteBatchItemResult is the stored object, or the Status a request of
// its own would have failed with; Warnings name fields that were ignored.
type WriteBatchItemResult struct {
	Object   json.RawMessage `json:"object,omitempty"`
	Status   *Status         `json:"status,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
}
