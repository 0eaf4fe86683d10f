package api

func init() {
	Register(KindInfo{Kind: "Deployment", Resource: "deployments", Group: "apps", Version: "v1",
		Namespaced: true, ShortNames: []string{"deploy"}, New: func() Object { return &Deployment{} }})
	Register(KindInfo{Kind: "ReplicaSet", Resource: "replicasets", Group: "apps", Version: "v1",
		Namespaced: true, ShortNames: []string{"rs"}, New: func() Object { return &ReplicaSet{} }})
}

// ReplicaSet keeps a number of identical pods running.
type ReplicaSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       ReplicaSetSpec   `json:"spec,omitempty"`
	Status     ReplicaSetStatus `json:"status,omitempty"`
}

// ReplicaSetSpec is how many pods of which template, found by which selector.
type ReplicaSetSpec struct {
	Replicas        *int32          `json:"replicas,omitempty"`
	MinReadySeconds int32           `json:"minReadySeconds,omitempty"`
	Selector        *LabelSelector  `json:"selector"`
	Template        PodTemplateSpec `json:"template,omitempty"`
}

// ReplicaSetStatus counts the pods the controller saw.
type ReplicaSetStatus struct {
	Replicas             int32       `json:"replicas"`
	FullyLabeledReplicas int32       `json:"fullyLabeledReplicas,omitempty"`
	ReadyReplicas        int32       `json:"readyReplicas,omitempty"`
	AvailableReplicas    int32       `json:"availableReplicas,omitempty"`
	ObservedGeneration   int64       `json:"observedGeneration,omitempty"`
	Conditions           []Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// Deployment rolls a pod template out through ReplicaSets.
type Deployment struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       DeploymentSpec   `json:"spec,omitempty"`
	Status     DeploymentStatus `json:"status,omitempty"`
}

// DeploymentSpec is the desired pods and how to move to them.
type DeploymentSpec struct {
	Replicas                *int32             `json:"replicas,omitempty"`
	Selector                *LabelSelector     `json:"selector"`
	Template                PodTemplateSpec    `json:"template"`
	Strategy                DeploymentStrategy `json:"strategy,omitempty" patchStrategy:"retainKeys"`
	MinReadySeconds         int32              `json:"minReadySeconds,omitempty"`
	RevisionHistoryLimit    *int32             `json:"revisionHistoryLimit,omitempty"`
	Paused                  bool               `json:"paused,omitempty"`
	ProgressDeadlineSeconds *int32             `json:"progressDeadlineSeconds,omitempty"`
}

// Deployment strategy types.
const (
	RecreateDeploymentStrategy      = "Recreate"
	RollingUpdateDeploymentStrategy = "RollingUpdate"
)

// DeploymentStrategy is Recreate or RollingUpdate, the latter optionally
// preceded by a canary step (a Barque extension, see DeploymentCanary).
type DeploymentStrategy struct {
	Type          string                   `json:"type,omitempty"`
	RollingUpdate *RollingUpdateDeployment `json:"rollingUpdate,omitempty"`
	Canary        *DeploymentCanary        `json:"canary,omitempty"`
}

// DeploymentCanary is Nomad's canary update, on a RollingUpdate Deployment:
// a template change first runs Replicas pods of the new template beside
// all the old ones, and the rolling update proceeds only once they are
// promoted, by hand (`barque rollout promote`, which sets
// PromoteRevisionAnnotation) or, with AutoPromote, as soon as every canary
// has been ready for minReadySeconds. Replicas may exceed spec.replicas
// (Nomad's blue/green: canary = count); 0 turns canaries off. With
// AutoRevert, canaries that exceed the progress deadline are given up:
// the controller writes the stable ReplicaSet's template back into the
// Deployment, as Nomad reverts to the last stable job version.
type DeploymentCanary struct {
	Replicas    int32 `json:"replicas"`
	AutoPromote bool  `json:"autoPromote,omitempty"`
	AutoRevert  bool  `json:"autoRevert,omitempty"`
}

// Annotations of the canary step.
const (
	// PromoteRevisionAnnotation, on a Deployment, promotes the canaries
	// of that revision (the value is the revision number); a request for
	// any other revision does nothing.
	PromoteRevisionAnnotation = "deployment.barque.io/promote-revision"
	// CanaryAnnotation, on a ReplicaSet the controller created or reused
	// as canaries, is CanaryPending until they are promoted, then
	// CanaryPromoted.
	CanaryAnnotation = "deployment.barque.io/canary"
	CanaryPending    = "pending"
	CanaryPromoted   = "promoted"
)

// RollingUpdateDeployment bounds a rollout: how many pods above the desired
// count may exist, and how many below it may be unavailable.
type RollingUpdateDeployment struct {
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	MaxSurge       *IntOrString `json:"maxSurge,omitempty"`
}

// Deployment condition types.
const (
	DeploymentAvailable      = "Available"
	DeploymentProgressing    = "Progressing"
	DeploymentReplicaFailure = "ReplicaFailure"
)

// DeploymentStatus counts pods across the deployment's ReplicaSets.
type DeploymentStatus struct {
	ObservedGeneration  int64       `json:"observedGeneration,omitempty"`
	Replicas            int32       `json:"replicas,omitempty"`
	UpdatedReplicas     int32       `json:"updatedReplicas,omitempty"`
	ReadyReplicas       int32       `json:"readyReplicas,omitempty"`
	AvailableReplicas   int32       `json:"availableReplicas,omitempty"`
	UnavailableReplicas int32       `json:"unavailableReplicas,omitempty"`
	Conditions          []Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
	CollisionCount      *int32      `json:"collisionCount,omitempty"`
	// Canary reports the canaries of the current rollout, when it has
	// some (a Barque extension).
	Canary *DeploymentCanaryStatus `json:"canary,omitempty"`
}

// DeploymentCanaryStatus is the canary step of the current rollout: the
// new ReplicaSet and its revision, how many canaries it should run, how
// many have been ready for minReadySeconds, and whether they were promoted.
type DeploymentCanaryStatus struct {
	ReplicaSet string `json:"replicaSet"`
	Revision   int64  `json:"revision"`
	Desired    int32  `json:"desired"`
	Healthy    int32  `json:"healthy"`
	Promoted   bool   `json:"promoted"`
}
