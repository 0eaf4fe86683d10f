package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// GarbageCollector deletes what nothing owns any more, as Kubernetes'
// garbage collector and namespace controller do:
//
//   - background: an object whose owners (ownerReferences, by uid) are all
//     gone is deleted; one that keeps other owners loses the dangling
//     references;
//   - foreground: an owner being deleted with the foregroundDeletion
//     finalizer has its dependents deleted, and loses the finalizer (so the
//     FSM removes it) once no dependent with blockOwnerDeletion remains;
//   - orphan: an owner being deleted with the orphan finalizer has its
//     reference removed from every dependent, then loses the finalizer;
//   - namespaces: everything in a namespace being deleted is deleted, then
//     the namespace's "kubernetes" finalizer (if any) is removed; objects
//     left in a namespace that no longer exists are deleted too.
//
// It reacts to the store's events (a DELETED owner queues its dependents,
// found through the owner index; a DELETED dependent queues an owner that
// waits for it), and sweeps every object once per Resync as a safety net.
// Every write is conditional on the version (and uid) it read.
type GarbageCollector struct {
	Store  *state.Store
	Writer Writer
	Logger hclog.Logger
	// Workers is how many items are processed at once (default 8).
	Workers int
	// Resync is the period of the full sweep (default 30 s).
	Resync time.Duration
}

// Work item keys: a kind letter, then kind/namespace/name (names and
// kinds never hold a slash).
const (
	gcDependent = "d" // check one object's owners
	gcOwner     = "o" // an owner being deleted with a GC finalizer
	gcNamespace = "n" // a namespace being deleted, or gone
)

func gcKey(what, kind, ns, name string) string { return what + "/" + kind + "/" + ns + "/" + name }

func gcKeyOf(what string, obj api.Object) string {
	m := obj.GetObjectMeta()
	return gcKey(what, obj.GetTypeMeta().Kind, m.Namespace, m.Name)
}

// Run collects until ctx ends.
func (c *GarbageCollector) Run(ctx context.Context) {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	l := &ownerLoop{store: c.Store, logger: c.Logger, kind: "Namespace", workers: c.Workers,
		resync: c.Resync, keysFor: gcKeysFor, all: gcSweep, sync: c.sync}
	l.run(ctx)
}

// ownerState is what an owner reference points at.
type ownerState int

const (
	ownerPresent ownerState = iota
	ownerAbsent
	ownerWaiting // being deleted in the foreground: dependents go first
)

// lookupOwner resolves ref from a dependent in namespace ns. A kind this
// server does not know counts as present: never delete on a guess.
func lookupOwner(view *state.ReadView, ns string, ref *api.OwnerReference) (api.Object, ownerState) {
	k, ok := api.LookupKind(ref.Kind)
	if !ok {
		return nil, ownerPresent
	}
	if !k.Namespaced {
		ns = ""
	}
	obj := view.Get(ref.Kind, ns, ref.Name)
	if obj == nil || obj.GetObjectMeta().UID != ref.UID {
		return nil, ownerAbsent
	}
	m := obj.GetObjectMeta()
	if m.DeletionTimestamp != nil && slices.Contains(m.Finalizers, api.FinalizerForegroundDeletion) {
		return obj, ownerWaiting
	}
	return obj, ownerPresent
}

// needsCollection reports whether an object has an owner that is gone or
// waits for its dependents.
func needsCollection(view *state.ReadView, obj api.Object) bool {
	m := obj.GetObjectMeta()
	for i := range m.OwnerReferences {
		if _, st := lookupOwner(view, m.Namespace, &m.OwnerReferences[i]); st != ownerPresent {
			return true
		}
	}
	return false
}

func hasGCFinalizer(m *api.ObjectMeta) bool {
	return m.DeletionTimestamp != nil && (slices.Contains(m.Finalizers, api.FinalizerForegroundDeletion) ||
		slices.Contains(m.Finalizers, api.FinalizerOrphanDependents))
}

// namespaceClosing reports whether ns is being deleted or gone.
func namespaceClosing(view *state.ReadView, ns string) bool {
	obj := view.Get("Namespace", "", ns)
	return obj == nil || obj.GetObjectMeta().DeletionTimestamp != nil
}

// gcKeysFor maps one event to the work it makes.
func gcKeysFor(view *state.ReadView, ev state.Event) []string {
	obj := ev.Object
	m := obj.GetObjectMeta()
	var keys []string
	if ev.Type == state.Deleted {
		for _, k := range api.Kinds() {
			for _, d := range view.ByIndex(k.Kind, state.IndexOwner, m.UID) {
				keys = append(keys, gcKeyOf(gcDependent, d))
			}
		}
		for i := range m.OwnerReferences {
			if o, _ := lookupOwner(view, m.Namespace, &m.OwnerReferences[i]); o != nil && hasGCFinalizer(o.GetObjectMeta()) {
				keys = append(keys, gcKeyOf(gcOwner, o))
			}
		}
	} else {
		if hasGCFinalizer(m) {
			keys = append(keys, gcKeyOf(gcOwner, obj))
		}
		if len(m.OwnerReferences) > 0 && m.DeletionTimestamp == nil && needsCollection(view, obj) {
			keys = append(keys, gcKeyOf(gcDependent, obj))
		}
	}
	switch {
	case ev.Kind == "Namespace":
		if ev.Type == state.Deleted || m.DeletionTimestamp != nil {
			keys = append(keys, gcKey(gcNamespace, "Namespace", "", m.Name))
		}
	case m.Namespace != "" && namespaceClosing(view, m.Namespace):
		keys = append(keys, gcKey(gcNamespace, "Namespace", "", m.Namespace))
	}
	return keys
}

