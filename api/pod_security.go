package api

// The fields below are accepted so that manifests exported from Kubernetes
// (kubectl get -o yaml) decode strictly; the agent honours what its driver
// can (user, group, read-only root, capabilities under docker).

// EnvFromSource imports every key of a ConfigMap or Secret as variables.
type EnvFromSource struct {
	Prefix       string               `json:"prefix,omitempty"`
	ConfigMapRef *LocalObjectOptional `json:"configMapRef,omitempty"`
	SecretRef    *LocalObjectOptional `json:"secretRef,omitempty"`
}

// LocalObjectOptional names a ConfigMap or Secret that may be optional
// (ConfigMapEnvSource and SecretEnvSource in Kubernetes).
type LocalObjectOptional struct {
	Name     string `json:"name,omitempty"`
	Optional *bool  `json:"optional,omitempty"`
}

// SecurityContext is a container's privilege and identity settings.
type SecurityContext struct {
	Capabilities             *Capabilities `json:"capabilities,omitempty"`
	Privileged               *bool         `json:"privileged,omitempty"`
	RunAsUser                *int64        `json:"runAsUser,omitempty"`
	RunAsGroup               *int64        `json:"runAsGroup,omitempty"`
	RunAsNonRoot             *bool         `json:"runAsNonRoot,omitempty"`
	ReadOnlyRootFilesystem   *bool         `json:"readOnlyRootFilesystem,omitempty"`
	AllowPrivilegeEscalation *bool         `json:"allowPrivilegeEscalation,omitempty"`
}

// Capabilities adds and drops Linux capabilities.
type Capabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop,omitempty"`
}

// PodSecurityContext holds settings for every container of a pod.
type PodSecurityContext struct {
	RunAsUser          *int64  `json:"runAsUser,omitempty"`
	RunAsGroup         *int64  `json:"runAsGroup,omitempty"`
	RunAsNonRoot       *bool   `json:"runAsNonRoot,omitempty"`
	SupplementalGroups []int64 `json:"supplementalGroups,omitempty"`
	FSGroup            *int64  `json:"fsGroup,omitempty"`
}
