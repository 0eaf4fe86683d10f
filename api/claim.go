package api

func init() {
	Register(KindInfo{Kind: "PersistentVolumeClaim", Resource: "persistentvolumeclaims", Version: "v1",
		Namespaced: true, ShortNames: []string{"pvc"}, New: func() Object { return &PersistentVolumeClaim{} }})
}

// PersistentVolumeClaim is a request for storage that outlives pods. Barque
// has no volume provisioners: a claim's storage is a directory on the node
// where a pod first used it (ClaimNodeAnnotation), kept until the claim is
// deleted. StatefulSets create one claim per pod and volumeClaimTemplate.
type PersistentVolumeClaim struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       PersistentVolumeClaimSpec   `json:"spec,omitempty"`
	Status     PersistentVolumeClaimStatus `json:"status,omitempty"`
}

// ClaimNodeAnnotation names the node holding a claim's directory, set once
// by the controller that bound it (Kubernetes' annotation for the node
// chosen for a WaitForFirstConsumer volume). Pods using the claim must run
// there.
const ClaimNodeAnnotation = "volume.kubernetes.io/selected-node"

// Access modes. A claim is a directory on one node, so only the
// single-node modes are accepted.
const (
	ReadWriteOnce    = "ReadWriteOnce"
	ReadWriteOncePod = "ReadWriteOncePod"
)

// FilesystemVolumeMode is the one volume mode a directory has.
const FilesystemVolumeMode = "Filesystem"

// Claim phases.
const (
	ClaimPending = "Pending" // not yet used by a pod on any node
	ClaimBound   = "Bound"   // its directory is on the node in ClaimNodeAnnotation
	ClaimLost    = "Lost"    // bound to a node that is no longer in the cluster
)

// PersistentVolumeClaimSpec is what storage the claim asks for.
// resources.requests.storage is not enforced on disk (a directory has no
// quota); until the claim is bound, the scheduler counts it against the
// allocatable ephemeral-storage of the node it places the pod on. storageClassName is accepted for portability; Barque has one
// class, the node-local directory.
type PersistentVolumeClaimSpec struct {
	AccessModes      []string                   `json:"accessModes,omitempty"`
	Resources        VolumeResourceRequirements `json:"resources,omitempty"`
	StorageClassName *string                    `json:"storageClassName,omitempty"`
	// VolumeMode may only be Filesystem: a claim is a directory.
	VolumeMode *string `json:"volumeMode,omitempty"`
}

// VolumeResourceRequirements is the storage a claim asks for.
type VolumeResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

// PersistentVolumeClaimStatus is where the claim stands.
type PersistentVolumeClaimStatus struct {
	Phase       string       `json:"phase,omitempty"`
	AccessModes []string     `json:"accessModes,omitempty"`
	Capacity    ResourceList `json:"capacity,omitempty"`
}

// PersistentVolumeClaimVolumeSource mounts a claim's storage in a pod.
type PersistentVolumeClaimVolumeSource struct {
	ClaimName string `json:"claimName"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// StatefulSetPersistentVolumeClaimRetentionPolicy says what becomes of the
// claims made from volumeClaimTemplates when the set is deleted and when it
// is scaled down.
type StatefulSetPersistentVolumeClaimRetentionPolicy struct {
	WhenDeleted string `json:"whenDeleted,omitempty"`
	WhenScaled  string `json:"whenScaled,omitempty"`
}

// Retention policy values.
const (
	RetainClaimRetention = "Retain"
	DeleteClaimRetention = "Delete"
)

// ClaimNode is the node claim is bound to ("" when not bound).
func (c *PersistentVolumeClaim) ClaimNode() string { return c.Annotations[ClaimNodeAnnotation] }
