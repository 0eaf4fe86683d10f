package api

func init() {
	Register(KindInfo{Kind: "Pod", Resource: "pods", Version: "v1", Namespaced: true,
		ShortNames: []string{"po"}, New: func() Object { return &Pod{} }})
}

// Pod is one or more tasks (containers) scheduled together on one node.
type Pod struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       PodSpec   `json:"spec,omitempty"`
	Status     PodStatus `json:"status,omitempty"`
}

// RestartPolicy says when the agent restarts a pod's containers.
type RestartPolicy string

// Restart policies.
const (
	RestartAlways    RestartPolicy = "Always"
	RestartOnFailure RestartPolicy = "OnFailure"
	RestartNever     RestartPolicy = "Never"
)

// PodSpec is what the user wants to run. NodeName is set by the scheduler's
// binding (or by the user to skip scheduling); the store indexes it.
type PodSpec struct {
	Volumes                       []Volume                   `json:"volumes,omitempty" patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
	InitContainers                []Container                `json:"initContainers,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	Containers                    []Container                `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
	RestartPolicy                 RestartPolicy              `json:"restartPolicy,omitempty"`
	TerminationGracePeriodSeconds *int64                     `json:"terminationGracePeriodSeconds,omitempty"`
	ActiveDeadlineSeconds         *int64                     `json:"activeDeadlineSeconds,omitempty"`
	NodeSelector                  map[string]string          `json:"nodeSelector,omitempty"`
	DNSPolicy                     string                     `json:"dnsPolicy,omitempty"`
	ServiceAccountName            string                     `json:"serviceAccountName,omitempty"`
	DeprecatedServiceAccount      string                     `json:"serviceAccount,omitempty"`
	AutomountServiceAccountToken  *bool                      `json:"automountServiceAccountToken,omitempty"`
	NodeName                      string                     `json:"nodeName,omitempty"`
	HostNetwork                   bool                       `json:"hostNetwork,omitempty"`
	SecurityContext               *PodSecurityContext        `json:"securityContext,omitempty"`
	ImagePullSecrets              []LocalObjectReference     `json:"imagePullSecrets,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	Hostname                      string                     `json:"hostname,omitempty"`
	Subdomain                     string                     `json:"subdomain,omitempty"`
	Affinity                      *Affinity                  `json:"affinity,omitempty"`
	SchedulerName                 string                     `json:"schedulerName,omitempty"`
	Tolerations                   []Toleration               `json:"tolerations,omitempty"`
	PriorityClassName             string                     `json:"priorityClassName,omitempty"`
	Priority                      *int32                     `json:"priority,omitempty"`
	EnableServiceLinks            *bool                      `json:"enableServiceLinks,omitempty"`
	PreemptionPolicy              *string                    `json:"preemptionPolicy,omitempty"`
	TopologySpreadConstraints     []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty" patchStrategy:"merge" patchMergeKey:"topologyKey"`
}

