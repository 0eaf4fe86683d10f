package api

func init() {
	Register(KindInfo{Kind: "Node", Resource: "nodes", Version: "v1",
		ShortNames: []string{"no"}, New: func() Object { return &Node{} }})
}

// Node is a machine that runs pods; its agent registers it and reports status.
type Node struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       NodeSpec   `json:"spec,omitempty"`
	Status     NodeStatus `json:"status,omitempty"`
}

// NodeSpec is what operators set on a node.
type NodeSpec struct {
	PodCIDR       string   `json:"podCIDR,omitempty"`
	PodCIDRs      []string `json:"podCIDRs,omitempty" patchStrategy:"merge"`
	ProviderID    string   `json:"providerID,omitempty"`
	Unschedulable bool     `json:"unschedulable,omitempty"`
	Taints        []Taint  `json:"taints,omitempty"`
}

// TaintEffect says what a taint does to pods that do not tolerate it.
type TaintEffect string

// Taint effects.
const (
	TaintNoSchedule       TaintEffect = "NoSchedule"
	TaintPreferNoSchedule TaintEffect = "PreferNoSchedule"
	TaintNoExecute        TaintEffect = "NoExecute"
)

// Taint repels pods that do not tolerate it.
type Taint struct {
	Key       string      `json:"key"`
	Value     string      `json:"value,omitempty"`
	Effect    TaintEffect `json:"effect"`
	TimeAdded *Time       `json:"timeAdded,omitempty"`
}

// Node condition types.
const (
	NodeReady              = "Ready"
	NodeMemoryPressure     = "MemoryPressure"
	NodeDiskPressure       = "DiskPressure"
	NodePIDPressure        = "PIDPressure"
	NodeNetworkUnavailable = "NetworkUnavailable"
)

// NodeStatus is what the agent reports. The Barque fields (drivers,
// datacenter, nodeClass, attributes, meta) feed Nomad-style constraints.
type NodeStatus struct {
	Capacity ResourceList `json:"capacity,omitempty"`
	// Allocated is a Barque addition: the requests of the pods the agent
	// runs, reported with each heartbeat.
	Allocated   ResourceList   `json:"allocated,omitempty"`
	Allocatable ResourceList   `json:"allocatable,omitempty"`
	Phase       string         `json:"phase,omitempty"`
	Conditions  []Condition    `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
	Addresses   []NodeAddress  `json:"addresses,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
	NodeInfo    NodeSystemInfo `json:"nodeInfo,omitempty"`

	Drivers    []string          `json:"drivers,omitempty"`
	Datacenter string            `json:"datacenter,omitempty"`
	NodeClass  string            `json:"nodeClass,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Meta       map[string]string `json:"meta,omitempty"`
}

// Node address types.
const (
	NodeHostName    = "Hostname"
	NodeInternalIP  = "InternalIP"
	NodeExternalIP  = "ExternalIP"
	NodeInternalDNS = "InternalDNS"
	NodeExternalDNS = "ExternalDNS"
)

// NodeAddress is one way to reach the node.
type NodeAddress struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

// NodeSystemInfo describes the machine. Hostname is a Barque addition;
// Kubernetes reports it only as an address.
type NodeSystemInfo struct {
	MachineID        string `json:"machineID,omitempty"`
	BootID           string `json:"bootID,omitempty"`
	KernelVersion    string `json:"kernelVersion,omitempty"`
	OSImage          string `json:"osImage,omitempty"`
	OperatingSystem  string `json:"operatingSystem,omitempty"`
	Architecture     string `json:"architecture,omitempty"`
	Hostname         string `json:"hostname,omitempty"`
	KubeletVersion   string `json:"kubeletVersion,omitempty"`
	ContainerRuntime string `json:"containerRuntimeVersion,omitempty"`
}
