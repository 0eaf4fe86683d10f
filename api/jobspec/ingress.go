package jobspec

import (
	"fmt"
	"strings"

	"github.com/barque-io/barque/api"
)

// ingressTagPrefix marks a service tag that routes HTTP to the service, in
// the convention of Fabio, the load balancer many Nomad clusters put in
// front of their services: "urlprefix-/" routes every host's paths,
// "urlprefix-web.example.com/app" the host's /app prefix. Nomad itself has
// no ingress block.
const ingressTagPrefix = "urlprefix-"

// ingress makes an Ingress, named as the service, from the service's
// urlprefix- tags; nil when it has none. Fabio's route options after the
// prefix ("urlprefix-/ strip=/app") are not supported.
func (j *Job) ingress(g *Group, s *Service, svc *api.Service) (*api.Ingress, error) {
	var rules []api.IngressRule
	byHost := map[string]int{}
	for _, tag := range s.Tags {
		route, ok := strings.CutPrefix(tag, ingressTagPrefix)
		if !ok {
			continue
		}
		if strings.ContainsAny(route, " \t") {
			return nil, unsupportedf("service %q tag %q: route options", svc.Name, tag)
		}
		host, path, found := strings.Cut(route, "/")
		if !found {
			return nil, fmt.Errorf("service %q tag %q: want %s[HOST]/PATH", svc.Name, tag, ingressTagPrefix)
		}
		i, seen := byHost[host]
		if !seen {
			i = len(rules)
			byHost[host] = i
			rules = append(rules, api.IngressRule{Host: host,
				IngressRuleValue: api.IngressRuleValue{HTTP: &api.HTTPIngressRuleValue{}}})
		}
		rules[i].HTTP.Paths = append(rules[i].HTTP.Paths, api.HTTPIngressPath{Path: "/" + path,
			PathType: ptr(api.PathTypePrefix), Backend: api.IngressBackend{Service: &api.IngressServiceBackend{
				Name: svc.Name, Port: api.ServiceBackendPort{Name: svc.Spec.Ports[0].Name}}}})
	}
	if len(rules) == 0 {
		return nil, nil
	}
	return &api.Ingress{TypeMeta: typeMeta("networking.k8s.io/v1", "Ingress"), ObjectMeta: j.meta(g, svc.Name),
		Spec: api.IngressSpec{Rules: rules}}, nil
}
