package api

// Deletion propagation policies, as Kubernetes' DeleteOptions names them.
// Background (the default) deletes the owner at once and leaves its
// dependents to the garbage collector; Foreground and Orphan make the
// delete add the matching finalizer, which the garbage collector removes
// once it has deleted (or released) the dependents.
const (
	DeletePropagationBackground = "Background"
	DeletePropagationForeground = "Foreground"
	DeletePropagationOrphan     = "Orphan"
)

// Finalizers the garbage collector owns.
const (
	FinalizerForegroundDeletion = "foregroundDeletion"
	FinalizerOrphanDependents   = "orphan"
	// FinalizerKubernetes holds a namespace until everything in it is gone.
	FinalizerKubernetes = "kubernetes"
)

// PropagationFinalizer is the finalizer a delete with policy adds, or ""
// (Background, empty) when it adds none.
func PropagationFinalizer(policy string) string {
	switch policy {
	case DeletePropagationForeground:
		return FinalizerForegroundDeletion
	case DeletePropagationOrphan:
		return FinalizerOrphanDependents
	}
	return ""
}

// ValidPropagationPolicy reports whether policy is empty or one of the three.
func ValidPropagationPolicy(policy string) bool {
	switch policy {
	case "", DeletePropagationBackground, DeletePropagationForeground, DeletePropagationOrphan:
		return true
	}
	return false
}

// HoldingFinalizers reports whether obj still has finalizers to wait for:
// its metadata's, or for a Namespace those of its spec too (where
// Kubernetes keeps "kubernetes", removed once the namespace is empty).
func HoldingFinalizers(obj Object) bool {
	if len(obj.GetObjectMeta().Finalizers) > 0 {
		return true
	}
	ns, ok := obj.(*Namespace)
	return ok && len(ns.Spec.Finalizers) > 0
}
