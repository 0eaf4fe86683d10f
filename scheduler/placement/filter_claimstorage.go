package placement

// ClaimStorageName names the filter that checks the storage a pod's new
// claims ask for against the node's disk.
const ClaimStorageName = "ClaimStorage"

// ReasonClaimStorage is a node's rejection when the claim does not fit its
// allocatable ephemeral-storage.
func ReasonClaimStorage(claim string) string {
	return "insufficient ephemeral-storage for claim " + claim
}

// ClaimStorage rejects nodes whose allocatable ephemeral-storage cannot
// hold the spec.resources.requests.storage of the pod's claims that are not
// yet bound (the pod's node will become theirs), beside what the claims
// already bound to the node requested (Snapshot.Claims holds them) and
// what the unbound claims of pods placed earlier in the same call take. A
// bound claim of the pod asks nothing more: its data is already on its
// node. A node that reports no ephemeral-storage is not checked.
//
// The allocatable figure is the agent's (the free space of its data
// directory when it registered); requests are reserved against it, as
// Kubernetes reserves requests, but a claim's directory has no quota.
type ClaimStorage struct{}

var _ Filter = ClaimStorage{}

// Name is the filter's name.
func (ClaimStorage) Name() string { return ClaimStorageName }

// Prepare lists the unbound claims' sizes and rejections once; a pod that
// asks no storage skips.
func (ClaimStorage) Prepare(c *cluster, p *podInfo) Check {
	claims := c.claimsOf(p)
	if p.storage == 0 {
		return nil
	}
	var sizes []int64
	var statuses []*Status
	for _, cl := range claims {
		if cl.storage > 0 {
			sizes = append(sizes, cl.storage)
			statuses = append(statuses, newStatus(ClaimStorageName, ReasonClaimStorage(cl.name)))
		}
	}
	return func(n *nodeInfo) *Status {
		if n.allocStorage == 0 {
			return nil
		}
		used := n.storage
		for i, size := range sizes {
			if used += size; used > n.allocStorage {
				return statuses[i]
			}
		}
		return nil
	}
}
