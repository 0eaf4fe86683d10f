package placement

import "github.com/barque-io/barque/api"

// ClaimKey names a PersistentVolumeClaim in Snapshot.Claims. A struct, not
// "namespace/name", so that looking a pod's claims up builds no strings.
type ClaimKey struct{ Namespace, Name string }

// podClaim is one claim a pod mounts, as the snapshot knows it.
type podClaim struct {
	name    string
	node    string // the node holding its data; "" while not bound
	storage int64  // bytes requested (spec.resources.requests.storage)
}

// claimsOf resolves, once per pod, the claims p mounts that the snapshot
// knows, and the storage its unbound ones ask for. A claim the snapshot
// does not hold (not yet created, or a caller that passes no claims) asks
// nothing of placement: the agent refuses to start a pod on a node that
// lacks its claim's data, whatever placement decided.
func (c *cluster) claimsOf(p *podInfo) []podClaim {
	if p.claimsDone {
		return p.claims
	}
	p.claimsDone = true
	if len(c.claims) == 0 {
		return nil
	}
	for _, v := range p.pod.Spec.Volumes {
		src := v.PersistentVolumeClaim
		if src == nil {
			continue
		}
		cl := c.claims[ClaimKey{p.pod.Namespace, src.ClaimName}]
		if cl == nil || containsClaim(p.claims, cl.Name) {
			continue
		}
		pc := podClaim{name: cl.Name, node: cl.ClaimNode()}
		if pc.node == "" {
			pc.storage = units(c.quantity(cl.Spec.Resources.Requests[api.ResourceStorage]))
			p.storage += pc.storage
		}
		p.claims = append(p.claims, pc)
	}
	return p.claims
}

// reserveClaims charges each node with the storage its bound claims
// requested: a claim holds its space whether or not its pod runs (it
// outlives the pod), so new claims must fit beside it.
func (c *cluster) reserveClaims(claims map[ClaimKey]*api.PersistentVolumeClaim) {
	for _, cl := range claims {
		if n := c.byName[cl.ClaimNode()]; n != nil {
			n.storage += units(c.quantity(cl.Spec.Resources.Requests[api.ResourceStorage]))
		}
	}
}

func containsClaim(list []podClaim, name string) bool {
	for i := range list {
		if list[i].name == name {
			return true
		}
	}
	return false
}
