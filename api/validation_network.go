package api

import "strings"

func init() {
	kindValidators["Service"] = func(o Object, errs *FieldErrors) { validateService(&o.(*Service).Spec, errs) }
	kindValidators["Endpoints"] = func(o Object, errs *FieldErrors) { validateEndpoints(o.(*Endpoints), errs) }
	kindValidators["Ingress"] = func(o Object, errs *FieldErrors) { validateIngress(&o.(*Ingress).Spec, errs) }
}

var serviceTypes = []string{string(ServiceTypeClusterIP), string(ServiceTypeNodePort),
	string(ServiceTypeLoadBalancer), string(ServiceTypeExternalName)}

func validateService(s *ServiceSpec, errs *FieldErrors) {
	if s.Type != "" && !contains(serviceTypes, string(s.Type)) {
		errs.NotSupported("spec.type", string(s.Type), serviceTypes)
	}
	if s.Type == ServiceTypeExternalName {
		if s.ExternalName == "" {
			errs.Required("spec.externalName", "")
		}
	} else if len(s.Ports) == 0 && s.ClusterIP != "None" {
		errs.Required("spec.ports", "")
	}
	if ip := s.ClusterIP; ip != "" && ip != "None" && !isIP(ip) {
		errs.Invalid("spec.clusterIP", ip, "must be empty, 'None', or a valid IP address")
	}
	for i, ip := range s.ExternalIPs {
		if !isIP(ip) {
			errs.Invalid(idx("spec.externalIPs", i), ip, "must be a valid IP address")
		}
	}
	validateLabels(s.Selector, "spec.selector", errs)
	validateServicePorts(s, errs)
	if a := s.SessionAffinity; a != "" && a != "None" && a != "ClientIP" {
		errs.NotSupported("spec.sessionAffinity", a, []string{"ClientIP", "None"})
	}
}

// validateServicePorts checks each port; names are required once there is
// more than one port, since endpoints match ports by name.
func validateServicePorts(s *ServiceSpec, errs *FieldErrors) {
	names := map[string]bool{}
	pairs := map[string]bool{}
	nodePorts := s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer
	for i, p := range s.Ports {
		pp := idx("spec.ports", i)
		switch {
		case p.Name == "" && len(s.Ports) > 1:
			errs.Required(pp+".name", "")
		case p.Name != "" && names[p.Name]:
			errs.Duplicate(pp+".name", p.Name)
		case p.Name != "":
			errs.addMsgs(pp+".name", p.Name, IsDNS1123Label(p.Name))
		}
		names[p.Name] = true
		validatePortNumber(p.Port, pp+".port", errs)
		if p.Protocol != "" && !contains(protocols, string(p.Protocol)) {
			errs.NotSupported(pp+".protocol", string(p.Protocol), protocols)
		}
		if !p.TargetPort.IsZero() {
			validatePortRef(p.TargetPort, pp+".targetPort", errs)
		}
		if p.NodePort != 0 {
			if !nodePorts {
				errs.Forbidden(pp+".nodePort", "may not be used when `type` is '"+string(orClusterIP(s.Type))+"'")
			}
			validatePortNumber(p.NodePort, pp+".nodePort", errs)
		}
		pair := string(orTCP(p.Protocol)) + "/" + itoa(int(p.Port))
		if pairs[pair] {
			errs.Duplicate(pp, pair)
		}
		pairs[pair] = true
	}
}

func orTCP(p Protocol) Protocol {
	if p == "" {
		return ProtocolTCP
	}
	return p
}

func orClusterIP(t ServiceType) ServiceType {
	if t == "" {
		return ServiceTypeClusterIP
	}
	return t
}