// gcSweep lists the work a full look at the store finds.
func gcSweep(view *state.ReadView) []string {
	var keys []string
	closing := map[string]bool{}
	for _, k := range api.Kinds() {
		for _, obj := range view.List(k.Kind, "", nil) {
			m := obj.GetObjectMeta()
			if hasGCFinalizer(m) {
				keys = append(keys, gcKeyOf(gcOwner, obj))
			}
			if len(m.OwnerReferences) > 0 && m.DeletionTimestamp == nil && needsCollection(view, obj) {
				keys = append(keys, gcKeyOf(gcDependent, obj))
			}
			ns := m.Namespace
			if k.Kind == "Namespace" && m.DeletionTimestamp != nil {
				ns = m.Name
			}
			if ns != "" && !closing[ns] && namespaceClosing(view, ns) {
				closing[ns] = true
				keys = append(keys, gcKey(gcNamespace, "Namespace", "", ns))
			}
		}
	}
	return keys
}

func (c *GarbageCollector) sync(ctx context.Context, key string) (time.Duration, error) {
	parts := strings.SplitN(key, "/", 4)
	if len(parts) != 4 {
		return 0, nil
	}
	what, kind, ns, name := parts[0], parts[1], parts[2], parts[3]
	switch what {
	case gcDependent:
		return 0, c.collectDependent(ctx, kind, ns, name)
	case gcOwner:
		return 0, c.finishOwner(ctx, kind, ns, name)
	case gcNamespace:
		return c.emptyNamespace(ctx, name)
	}
	return 0, nil
}

// collectDependent deletes an object whose owners are all gone (or
// waiting for it), or drops its dangling references when others remain.
func (c *GarbageCollector) collectDependent(ctx context.Context, kind, ns, name string) error {
	view := c.Store.View()
	obj := view.Get(kind, ns, name)
	if obj == nil {
		return nil
	}
	m := obj.GetObjectMeta()
	if m.DeletionTimestamp != nil || len(m.OwnerReferences) == 0 {
		return nil
	}
	var solid, dropped, waiting int
	kept := make([]api.OwnerReference, 0, len(m.OwnerReferences))
	for i := range m.OwnerReferences {
		ref := m.OwnerReferences[i]
		switch _, st := lookupOwner(view, ns, &ref); st {
		case ownerPresent:
			solid++
			kept = append(kept, ref)
		case ownerWaiting:
			waiting++
			dropped++
		default:
			dropped++
		}
	}
	switch {
	case dropped == 0:
		return nil
	case solid > 0:
		u := api.ShallowCopy(obj)
		um := *m
		um.OwnerReferences = kept
		*u.GetObjectMeta() = um
		_, err := c.Writer.Update(ctx, u)
		c.Logger.Debug("dropped dangling owner references", "kind", kind, "key", m.Key(), "error", err)
		return ignoreGone(err)
	default:
		// Under an owner deleted in foreground, one with dependents of its
		// own goes in foreground too (as in finishOwner).
		del := c.Writer.Delete
		if waiting > 0 && len(dependentsOf(view, m.UID)) > 0 {
			del = c.Writer.DeleteForeground
		}
		err := del(ctx, kind, ns, name, m.ResourceVersion, m.UID)
		c.Logger.Debug("deleted dependent of deleted owners", "kind", kind, "key", m.Key(), "error", err)
		return ignoreGone(err)
	}
}

// dependentsOf lists every object with a reference to uid.
func dependentsOf(view *state.ReadView, uid string) []api.Object {
	var out []api.Object
	for _, k := range api.Kinds() {
		out = append(out, view.ByIndex(k.Kind, state.IndexOwner, uid)...)
	}
	return out
}

func refTo(m *api.ObjectMeta, uid string) *api.OwnerReference {
	for i := range m.OwnerReferences {
		if m.OwnerReferences[i].UID == uid {
			return &m.OwnerReferences[i]
		}
	}
	return nil
}

