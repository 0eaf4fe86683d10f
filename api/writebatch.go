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
	// BatchPatchStatus is PATCH …/status with a JSON merge patch: what node
	// agents send for their pods' status, so that the reports of many pods
	// share a request and a log entry.
	BatchPatchStatus = "patchStatus"
)

// WriteBatch is the body of a batch request.
type WriteBatch struct {
	TypeMeta `json:",inline"`
	Items    []WriteBatchItem `json:"items"`
}

// WriteBatchItem is one write. create and update carry the whole object
// (with apiVersion, kind and metadata.namespace); delete and patchStatus
// name their object, and patchStatus carries a JSON merge patch (RFC 7386)
// applied as PATCH on the object's status subresource would: a
// metadata.uid in it is a precondition, and a conflict with a concurrent
// write is retried unless it names a metadata.resourceVersion.
type WriteBatchItem struct {
	Verb   string          `json:"verb"`
	Object json.RawMessage `json:"object,omitempty"`
	Patch  json.RawMessage `json:"patch,omitempty"`

	// delete and patchStatus
	APIVersion        string  `json:"apiVersion,omitempty"`
	Kind              string  `json:"kind,omitempty"`
	Namespace         string  `json:"namespace,omitempty"`
	Name              string  `json:"name,omitempty"`
	ResourceVersion   Version `json:"resourceVersion,omitempty"`
	PropagationPolicy string  `json:"propagationPolicy,omitempty"`
	// GracePeriodSeconds: a delete's grace period for a pod (nil: the
	// pod's own; 0: at once).
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
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
