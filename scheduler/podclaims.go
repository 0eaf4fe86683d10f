package scheduler

import (
	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/barque-io/barque/scheduler/placement"
)

// Claims is placement's lookup of the PersistentVolumeClaims the pods to
// place mount.
type Claims = map[placement.ClaimKey]*api.PersistentVolumeClaim

// claimsOf reads the claims pods mount, for placement's claim filters: one
// indexed read per claim a pod of the round names, and nil (no allocation)
// when no pod mounts one, as most do not. When one of them is not bound
// yet, every claim bound to a node is added too: its storage request is
// reserved on that node (ClaimStorage). A claim not in the store is left
// out; placement then asks nothing of it.
func claimsOf(view *state.ReadView, pods []*api.Pod) Claims {
	out := mountedClaims(view, pods)
	for _, cl := range out {
		if cl.ClaimNode() == "" {
			addBoundClaims(view, out)
			break
		}
	}
	return out
}

func addBoundClaims(view *state.ReadView, out Claims) {
	for _, obj := range view.List("PersistentVolumeClaim", "", nil) {
		if cl := obj.(*api.PersistentVolumeClaim); cl.ClaimNode() != "" {
			out[placement.ClaimKey{Namespace: cl.Namespace, Name: cl.Name}] = cl
		}
	}
}

func mountedClaims(view *state.ReadView, pods []*api.Pod) Claims {
	var out Claims
	for _, p := range pods {
		for _, v := range p.Spec.Volumes {
			src := v.PersistentVolumeClaim
			if src == nil {
				continue
			}
			k := placement.ClaimKey{Namespace: p.Namespace, Name: src.ClaimName}
			if _, seen := out[k]; seen {
				continue
			}
			if cl, ok := view.Get("PersistentVolumeClaim", p.Namespace, src.ClaimName).(*api.PersistentVolumeClaim); ok {
				if out == nil {
					out = Claims{}
				}
				out[k] = cl
			}
		}
	}
	return out
}