// finishOwner carries out an Orphan or Foreground deletion of one owner.
func (c *GarbageCollector) finishOwner(ctx context.Context, kind, ns, name string) error {
	view := c.Store.View()
	owner := view.Get(kind, ns, name)
	if owner == nil || !hasGCFinalizer(owner.GetObjectMeta()) {
		return nil
	}
	om := owner.GetObjectMeta()
	deps := dependentsOf(view, om.UID)
	var errs []error
	var blocking int
	orphan := slices.Contains(om.Finalizers, api.FinalizerOrphanDependents)
	for _, d := range deps {
		dm := d.GetObjectMeta()
		switch {
		case orphan:
			u := api.ShallowCopy(d)
			um := *dm
			um.OwnerReferences = slices.DeleteFunc(slices.Clone(dm.OwnerReferences),
				func(r api.OwnerReference) bool { return r.UID == om.UID })
			*u.GetObjectMeta() = um
			if _, err := c.Writer.Update(ctx, u); ignoreGone(err) != nil {
				errs = append(errs, err)
			}
		default:
			if ref := refTo(dm, om.UID); ref != nil && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				blocking++
			}
			if dm.DeletionTimestamp == nil {
				// As Kubernetes' collector: a dependent with dependents of
				// its own goes in foreground too, so a ReplicaSet stays
				// until its pods are gone, and its Deployment until it is.
				del := c.Writer.Delete
				if len(dependentsOf(view, dm.UID)) > 0 {
					del = c.Writer.DeleteForeground
				}
				if err := del(ctx, d.GetTypeMeta().Kind, dm.Namespace, dm.Name, dm.ResourceVersion, dm.UID); ignoreGone(err) != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("gc: %s %s: dependents: %w", kind, om.Key(), errors.Join(errs...))
	}
	if !orphan && blocking > 0 {
		// Their DELETED events queue the owner again.
		waitForStore(ctx, c.Store)
		return nil
	}
	drop := api.FinalizerForegroundDeletion
	if orphan {
		drop = api.FinalizerOrphanDependents
	}
	return c.removeFinalizer(ctx, owner, drop)
}

// removeFinalizer drops one finalizer with an update conditional on the
// version read; the FSM deletes the object once none remain.
func (c *GarbageCollector) removeFinalizer(ctx context.Context, obj api.Object, fin string) error {
	m := obj.GetObjectMeta()
	u := api.ShallowCopy(obj)
	um := *m
	um.Finalizers = slices.DeleteFunc(slices.Clone(m.Finalizers), func(f string) bool { return f == fin })
	*u.GetObjectMeta() = um
	if ns, ok := u.(*api.Namespace); ok && fin == api.FinalizerKubernetes {
		cp := api.Clone(ns)
		cp.ObjectMeta = um
		cp.Spec.Finalizers = slices.DeleteFunc(cp.Spec.Finalizers, func(f string) bool { return f == fin })
		u = cp
	}
	_, err := c.Writer.Update(ctx, u)
	c.Logger.Debug("removed finalizer", "kind", obj.GetTypeMeta().Kind, "key", m.Key(), "finalizer", fin, "error", err)
	return ignoreGone(err)
}

// emptyNamespace deletes everything in a namespace being deleted (or
// already gone), then releases the namespace. It looks again after a
// second while objects with finalizers of their own remain.
func (c *GarbageCollector) emptyNamespace(ctx context.Context, name string) (time.Duration, error) {
	view := c.Store.View()
	nsObj, _ := view.Get("Namespace", "", name).(*api.Namespace)
	if nsObj != nil && nsObj.DeletionTimestamp == nil {
		return 0, nil
	}
	if nsObj != nil && nsObj.Status.Phase != api.NamespaceTerminating {
		u := api.Clone(nsObj)
		u.Status.Phase = api.NamespaceTerminating
		// Best effort: the phase only informs; emptying goes on regardless.
		if _, err := c.Writer.UpdateStatus(ctx, u); err != nil {
			c.Logger.Debug("namespace phase not set", "namespace", name, "error", err)
		}
	}
	var doomed []api.Object
	remaining := 0
	for _, k := range api.Kinds() {
		if !k.Namespaced {
			continue
		}
		for _, obj := range view.List(k.Kind, name, nil) {
			remaining++
			if obj.GetObjectMeta().DeletionTimestamp == nil {
				doomed = append(doomed, obj)
			}
		}
	}
	doomed = doomed[:min(len(doomed), maxBurst)]
	_, err := parallel(ctx, len(doomed), func(ctx context.Context, i int) error {
		m := doomed[i].GetObjectMeta()
		return ignoreGone(c.Writer.Delete(ctx, doomed[i].GetTypeMeta().Kind, m.Namespace, m.Name, m.ResourceVersion, m.UID))
	})
	if err != nil {
		return 0, fmt.Errorf("gc: namespace %s: %w", name, err)
	}
	if len(doomed) > 0 {
		c.Logger.Debug("deleted namespace content", "namespace", name, "count", len(doomed))
	}
	if remaining > 0 || nsObj == nil {
		if remaining > len(doomed) {
			return time.Second, nil
		}
		return 0, nil // the deletions' events queue the namespace again
	}
	if slices.Contains(nsObj.Finalizers, api.FinalizerKubernetes) || slices.Contains(nsObj.Spec.Finalizers, api.FinalizerKubernetes) {
		return 0, c.removeFinalizer(ctx, nsObj, api.FinalizerKubernetes)
	}
	return 0, nil
}

// ignoreGone treats an object already deleted as done. A conflict is not
// ignored: the caller's item is retried on the newer version.
func ignoreGone(err error) error {
	if errors.Is(err, api.ErrNotFound) {
		return nil
	}
	return err
}
