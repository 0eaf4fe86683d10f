// Package fsm is Barque's replicated state machine: the encoding of log
// commands, the appliers that turn a committed command into store writes,
// and typed snapshots. Apply is deterministic: the same log gives the same
// state on every replica. Nothing here reads a clock, draws a random number,
// touches the network or the disk, or starts a goroutine; the leader stamps
// times and UIDs into commands before they are proposed.
package fsm

import (
	"encoding/json"
	"fmt"

	"github.com/barque-io/barque/api"
)

// CommandType is the first byte of every log entry. Numbers are never reused.
type CommandType uint8

const (
	// CmdObjectOps is a batch of object operations applied in one transaction.
	CmdObjectOps CommandType = 1

	// IgnorableFlag marks a command type that an older replica may skip
	// (for rolling upgrades); unflagged unknown types fail loudly.
	IgnorableFlag CommandType = 0x80
)

// OpType is one object operation.
type OpType string

// Operations on objects.
const (
	OpCreate       OpType = "create"
	OpUpdate       OpType = "update"       // spec + metadata; keeps status
	OpUpdateStatus OpType = "updateStatus" // status only
	OpDelete       OpType = "delete"
)

// Op is one operation. The object (for create and update) travels as JSON
// and is decoded in Apply, so every replica builds its own fresh value.
type Op struct {
	Type      OpType          `json:"op"`
	Kind      string          `json:"kind"`
	Namespace string          `json:"namespace,omitempty"`
	Name      string          `json:"name,omitempty"`
	Object    json.RawMessage `json:"object,omitempty"`
	// Preconditions: when set, the stored object must have this
	// resourceVersion / uid, else the op fails with a Conflict.
	ResourceVersion api.Version `json:"resourceVersion,omitempty"`
	UID             string      `json:"uid,omitempty"`
	// Time is the leader's clock when it proposed the op (deletionTimestamp).
	Time *api.Time `json:"time,omitempty"`
	// Propagation is a delete's propagationPolicy: Foreground or Orphan add
	// their finalizer, so the garbage collector acts before the object goes.
	Propagation string `json:"propagationPolicy,omitempty"`
	// GracePeriodSeconds is a delete's grace period for a pod (nil: the
	// pod's own); 0 removes it at once (see applyPodDelete).
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	// legacyDelete marks a delete read from an entry of format 1 or 2,
	// written before pods were deleted gracefully: a pod's delete there
	// removes it at once, so that a replica replaying an old log builds
	// the state the replicas that applied it then built. Every pod delete
	// is now written in format 3 (see EncodeOps).
	legacyDelete bool
}

// Result is the outcome of one Op: the object as stored (or as deleted), or
// an error (a *api.StatusError such as Conflict or NotFound).
type Result struct {
	Object api.Object
	Err    error
}

// Encode builds a log entry: the type byte, then the JSON payload.
func Encode(t CommandType, payload any) ([]byte, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("fsm: encode command %d: %w", t, err)
	}
	return append([]byte{byte(t)}, b...), nil
}

// NewOp builds an op carrying obj, named by obj's own metadata.
func NewOp(t OpType, obj api.Object) (Op, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return Op{}, fmt.Errorf("fsm: encode %s: %w", obj.GetTypeMeta().Kind, err)
	}
	m := obj.GetObjectMeta()
	return Op{Type: t, Kind: obj.GetTypeMeta().Kind, Namespace: m.Namespace, Name: m.Name, Object: raw}, nil
}
