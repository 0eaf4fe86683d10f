package placement

// ResourcesName names the filter that checks requests against what the
// node can still give (Kubernetes' NodeResourcesFit).
const ResourcesName = "Resources"

// Kubernetes' wording.
const (
	ReasonInsufficientCPU    = "Insufficient cpu"
	ReasonInsufficientMemory = "Insufficient memory"
	ReasonTooManyPods        = "Too many pods"
)

// Resources rejects nodes whose allocatable cpu, memory or pod count,
// less what their pods request, cannot hold the pod. A node that reports
// no allocatable figure for a resource is not limited in it, as the FSM's
// bind check reads it.
type Resources struct{}

var _ Filter = Resources{}

// Statuses for every combination, allocated once: a node short of several
// resources reports each, as Kubernetes does.
var resourceStatuses = func() [8]*Status {
	var out [8]*Status
	for mask := 1; mask < 8; mask++ {
		var reasons []string
		if mask&4 != 0 {
			reasons = append(reasons, ReasonTooManyPods)
		}
		if mask&1 != 0 {
			reasons = append(reasons, ReasonInsufficientCPU)
		}
		if mask&2 != 0 {
			reasons = append(reasons, ReasonInsufficientMemory)
		}
		out[mask] = newStatus(ResourcesName, reasons...)
	}
	return out
}()

// Name is the filter's name.
func (Resources) Name() string { return ResourcesName }

// Prepare returns the check; every pod takes a pod slot, so none skips it.
func (Resources) Prepare(_ *cluster, p *podInfo) Check {
	return func(n *nodeInfo) *Status {
		mask := 0
		if n.allocCPU > 0 && n.cpu+p.cpu > n.allocCPU {
			mask |= 1
		}
		if n.allocMem > 0 && n.mem+p.mem > n.allocMem {
			mask |= 2
		}
		if n.allocPods > 0 && n.podCount+1 > n.allocPods {
			mask |= 4
		}
		if mask == 0 {
			return nil
		}
		return resourceStatuses[mask]
	}
}
