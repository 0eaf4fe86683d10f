package api

func init() {
	Register(KindInfo{Kind: "Ingress", Resource: "ingresses", Group: "networking.k8s.io", Version: "v1",
		Namespaced: true, ShortNames: []string{"ing"}, New: func() Object { return &Ingress{} }})
}

// Ingress routes HTTP by host and path to services.
type Ingress struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       IngressSpec   `json:"spec,omitempty"`
	Status     IngressStatus `json:"status,omitempty"`
}

// IngressSpec is the routing table.
type IngressSpec struct {
	IngressClassName *string         `json:"ingressClassName,omitempty"`
	DefaultBackend   *IngressBackend `json:"defaultBackend,omitempty"`
	TLS              []IngressTLS    `json:"tls,omitempty"`
	Rules            []IngressRule   `json:"rules,omitempty"`
}

// IngressTLS names the certificate secret for some hosts.
type IngressTLS struct {
	Hosts      []string `json:"hosts,omitempty"`
	SecretName string   `json:"secretName,omitempty"`
}

// IngressRule routes one host (or every host when empty).
type IngressRule struct {
	Host             string `json:"host,omitempty"`
	IngressRuleValue `json:",inline"`
}

// IngressRuleValue holds the HTTP paths of a rule.
type IngressRuleValue struct {
	HTTP *HTTPIngressRuleValue `json:"http,omitempty"`
}

// HTTPIngressRuleValue lists paths.
type HTTPIngressRuleValue struct {
	Paths []HTTPIngressPath `json:"paths"`
}

// Path types.
const (
	PathTypeExact                  = "Exact"
	PathTypePrefix                 = "Prefix"
	PathTypeImplementationSpecific = "ImplementationSpecific"
)

// HTTPIngressPath sends a path to a backend.
type HTTPIngressPath struct {
	Path     string         `json:"path,omitempty"`
	PathType *string        `json:"pathType"`
	Backend  IngressBackend `json:"backend"`
}

// IngressBackend is a service and port.
type IngressBackend struct {
	Service *IngressServiceBackend `json:"service,omitempty"`
}

// IngressServiceBackend names the service and its port (number or name).
type IngressServiceBackend struct {
	Name string             `json:"name"`
	Port ServiceBackendPort `json:"port,omitempty"`
}

// ServiceBackendPort is a service port by name or number.
type ServiceBackendPort struct {
	Name   string `json:"name,omitempty"`
	Number int32  `json:"number,omitempty"`
}

// IngressStatus reports the ingress's addresses.
type IngressStatus struct {
	LoadBalancer LoadBalancerStatus `json:"loadBalancer,omitempty"`
}