// Container is one task of a pod. Driver is a Barque addition: "exec" or
// "docker" (empty means the node's default).
type Container struct {
	Name           string               `json:"name"`
	Image          string               `json:"image,omitempty"`
	Command        []string             `json:"command,omitempty"`
	Args           []string             `json:"args,omitempty"`
	WorkingDir     string               `json:"workingDir,omitempty"`
	Ports          []ContainerPort      `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"containerPort"`
	EnvFrom        []EnvFromSource      `json:"envFrom,omitempty"`
	Env            []EnvVar             `json:"env,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	Resources      ResourceRequirements `json:"resources,omitempty"`
	VolumeMounts   []VolumeMount        `json:"volumeMounts,omitempty" patchStrategy:"merge" patchMergeKey:"mountPath"`
	LivenessProbe  *Probe               `json:"livenessProbe,omitempty"`
	ReadinessProbe *Probe               `json:"readinessProbe,omitempty"`
	StartupProbe   *Probe               `json:"startupProbe,omitempty"`

	TerminationMessagePath   string           `json:"terminationMessagePath,omitempty"`
	TerminationMessagePolicy string           `json:"terminationMessagePolicy,omitempty"`
	ImagePullPolicy          string           `json:"imagePullPolicy,omitempty"`
	SecurityContext          *SecurityContext `json:"securityContext,omitempty"`
	Stdin                    bool             `json:"stdin,omitempty"`
	TTY                      bool             `json:"tty,omitempty"`
	// Lifecycle holds the stop signal (Kubernetes' lifecycle.stopSignal;
	// a job file's kill_signal). Its hooks are not implemented.
	Lifecycle *Lifecycle `json:"lifecycle,omitempty"`

	Driver string `json:"driver,omitempty"`

	// RestartPolicy, on an init container, makes it a sidecar (Kubernetes'
	// native sidecars): "Always" starts it in order with the other init
	// containers, and it then runs beside the main containers, restarted
	// whenever it exits. Not allowed on main containers.
	RestartPolicy *RestartPolicy `json:"restartPolicy,omitempty"`
}

// Lifecycle is what happens to a container when it stops.
type Lifecycle struct {
	// StopSignal is sent to the task to stop it ("SIGINT"); SIGTERM when
	// empty. SIGKILL follows after the grace period.
	StopSignal string `json:"stopSignal,omitempty"`
}

// StopSignalOf is the container's stop signal, "" for the default.
func (c *Container) StopSignalOf() string {
	if c.Lifecycle == nil {
		return ""
	}
	return c.Lifecycle.StopSignal
}

// StopSignals are the signal names a container may stop with.
var StopSignals = []string{"SIGABRT", "SIGALRM", "SIGHUP", "SIGINT", "SIGKILL", "SIGQUIT", "SIGTERM",
	"SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGPWR", "SIGXCPU", "SIGXFSZ"}

// IsSidecar reports an init container that runs beside the main ones.
func (c *Container) IsSidecar() bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == RestartAlways
}

// Image pull policies.
const (
	PullAlways       = "Always"
	PullNever        = "Never"
	PullIfNotPresent = "IfNotPresent"
)

// Protocol is TCP, UDP or SCTP.
type Protocol string

// Protocols.
const (
	ProtocolTCP  Protocol = "TCP"
	ProtocolUDP  Protocol = "UDP"
	ProtocolSCTP Protocol = "SCTP"
)

// ContainerPort is a port a container listens on. With host networking the
// scheduler may allocate HostPort (Nomad's dynamic ports).
type ContainerPort struct {
	Name          string   `json:"name,omitempty"`
	HostPort      int32    `json:"hostPort,omitempty"`
	ContainerPort int32    `json:"containerPort"`
	Protocol      Protocol `json:"protocol,omitempty"`
	HostIP        string   `json:"hostIP,omitempty"`
}

// EnvVar is one environment variable, given directly or taken from elsewhere.
type EnvVar struct {
	Name      string        `json:"name"`
	Value     string        `json:"value,omitempty"`
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`
}

// EnvVarSource names where a variable's value comes from; exactly one is set.
type EnvVarSource struct {
	FieldRef        *ObjectFieldSelector `json:"fieldRef,omitempty"`
	ConfigMapKeyRef *KeySelector         `json:"configMapKeyRef,omitempty"`
	SecretKeyRef    *KeySelector         `json:"secretKeyRef,omitempty"`
}

// ObjectFieldSelector picks a field of the pod ("metadata.name", "status.podIP").
type ObjectFieldSelector struct {
	APIVersion string `json:"apiVersion,omitempty"`
	FieldPath  string `json:"fieldPath"`
}

// KeySelector picks one key of a ConfigMap or Secret (ConfigMapKeySelector
// and SecretKeySelector in Kubernetes, which have the same shape).
type KeySelector struct {
	Name     string `json:"name,omitempty"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

// ResourceRequirements are what a container asks for and may not exceed.
type ResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

// VolumeMount places a pod volume in a container's filesystem.
type VolumeMount struct {
	Name      string `json:"name"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
	MountPath string `json:"mountPath"`
	SubPath   string `json:"subPath,omitempty"`
}

// Probe checks a container; exactly one handler is set.
type Probe struct {
	ProbeHandler                  `json:",inline"`
	InitialDelaySeconds           int32  `json:"initialDelaySeconds,omitempty"`
	TimeoutSeconds                int32  `json:"timeoutSeconds,omitempty"`
	PeriodSeconds                 int32  `json:"periodSeconds,omitempty"`
	SuccessThreshold              int32  `json:"successThreshold,omitempty"`
	FailureThreshold              int32  `json:"failureThreshold,omitempty"`
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// ProbeHandler is how a probe checks.
type ProbeHandler struct {
	Exec      *ExecAction      `json:"exec,omitempty"`
	HTTPGet   *HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty"`
}

// ExecAction runs a command in the container; exit 0 is success.
type ExecAction struct {
	Command []string `json:"command,omitempty"`
}

// HTTPGetAction succeeds on a 2xx or 3xx answer.
type HTTPGetAction struct {
	Path        string       `json:"path,omitempty"`
	Port        IntOrString  `json:"port"`
	Host        string       `json:"host,omitempty"`
	Scheme      string       `json:"scheme,omitempty"`
	HTTPHeaders []HTTPHeader `json:"httpHeaders,omitempty"`
}

// HTTPHeader is one header a probe sends.
type HTTPHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TCPSocketAction succeeds when a connection opens.
type TCPSocketAction struct {
	Port IntOrString `json:"port"`
	Host string      `json:"host,omitempty"`
}
