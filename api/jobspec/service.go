package jobspec

import (
	"fmt"

	"github.com/barque-io/barque/api"
)

// defaultServicePort is a Service's port when its network port is dynamic
// with no `to`: the pods' port then differs per pod, and clients use the
// service's address on this port.
const defaultServicePort = 80

// services makes a Service per service block of the group and its tasks,
// with an Ingress when the block has urlprefix- tags (see ingress.go).
func (j *Job) services(g *Group) ([]api.Object, error) {
	var out []api.Object
	for _, s := range g.Services {
		svc, err := j.service(g, s, s.Task)
		if err != nil {
			return nil, err
		}
		out = append(out, svc...)
	}
	for _, t := range g.Tasks {
		for _, s := range t.Services {
			svc, err := j.service(g, s, t.Name)
			if err != nil {
				return nil, err
			}
			out = append(out, svc...)
		}
	}
	return out, nil
}

func (j *Job) service(g *Group, s *Service, task string) ([]api.Object, error) {
	if len(s.Checks) > 1 {
		return nil, unsupportedf("service %q: more than one check", s.Name)
	}
	name := s.Name
	if name == "" {
		name = j.objectName(g)
		if task != "" {
			name += "-" + task
		}
	}
	if s.Port == "" {
		return nil, fmt.Errorf("service %q needs a port (a label of the group's network ports)", name)
	}
	port := findPort(g, s.Port)
	number := int32(defaultServicePort)
	switch {
	case port.To > 0:
		number = int32(port.To)
	case port.Static > 0:
		number = int32(port.Static)
	}
	svc := &api.Service{TypeMeta: typeMeta("v1", "Service"), ObjectMeta: j.meta(g, name),
		Spec: api.ServiceSpec{Selector: j.labels(g), Ports: []api.ServicePort{{Name: s.Port,
			Protocol: api.ProtocolTCP, Port: number, TargetPort: api.FromString(s.Port)}}}}
	ing, err := j.ingress(g, s, svc)
	if err != nil || ing == nil {
		return []api.Object{svc}, err
	}
	return []api.Object{svc, ing}, nil
}

func findPort(g *Group, label string) *Port {
	if g.Network == nil {
		return &Port{Label: label}
	}
	for _, p := range g.Network.Ports {
		if p.Label == label {
			return p
		}
	}
	return &Port{Label: label}
}