func validateEndpoints(e *Endpoints, errs *FieldErrors) {
	for i, ss := range e.Subsets {
		p := idx("subsets", i)
		for j, a := range ss.Addresses {
			validateEndpointAddress(a, idx(p+".addresses", j), errs)
		}
		for j, a := range ss.NotReadyAddresses {
			validateEndpointAddress(a, idx(p+".notReadyAddresses", j), errs)
		}
		for j, port := range ss.Ports {
			pp := idx(p+".ports", j)
			if port.Name == "" && len(ss.Ports) > 1 {
				errs.Required(pp+".name", "")
			}
			validatePortNumber(port.Port, pp+".port", errs)
			if port.Protocol != "" && !contains(protocols, string(port.Protocol)) {
				errs.NotSupported(pp+".protocol", string(port.Protocol), protocols)
			}
		}
	}
}

func validateEndpointAddress(a EndpointAddress, path string, errs *FieldErrors) {
	if !isIP(a.IP) {
		errs.Invalid(path+".ip", a.IP, "must be a valid IP address")
	}
	if a.NodeName != nil && *a.NodeName != "" {
		errs.addMsgs(path+".nodeName", *a.NodeName, IsDNS1123Subdomain(*a.NodeName))
	}
}

var pathTypes = []string{PathTypeExact, PathTypeImplementationSpecific, PathTypePrefix}

func validateIngress(s *IngressSpec, errs *FieldErrors) {
	if s.DefaultBackend == nil && len(s.Rules) == 0 {
		errs.Invalid("spec", "", "either `defaultBackend` or `rules` must be specified")
	}
	if s.IngressClassName != nil {
		errs.addMsgs("spec.ingressClassName", *s.IngressClassName, IsDNS1123Subdomain(*s.IngressClassName))
	}
	if s.DefaultBackend != nil {
		validateIngressBackend(s.DefaultBackend, "spec.defaultBackend", errs)
	}
	for i, tls := range s.TLS {
		for j, h := range tls.Hosts {
			validateIngressHost(h, idx(idx("spec.tls", i)+".hosts", j), errs)
		}
	}
	for i, r := range s.Rules {
		p := idx("spec.rules", i)
		if r.Host != "" {
			validateIngressHost(r.Host, p+".host", errs)
		}
		if r.HTTP == nil {
			continue
		}
		if len(r.HTTP.Paths) == 0 {
			errs.Required(p+".http.paths", "")
		}
		for j := range r.HTTP.Paths {
			validateIngressPath(&r.HTTP.Paths[j], idx(p+".http.paths", j), errs)
		}
	}
}

func validateIngressHost(h, path string, errs *FieldErrors) {
	if isIP(h) {
		errs.Invalid(path, h, "must be a DNS name, not an IP address")
		return
	}
	errs.addMsgs(path, h, IsDNS1123Subdomain(strings.TrimPrefix(h, "*.")))
}

func validateIngressPath(hp *HTTPIngressPath, path string, errs *FieldErrors) {
	switch {
	case hp.PathType == nil:
		errs.Required(path+".pathType", "pathType must be specified")
	case !contains(pathTypes, *hp.PathType):
		errs.NotSupported(path+".pathType", *hp.PathType, pathTypes)
	case *hp.PathType != PathTypeImplementationSpecific && !strings.HasPrefix(hp.Path, "/"):
		errs.Invalid(path+".path", hp.Path, "must be an absolute path")
	}
	validateIngressBackend(&hp.Backend, path+".backend", errs)
}

func validateIngressBackend(b *IngressBackend, path string, errs *FieldErrors) {
	if b.Service == nil {
		errs.Invalid(path, "", "a service backend must be specified")
		return
	}
	svc, p := b.Service, path+".service"
	if svc.Name == "" {
		errs.Required(p+".name", "")
	} else {
		errs.addMsgs(p+".name", svc.Name, IsDNS1035Label(svc.Name))
	}
	switch {
	case svc.Port.Name != "" && svc.Port.Number != 0:
		errs.Invalid(p+".port", svc.Port.Name, "cannot set both port name & port number")
	case svc.Port.Name != "":
		errs.addMsgs(p+".port.name", svc.Port.Name, IsPortName(svc.Port.Name))
	case svc.Port.Number != 0:
		validatePortNumber(svc.Port.Number, p+".port.number", errs)
	default:
		errs.Required(p+".port", "port name or number is required")
	}
}
