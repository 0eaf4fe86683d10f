package fsm

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// opAppliers is the table of object operations.
var opAppliers = map[OpType]func(*state.Txn, *Op) Result{
	OpCreate:       applyCreate,
	OpUpdate:       applyUpdate,
	OpUpdateStatus: applyUpdateStatus,
	OpDelete:       applyDelete,
}

func applyOp(txn *state.Txn, op *Op) Result {
	ap, ok := opAppliers[op.Type]
	if !ok {
		return Result{Err: api.BadRequest(fmt.Sprintf("unknown operation %q", op.Type))}
	}
	if _, ok := api.LookupKind(op.Kind); !ok {
		return Result{Err: api.BadRequest(fmt.Sprintf("unknown kind %q", op.Kind))}
	}
	return ap(txn, op)
}

// decodeOp builds the op's object: a fresh value no reader has seen.
func decodeOp(op *Op) (api.Object, error) {
	obj, err := api.NewObject(op.Kind)
	if err != nil {
		return nil, api.BadRequest(err.Error())
	}
	tm := *obj.GetTypeMeta()
	// The leader encoded op.Object from a validated object: the fast
	// decoder is safe, and every replica pays for every object decoded.
	if err := api.DecodeTrusted(op.Object, obj); err != nil {
		return nil, api.BadRequest(fmt.Sprintf("decode %s: %v", op.Kind, err))
	}
	*obj.GetTypeMeta() = tm
	m := obj.GetObjectMeta()
	m.Namespace, m.Name = op.Namespace, op.Name
	return obj, nil
}

// checkPreconditions enforces the op's compare-and-swap conditions.
func checkPreconditions(op *Op, cur api.Object) error {
	m := cur.GetObjectMeta()
	if op.ResourceVersion != 0 && op.ResourceVersion != m.ResourceVersion {
		return api.Conflict(resourceOf(op.Kind), op.Name, fmt.Sprintf(
			"the object has been modified; please apply your changes to the latest version and try again (have %d, stored %d)",
			op.ResourceVersion, m.ResourceVersion))
	}
	if op.UID != "" && op.UID != m.UID {
		return api.Conflict(resourceOf(op.Kind), op.Name, fmt.Sprintf("Precondition failed: UID in precondition: %s, UID in object meta: %s", op.UID, m.UID))
	}
	return nil
}

func applyCreate(txn *state.Txn, op *Op) Result {
	if txn.Get(op.Kind, op.Namespace, op.Name) != nil {
		return Result{Err: api.AlreadyExists(resourceOf(op.Kind), op.Name)}
	}
	if err := checkNamespace(txn, op); err != nil {
		return Result{Err: err}
	}
	obj, err := decodeOp(op)
	if err != nil {
		return Result{Err: err}
	}
	m := obj.GetObjectMeta()
	m.Generation = 1
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
	if err := txn.PutSized(obj, state.Added, len(op.Object)); err != nil {
		return Result{Err: api.Internal(err)}
	}
	return Result{Object: obj}
}

