package api

import (
	"strconv"
	"strings"
)

// AnnotationAllocIndex is the pod's index within its group (0..replicas-1),
// set by the ReplicaSet controller; the agent exposes it as
// NOMAD_ALLOC_INDEX and BARQUE_ALLOC_INDEX.
const AnnotationAllocIndex = "barque.io/alloc-index"

// annotationCompletionIndex is an Indexed Job pod's index (Kubernetes').
const annotationCompletionIndex = "batch.kubernetes.io/job-completion-index"

// AllocIndex is the pod's index within its group, as Nomad numbers the
// allocations of a task group: a ReplicaSet pod's alloc index, an Indexed
// Job pod's completion index, a StatefulSet pod's ordinal, else "0" (a
// DaemonSet's pods all have index 0, as a system job's allocations do).
func AllocIndex(p *Pod) string {
	for _, key := range []string{AnnotationAllocIndex, annotationCompletionIndex} {
		if v := p.Annotations[key]; v != "" {
			if _, err := strconv.Atoi(v); err == nil {
				return v
			}
		}
	}
	for _, ref := range p.OwnerReferences {
		if ref.Kind == "StatefulSet" && ref.Controller != nil && *ref.Controller {
			if i := strings.LastIndexByte(p.Name, '-'); i >= 0 {
				if _, err := strconv.Atoi(p.Name[i+1:]); err == nil {
					return p.Name[i+1:]
				}
			}
		}
	}
	return "0"
}
