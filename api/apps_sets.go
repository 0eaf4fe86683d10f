package api

func init() {
	Register(KindInfo{Kind: "DaemonSet", Resource: "daemonsets", Group: "apps", Version: "v1",
		Namespaced: true, ShortNames: []string{"ds"}, New: func() Object { return &DaemonSet{} }})
	Register(KindInfo{Kind: "StatefulSet", Resource: "statefulsets", Group: "apps", Version: "v1",
		Namespaced: true, ShortNames: []string{"sts"}, New: func() Object { return &StatefulSet{} }})
}

// DaemonSet runs one pod on every eligible node.
type DaemonSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       DaemonSetSpec   `json:"spec,omitempty"`
	Status     DaemonSetStatus `json:"status,omitempty"`
}

// DaemonSetSpec is the pod to run per node and how to update it.
type DaemonSetSpec struct {
	Selector             *LabelSelector          `json:"selector"`
	Template             PodTemplateSpec         `json:"template"`
	UpdateStrategy       DaemonSetUpdateStrategy `json:"updateStrategy,omitempty"`
	MinReadySeconds      int32                   `json:"minReadySeconds,omitempty"`
	RevisionHistoryLimit *int32                  `json:"revisionHistoryLimit,omitempty"`
}

// DaemonSetUpdateStrategy is RollingUpdate or OnDelete.
type DaemonSetUpdateStrategy struct {
	Type          string                  `json:"type,omitempty"`
	RollingUpdate *RollingUpdateDaemonSet `json:"rollingUpdate,omitempty"`
}

// RollingUpdateDaemonSet bounds a daemon set rollout.
type RollingUpdateDaemonSet struct {
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	MaxSurge       *IntOrString `json:"maxSurge,omitempty"`
}

// DaemonSetStatus counts nodes in each state.
type DaemonSetStatus struct {
	CurrentNumberScheduled int32       `json:"currentNumberScheduled"`
	NumberMisscheduled     int32       `json:"numberMisscheduled"`
	DesiredNumberScheduled int32       `json:"desiredNumberScheduled"`
	NumberReady            int32       `json:"numberReady"`
	ObservedGeneration     int64       `json:"observedGeneration,omitempty"`
	UpdatedNumberScheduled int32       `json:"updatedNumberScheduled,omitempty"`
	NumberAvailable        int32       `json:"numberAvailable,omitempty"`
	NumberUnavailable      int32       `json:"numberUnavailable,omitempty"`
	Conditions             []Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// StatefulSet runs pods with stable names (name-0, name-1…), created and
// updated in order.
type StatefulSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       StatefulSetSpec   `json:"spec,omitempty"`
	Status     StatefulSetStatus `json:"status,omitempty"`
}

// Pod management policies.
const (
	OrderedReadyPodManagement = "OrderedReady"
	ParallelPodManagement     = "Parallel"
)

// Update strategy types shared by StatefulSet and DaemonSet.
const (
	RollingUpdateStrategyType = "RollingUpdate"
	OnDeleteStrategyType      = "OnDelete"
)

// StatefulSetSpec is the ordered set of pods to keep.
type StatefulSetSpec struct {
	Replicas             *int32                    `json:"replicas,omitempty"`
	Selector             *LabelSelector            `json:"selector"`
	Template             PodTemplateSpec           `json:"template"`
	ServiceName          string                    `json:"serviceName,omitempty"`
	PodManagementPolicy  string                    `json:"podManagementPolicy,omitempty"`
	UpdateStrategy       StatefulSetUpdateStrategy `json:"updateStrategy,omitempty"`
	RevisionHistoryLimit *int32                    `json:"revisionHistoryLimit,omitempty"`
	MinReadySeconds      int32                     `json:"minReadySeconds,omitempty"`
	// VolumeClaimTemplates: each pod gets one claim per template, named
	// TEMPLATE-SET-ORDINAL, mounted as the volume named TEMPLATE.
	VolumeClaimTemplates []PersistentVolumeClaim `json:"volumeClaimTemplates,omitempty"`
	// PersistentVolumeClaimRetentionPolicy: Retain (default) or Delete the
	// claims when the set is deleted, and when it is scaled down.
	PersistentVolumeClaimRetentionPolicy *StatefulSetPersistentVolumeClaimRetentionPolicy `json:"persistentVolumeClaimRetentionPolicy,omitempty"`
}

// StatefulSetUpdateStrategy is RollingUpdate or OnDelete.
type StatefulSetUpdateStrategy struct {
	Type          string                            `json:"type,omitempty"`
	RollingUpdate *RollingUpdateStatefulSetStrategy `json:"rollingUpdate,omitempty"`
}

// RollingUpdateStatefulSetStrategy updates only ordinals ≥ Partition.
type RollingUpdateStatefulSetStrategy struct {
	Partition      *int32       `json:"partition,omitempty"`
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
}

// StatefulSetStatus counts the set's pods by revision and readiness.
type StatefulSetStatus struct {
	ObservedGeneration int64       `json:"observedGeneration,omitempty"`
	Replicas           int32       `json:"replicas"`
	ReadyReplicas      int32       `json:"readyReplicas,omitempty"`
	CurrentReplicas    int32       `json:"currentReplicas,omitempty"`
	UpdatedReplicas    int32       `json:"updatedReplicas,omitempty"`
	AvailableReplicas  int32       `json:"availableReplicas"`
	CurrentRevision    string      `json:"currentRevision,omitempty"`
	UpdateRevision     string      `json:"updateRevision,omitempty"`
	Conditions         []Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}
