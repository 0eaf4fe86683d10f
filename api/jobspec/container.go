package jobspec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/barque-io/barque/api"
)

// Nomad's defaults for a task without a resources block.
const (
	defaultCPU    = 100 // MHz
	defaultMemory = 300 // MB
)

// container maps a task's driver config, environment, user and resources.
func (j *Job) container(g *Group, t *Task) (api.Container, error) {
	cfg := t.Config
	if cfg == nil {
		cfg = &TaskConfig{}
	}
	c := api.Container{Name: t.Name, WorkingDir: cfg.WorkDir, Resources: resources(t.Resources)}
	switch t.Driver {
	case "docker":
		if cfg.Image == "" {
			return c, fmt.Errorf("the docker driver needs config.image")
		}
		c.Driver, c.Image, c.Command = "docker", cfg.Image, cfg.Entrypoint
		if cfg.Command != "" {
			c.Args = append(c.Args, cfg.Command)
		}
		c.Args = append(c.Args, cfg.Args...)
		if cfg.ForcePull {
			c.ImagePullPolicy = api.PullAlways
		}
	default: // exec, raw_exec: both run on the exec driver
		if cfg.Command == "" {
			return c, fmt.Errorf("the %s driver needs config.command", t.Driver)
		}
		if cfg.Image != "" || len(cfg.Entrypoint) > 0 || len(cfg.Ports) > 0 {
			return c, fmt.Errorf("config.image, entrypoint and ports are docker options, not %s ones", t.Driver)
		}
		c.Driver, c.Command, c.Args = "exec", []string{cfg.Command}, cfg.Args
	}
	c.Env = j.env(g, t)
	if t.User != "" {
		uid, err := strconv.ParseInt(t.User, 10, 64)
		if err != nil {
			return c, unsupportedf("user %q: user names (give a numeric uid)", t.User)
		}
		c.SecurityContext = &api.SecurityContext{RunAsUser: ptr(uid)}
	}
	if t.KillSignal != "" {
		c.Lifecycle = &api.Lifecycle{StopSignal: stopSignal(t.KillSignal)}
	}
	return c, nil
}

// resources converts Nomad's units: 1 MHz is one millicore (1000 MHz = 1
// core), a core is 1000m, 1 MB is 1 Mi. Memory is a hard limit in Nomad
// unless memory_max raises it.
func resources(r *Resources) api.ResourceRequirements {
	if r == nil {
		r = &Resources{}
	}
	cpu := fmt.Sprintf("%dm", value(r.CPU, defaultCPU))
	if r.Cores != nil {
		cpu = strconv.Itoa(*r.Cores)
	}
	mem := value(r.Memory, defaultMemory)
	limit := mem
	if r.MemoryMax != nil && *r.MemoryMax > mem {
		limit = *r.MemoryMax
	}
	return api.ResourceRequirements{
		Requests: api.ResourceList{api.ResourceCPU: cpu, api.ResourceMemory: fmt.Sprintf("%dMi", mem)},
		Limits:   api.ResourceList{api.ResourceMemory: fmt.Sprintf("%dMi", limit)},
	}
}

func value(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// env is the task's env block plus NOMAD_META_<key> for the job's, group's
// and task's meta (the narrower scope wins), in name order.
func (j *Job) env(g *Group, t *Task) []api.EnvVar {
	vars := map[string]string{}
	for _, m := range []map[string]string{j.Meta, g.Meta, t.Meta} {
		for k, v := range m {
			vars["NOMAD_META_"+k] = v
		}
	}
	for k, v := range t.Env {
		vars[k] = v
	}
	var out []api.EnvVar
	for _, k := range sortedKeys(vars) {
		out = append(out, api.EnvVar{Name: k, Value: vars[k]})
	}
	return out
}

// assignPorts gives each network port to one container: the docker task
// whose config.ports names it, else the first main task. Static ports are
// host ports; dynamic ones are listed for the scheduler to allocate.
func assignPorts(g *Group, spec *api.PodSpec, ann map[string]string) {
	if g.Network == nil {
		return
	}
	owner := map[string]string{}
	for _, t := range g.Tasks {
		if t.Config != nil {
			for _, p := range t.Config.Ports {
				if owner[p] == "" {
					owner[p] = t.Name
				}
			}
		}
	}
	var dynamic []string
	for _, p := range g.Network.Ports {
		cp := api.ContainerPort{Name: p.Label, ContainerPort: int32(p.To), HostPort: int32(p.Static)}
		if p.Static > 0 && p.To == 0 {
			cp.ContainerPort = int32(p.Static)
		}
		if p.Static == 0 {
			dynamic = append(dynamic, p.Label)
		}
		c := containerNamed(spec, owner[p.Label])
		c.Ports = append(c.Ports, cp)
	}
	if len(dynamic) > 0 {
		sort.Strings(dynamic)
		ann[AnnotationDynamicPorts] = strings.Join(dynamic, ",")
	}
}

// containerNamed finds a main container by name, else returns the first;
// ports stay on main containers, where the scheduler allocates them.
func containerNamed(spec *api.PodSpec, name string) *api.Container {
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	return &spec.Containers[0]
}

// stopSignal spells a Nomad kill_signal ("SIGINT", "int") as Kubernetes'
// stopSignal does; the API's validation refuses a name it does not know.
func stopSignal(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(s, "SIG") {
		s = "SIG" + s
	}
	return s
}
