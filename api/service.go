package api

func init() {
	Register(KindInfo{Kind: "Service", Resource: "services", Version: "v1", Namespaced: true,
		ShortNames: []string{"svc"}, New: func() Object { return &Service{} }})
	Register(KindInfo{Kind: "Endpoints", Resource: "endpoints", Version: "v1", Namespaced: true,
		ShortNames: []string{"ep"}, New: func() Object { return &Endpoints{} }})
}

// Service gives a stable virtual address to the pods its selector matches.
type Service struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       ServiceSpec   `json:"spec,omitempty"`
	Status     ServiceStatus `json:"status,omitempty"`
}

// ServiceType is how a service is exposed.
type ServiceType string

// Service types.
const (
	ServiceTypeClusterIP    ServiceType = "ClusterIP"
	ServiceTypeNodePort     ServiceType = "NodePort"
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
	ServiceTypeExternalName ServiceType = "ExternalName"
)

// ServiceSpec is the service's ports and the pods behind it.
type ServiceSpec struct {
	Ports           []ServicePort     `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"port"`
	Selector        map[string]string `json:"selector,omitempty"`
	ClusterIP       string            `json:"clusterIP,omitempty"`
	ClusterIPs      []string          `json:"clusterIPs,omitempty"`
	Type            ServiceType       `json:"type,omitempty"`
	ExternalIPs     []string          `json:"externalIPs,omitempty"`
	SessionAffinity string            `json:"sessionAffinity,omitempty"`
	ExternalName    string            `json:"externalName,omitempty"`

	// Accepted so that exported Kubernetes services decode; Barque's proxy
	// is IPv4, cluster-wide, and ignores the traffic policies for now.
	IPFamilies                    []string `json:"ipFamilies,omitempty"`
	IPFamilyPolicy                *string  `json:"ipFamilyPolicy,omitempty"`
	InternalTrafficPolicy         *string  `json:"internalTrafficPolicy,omitempty"`
	ExternalTrafficPolicy         string   `json:"externalTrafficPolicy,omitempty"`
	AllocateLoadBalancerNodePorts *bool    `json:"allocateLoadBalancerNodePorts,omitempty"`
	LoadBalancerIP                string   `json:"loadBalancerIP,omitempty"`
	LoadBalancerClass             *string  `json:"loadBalancerClass,omitempty"`
	PublishNotReadyAddresses      bool     `json:"publishNotReadyAddresses,omitempty"`
	HealthCheckNodePort           int32    `json:"healthCheckNodePort,omitempty"`
}

// ServicePort maps a service port to a pod port (a number or a port name).
type ServicePort struct {
	Name        string      `json:"name,omitempty"`
	Protocol    Protocol    `json:"protocol,omitempty"`
	AppProtocol *string     `json:"appProtocol,omitempty"`
	Port        int32       `json:"port"`
	TargetPort  IntOrString `json:"targetPort,omitempty"`
	NodePort    int32       `json:"nodePort,omitempty"`
}

// ServiceStatus reports the load balancer's ingress points, if any.
type ServiceStatus struct {
	LoadBalancer LoadBalancerStatus `json:"loadBalancer,omitempty"`
	Conditions   []Condition        `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// LoadBalancerStatus lists where a load balancer answers.
type LoadBalancerStatus struct {
	Ingress []LoadBalancerIngress `json:"ingress,omitempty"`
}

// LoadBalancerIngress is one address of a load balancer.
type LoadBalancerIngress struct {
	IP       string `json:"ip,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

// Endpoints lists the addresses behind a service; the endpoints controller
// keeps it in step with pod readiness and proxies read it.
type Endpoints struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Subsets    []EndpointSubset `json:"subsets,omitempty"`
}

// EndpointSubset is a set of addresses that share the same ports.
type EndpointSubset struct {
	Addresses         []EndpointAddress `json:"addresses,omitempty"`
	NotReadyAddresses []EndpointAddress `json:"notReadyAddresses,omitempty"`
	Ports             []EndpointPort    `json:"ports,omitempty"`
}

// EndpointAddress is one backend, usually a pod.
type EndpointAddress struct {
	IP        string           `json:"ip"`
	Hostname  string           `json:"hostname,omitempty"`
	NodeName  *string          `json:"nodeName,omitempty"`
	TargetRef *ObjectReference `json:"targetRef,omitempty"`
}

// EndpointPort is one port of a subset.
type EndpointPort struct {
	Name     string   `json:"name,omitempty"`
	Port     int32    `json:"port"`
	Protocol Protocol `json:"protocol,omitempty"`
}
