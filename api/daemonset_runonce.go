package api

// AnnotationRunOncePerNode on a DaemonSet ("true") makes it run its pod to
// completion once on each eligible node, as a Nomad sysbatch job: a pod
// that ended is neither deleted nor replaced while its revision is
// current, so a template change runs the new version once more on each
// node. The template's restartPolicy is then OnFailure or Never (Always is
// refused: such a pod would never end). Nodes that become eligible later
// get their run too.
const AnnotationRunOncePerNode = "barque.io/run-once-per-node"

// DaemonSetComplete is the condition a run-once DaemonSet gets once the
// pod of its current revision has succeeded on every desired node. It goes
// back to False when a node joins or the template changes.
const DaemonSetComplete = "Complete"

// RunOncePerNode tells whether ds runs its pod once per node.
func RunOncePerNode(ds *DaemonSet) bool {
	return ds.Annotations[AnnotationRunOncePerNode] == "true"
}
