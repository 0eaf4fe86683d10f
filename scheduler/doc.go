// Package scheduler holds what only the Raft leader runs: placement and the
// controllers. Each controller is a Run(ctx) loop over the store, started
// when this replica gains leadership and stopped when it loses it. They
// write through the small Writer interface declared here; every write is
// conditional on the resourceVersion the decision read, so a deposed
// leader's late decision fails instead of acting twice.
package scheduler

import (
	"context"

	"github.com/barque-io/barque/api"
)

// Writer is how the scheduler and controllers write. The API server
// implements it by proposing through the Raft log, batching concurrent
// writes into shared entries. Update, UpdateStatus and Delete are
// conditional on the resourceVersion (and uid) the caller read.
type Writer interface {
	// Create stamps uid and creationTimestamp (as the API does) and creates.
	Create(ctx context.Context, obj api.Object) (api.Object, error)
	Update(ctx context.Context, obj api.Object) (api.Object, error)
	UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error)
	// Delete removes kind/ns/name if it still has rv and uid (when given).
	Delete(ctx context.Context, kind, namespace, name string, rv api.Version, uid string) error
	// DeleteForeground is Delete with foreground propagation: the object
	// stays, with a deletionTimestamp, until its own dependents are gone.
	DeleteForeground(ctx context.Context, kind, namespace, name string, rv api.Version, uid string) error
	// ForceDeletePod removes a pod at once (grace 0) if it still has uid,
	// whatever grace period it was given: for pods no node will stop.
	ForceDeletePod(ctx context.Context, namespace, name, uid string) error
	// Bind writes many bindings in one log entry. The FSM re-checks each
	// against the state at apply time (the pod still unbound and unchanged,
	// the node ready and with room); errs[i] says why binding i was refused.
	Bind(ctx context.Context, bindings []Binding) (errs []error, err error)
}

// Binding assigns a pod, at the version the scheduler read, to a node.
type Binding struct {
	Namespace       string
	Name            string
	UID             string
	ResourceVersion api.Version
	Node            string
	Ports           map[string]int // dynamic ports: container port name -> host port
}

// Liveness answers from gossip whether a node's agent was seen and then
// failed or left.
type Liveness interface {
	NodeGone(name string) bool
	// Changed is closed at the next membership change, so a failure is
	// acted on at once rather than at the next periodic check.
	Changed() <-chan struct{}
}
