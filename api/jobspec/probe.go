package jobspec

import (
	"strings"

	"github.com/barque-io/barque/api"
)

// addProbes runs each service check as a readiness probe of the task it
// names (check.task, else the service's task, else the task holding the
// port, else the first main task), so that endpoints follow it.
func addProbes(g *Group, spec *api.PodSpec) {
	add := func(s *Service, task string) {
		for _, chk := range s.Checks {
			if chk.Task != "" {
				task = chk.Task
			}
			port := chk.Port
			if port == "" {
				port = s.Port
			}
			c := containerNamed(spec, task)
			if task == "" {
				c = portOwner(spec, port)
			}
			c.ReadinessProbe = probe(chk, port)
		}
	}
	for _, s := range g.Services {
		add(s, s.Task)
	}
	for _, t := range g.Tasks {
		for _, s := range t.Services {
			add(s, t.Name)
		}
	}
}

func portOwner(spec *api.PodSpec, port string) *api.Container {
	for i := range spec.Containers {
		for _, p := range spec.Containers[i].Ports {
			if p.Name == port {
				return &spec.Containers[i]
			}
		}
	}
	return &spec.Containers[0]
}

func probe(chk *Check, port string) *api.Probe {
	p := &api.Probe{PeriodSeconds: int32(seconds(chk.Interval)), TimeoutSeconds: int32(seconds(chk.Timeout))}
	switch chk.Type {
	case "http":
		p.HTTPGet = &api.HTTPGetAction{Path: chk.Path, Port: api.FromString(port), Scheme: strings.ToUpper(chk.Protocol)}
	case "tcp":
		p.TCPSocket = &api.TCPSocketAction{Port: api.FromString(port)}
	case "script":
		p.Exec = &api.ExecAction{Command: append([]string{chk.Command}, chk.Args...)}
	}
	return p
}
