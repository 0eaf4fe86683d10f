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

// DefaultTerminationGracePeriod is a pod's grace period when neither its
// spec nor the delete names one, as in Kubernetes.
const DefaultTerminationGracePeriod int64 = 30

// PodDeletionGrace is the grace period a delete gives a pod, as Kubernetes
// decides it: none for a pod no node runs (unbound) or that has finished;
// else the delete's own (asked), else the pod's
// terminationGracePeriodSeconds, else 30 s.
func PodDeletionGrace(pod *Pod, asked *int64) int64 {
	switch {
	case pod.Spec.NodeName == "" || PodIsTerminal(pod):
		return 0
	case asked != nil:
		return *asked
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return DefaultTerminationGracePeriod
}

// HoldingDeletion reports whether an object being deleted must stay: its
// finalizers, or a pod's grace period, which its node ends once the pod
// stopped.
func HoldingDeletion(obj Object) bool {
	if g := obj.GetObjectMeta().DeletionGracePeriodSeconds; g != nil && *g > 0 {
		return true
	}
	return HoldingFinalizers(obj)
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
