package api

// LabelSelector selects objects by their labels; the terms are ANDed.
// Controllers keep one to find the pods they own.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorOperator is In, NotIn, Exists or DoesNotExist.
type LabelSelectorOperator string

// Label selector operators, spelled as in manifests.
const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)

// LabelSelectorRequirement is one matchExpressions term.
type LabelSelectorRequirement struct {
	Key      string                `json:"key"`
	Operator LabelSelectorOperator `json:"operator"`
	Values   []string              `json:"values,omitempty"`
}

// ObjectReference points at another object, e.g. the subject of an Event or
// the pod behind an endpoint address.
type ObjectReference struct {
	Kind            string  `json:"kind,omitempty"`
	Namespace       string  `json:"namespace,omitempty"`
	Name            string  `json:"name,omitempty"`
	UID             string  `json:"uid,omitempty"`
	APIVersion      string  `json:"apiVersion,omitempty"`
	ResourceVersion Version `json:"resourceVersion,omitempty"`
	FieldPath       string  `json:"fieldPath,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	Name string `json:"name,omitempty"`
}

// ConditionStatus is True, False or Unknown.
type ConditionStatus string

// Condition statuses.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// Condition is the common shape of status conditions (metav1.Condition,
// plus lastProbeTime and lastUpdateTime that pod, node and deployment
// conditions carry in Kubernetes). Each kind's status names its own types.
type Condition struct {
	Type               string          `json:"type"`
	Status             ConditionStatus `json:"status"`
	ObservedGeneration int64           `json:"observedGeneration,omitempty"`
	LastProbeTime      *Time           `json:"lastProbeTime,omitempty"`
	LastUpdateTime     *Time           `json:"lastUpdateTime,omitempty"`
	LastHeartbeatTime  *Time           `json:"lastHeartbeatTime,omitempty"`
	LastTransitionTime *Time           `json:"lastTransitionTime,omitempty"`
	Reason             string          `json:"reason,omitempty"`
	Message            string          `json:"message,omitempty"`
}

// FindCondition returns the condition of the given type, or nil.
func FindCondition(conds []Condition, typ string) *Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

// PodTemplateSpec is the pod a controller stamps out.
type PodTemplateSpec struct {
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PodSpec `json:"spec,omitempty"`
}

// Ptr returns a pointer to v; manifests use pointers for optional scalars.
func Ptr[T any](v T) *T { return &v }