// checkNamespace refuses a namespaced object whose namespace does not exist
// or is being deleted, as Kubernetes does. It is decided here, in log order,
// so that a create racing a namespace deletion has one outcome everywhere.
func checkNamespace(txn *state.Txn, op *Op) error {
	k, _ := api.LookupKind(op.Kind)
	if !k.Namespaced {
		return nil
	}
	ns := txn.Namespace(op.Namespace)
	if ns == nil {
		return api.NotFound("namespaces", op.Namespace)
	}
	if ns.GetObjectMeta().DeletionTimestamp != nil {
		return api.Forbidden(fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", op.Namespace))
	}
	return nil
}

// loadForWrite finds the stored object an update or delete acts on and
// checks the op's preconditions against it.
func loadForWrite(txn *state.Txn, op *Op) (api.Object, error) {
	cur := txn.Get(op.Kind, op.Namespace, op.Name)
	if cur == nil {
		return nil, api.NotFound(resourceOf(op.Kind), op.Name)
	}
	if err := checkPreconditions(op, cur); err != nil {
		return nil, err
	}
	return cur, nil
}

func applyUpdate(txn *state.Txn, op *Op) Result {
	cur, err := loadForWrite(txn, op)
	if err != nil {
		return Result{Err: err}
	}
	obj, err := decodeOp(op)
	if err != nil {
		return Result{Err: err}
	}
	m, cm := obj.GetObjectMeta(), cur.GetObjectMeta()
	// Identity and lifecycle fields belong to the server, not the writer.
	m.UID, m.CreationTimestamp, m.DeletionTimestamp = cm.UID, cm.CreationTimestamp, cm.DeletionTimestamp
	m.DeletionGracePeriodSeconds = cm.DeletionGracePeriodSeconds
	// Status changes go through updateStatus, as with Kubernetes' subresource.
	api.SetField(obj, cur, "Status")
	m.Generation = cm.Generation
	if spec := api.FieldOf(obj, "Spec"); spec != nil && !reflect.DeepEqual(spec, api.FieldOf(cur, "Spec")) {
		m.Generation++
	}
	// Checked again here, against the version this entry really replaces.
	if err := api.ValidateTransition(cur, obj); err != nil {
		return Result{Err: err}
	}
	return finishWrite(txn, obj, len(op.Object))
}

func applyUpdateStatus(txn *state.Txn, op *Op) Result {
	cur, err := loadForWrite(txn, op)
	if err != nil {
		return Result{Err: err}
	}
	in, err := decodeOp(op)
	if err != nil {
		return Result{Err: err}
	}
	obj := api.ShallowCopy(cur)
	if !api.SetField(obj, in, "Status") {
		return Result{Err: api.BadRequest(fmt.Sprintf("%s has no status", op.Kind))}
	}
	// Checked here, against the version this entry really replaces: a
	// check in the HTTP layer could race the controller that made the pod
	// terminal.
	if err := api.ValidateStatusUpdate(cur, obj); err != nil {
		return Result{Err: err}
	}
	return finishWrite(txn, obj, 0)
}

// finishWrite stores an updated object, or removes it when it was being
// deleted and nothing holds it any more (its last finalizer is gone, and a
// pod's grace period was ended by its node). size is obj's encoded size when
// the op carried the whole object (0 when not).
func finishWrite(txn *state.Txn, obj api.Object, size int) Result {
	m := obj.GetObjectMeta()
	if m.DeletionTimestamp != nil && !api.HoldingDeletion(obj) {
		cur := txn.Get(obj.GetTypeMeta().Kind, m.Namespace, m.Name)
		if err := txn.Delete(cur); err != nil {
			return Result{Err: api.Internal(err)}
		}
		return Result{Object: obj}
	}
	if err := txn.PutSized(obj, state.Modified, size); err != nil {
		return Result{Err: api.Internal(err)}
	}
	return Result{Object: obj}
}

// applyDelete removes an object, or, when it has finalizers, marks it with a
// deletionTimestamp so that their owners can finish first. A Foreground or
// Orphan propagation adds its finalizer first (also to an object already
// being deleted), so the garbage collector deals with the dependents.
func applyDelete(txn *state.Txn, op *Op) Result {
	cur, err := loadForWrite(txn, op)
	if err != nil {
		return Result{Err: err}
	}
	fin := api.PropagationFinalizer(op.Propagation)
	if pod, ok := cur.(*api.Pod); ok && !op.legacyDelete {
		if r, done := applyPodDelete(txn, pod, op, fin); done {
			return r
		}
	}
	m := cur.GetObjectMeta()
	if !api.HoldingFinalizers(cur) && fin == "" {
		if err := txn.Delete(cur); err != nil {
			return Result{Err: api.Internal(err)}
		}
		return Result{Object: cur}
	}
	if m.DeletionTimestamp != nil && (fin == "" || slices.Contains(m.Finalizers, fin)) {
		return Result{Object: cur}
	}
	obj := api.ShallowCopy(cur)
	meta := *m
	if meta.DeletionTimestamp == nil {
		meta.DeletionTimestamp = op.Time
	}
	if fin != "" && !slices.Contains(meta.Finalizers, fin) {
		meta.Finalizers = append(slices.Clone(meta.Finalizers), fin)
	}
	*obj.GetObjectMeta() = meta
	if ns, ok := obj.(*api.Namespace); ok {
		// As Kubernetes: Terminating from the delete on, in log order, so
		// that no create lands in it after (checkNamespace).
		ns.Status.Phase = api.NamespaceTerminating
	}
	if err := txn.Put(obj, state.Modified); err != nil {
		return Result{Err: api.Internal(err)}
	}
	return Result{Object: obj}
}

// DryRun applies op to a transaction of store that is then discarded, and
// returns what the op would do: the object as it would be stored (with a
// resourceVersion that means nothing) or the error it would fail with,
// decided by the same appliers as a committed op, against the store as it
// is now. It holds the store's write lock for the op's duration, as one
// applied entry does; the caller must not keep a reference to a returned
// object it did not get as a fresh value (a delete returns the stored one).
func DryRun(store *state.Store, op Op) Result {
	txn := store.WriteTxn(store.Index() + 1)
	defer txn.Abort()
	return applyOp(txn, &op)
}

// resourceOf is the resource name errors carry (configmaps "x" already
// exists), as Kubernetes words them and kubectl prints them.
func resourceOf(kind string) string {
	if k, ok := api.LookupKind(kind); ok {
		return k.Resource
	}
	return kind
}
