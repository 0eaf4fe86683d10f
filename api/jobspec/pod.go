package jobspec

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/barque-io/barque/api"
)

// Pod annotations the scheduler reads (scheduler/placement/types.go).
const (
	AnnotationDynamicPorts = "barque.io/dynamic-ports"
	AnnotationConstraints  = "barque.io/constraints"
)

// podTemplate builds the group's pod: a container per task, its ports,
// constraints and template ConfigMaps.
func (j *Job) podTemplate(g *Group) (api.PodTemplateSpec, []api.Object, error) {
	spec := api.PodSpec{RestartPolicy: j.restartPolicy(g)}
	if j.Priority != nil {
		spec.Priority = ptr(int32(*j.Priority))
	}
	vols, err := hostVolumes(g)
	if err != nil {
		return api.PodTemplateSpec{}, nil, err
	}
	spec.Volumes = vols
	var cms []api.Object
	for _, t := range g.Tasks {
		c, err := j.container(g, t)
		if err == nil {
			err = mountVolumes(g, t, &c)
		}
		if err != nil {
			return api.PodTemplateSpec{}, nil, fmt.Errorf("task %q: %w", t.Name, err)
		}
		objs, err := j.templates(g, t, &c, &spec)
		if err != nil {
			return api.PodTemplateSpec{}, nil, fmt.Errorf("task %q: %w", t.Name, err)
		}
		cms = append(cms, objs...)
		if err := addContainer(&spec, t, c); err != nil {
			return api.PodTemplateSpec{}, nil, fmt.Errorf("task %q: %w", t.Name, err)
		}
		if s := seconds(t.KillTimeout); s > 0 && (spec.TerminationGracePeriodSeconds == nil || s > *spec.TerminationGracePeriodSeconds) {
			spec.TerminationGracePeriodSeconds = ptr(s)
		}
	}
	if len(spec.Containers) == 0 {
		return api.PodTemplateSpec{}, nil, fmt.Errorf("every task is a prestart task; a group needs a main task")
	}
	ann := map[string]string{}
	assignPorts(g, &spec, ann)
	addProbes(g, &spec)
	if err := j.constraints(g, ann); err != nil {
		return api.PodTemplateSpec{}, nil, err
	}
	if err := j.preferences(g, ann); err != nil {
		return api.PodTemplateSpec{}, nil, err
	}
	meta := api.ObjectMeta{Labels: j.labels(g)}
	if len(ann) > 0 {
		meta.Annotations = ann
	}
	return api.PodTemplateSpec{ObjectMeta: meta, Spec: spec}, cms, nil
}

// restartPolicy: long-running jobs always restart; a batch or sysbatch
// task restarts on failure while it has restart attempts (Nomad's default is 3).
func (j *Job) restartPolicy(g *Group) api.RestartPolicy {
	if j.Type != TypeBatch && j.Type != TypeSysbatch {
		return api.RestartAlways
	}
	if g.Restart != nil && g.Restart.Attempts != nil && *g.Restart.Attempts == 0 {
		return api.RestartNever
	}
	return api.RestartOnFailure
}

// addContainer places the task by its lifecycle: prestart tasks are init
// containers, prestart sidecars init containers that keep running.
func addContainer(spec *api.PodSpec, t *Task, c api.Container) error {
	if t.Lifecycle == nil {
		spec.Containers = append(spec.Containers, c)
		return nil
	}
	if t.Lifecycle.Hook != "prestart" {
		return unsupportedf("lifecycle hook %q (only prestart, with or without sidecar)", t.Lifecycle.Hook)
	}
	if t.Lifecycle.Sidecar {
		c.RestartPolicy = ptr(api.RestartAlways)
	}
	spec.InitContainers = append(spec.InitContainers, c)
	return nil
}

// constraints writes the job's, group's and tasks' constraints, and the
// job's datacenters, into the constraints annotation.
func (j *Job) constraints(g *Group, ann map[string]string) error {
	type constraint struct {
		Attribute string `json:"attribute,omitempty"`
		Operator  string `json:"operator"`
		Value     string `json:"value,omitempty"`
	}
	var list []constraint
	if re := datacenterRegexp(j.Datacenters); re != "" {
		list = append(list, constraint{"${node.datacenter}", "regexp", re})
	}
	all := append(append([]Constraint(nil), j.Constraints...), g.Constraints...)
	for _, t := range g.Tasks {
		all = append(all, t.Constraints...)
	}
	for _, c := range all {
		switch {
		case c.DistinctHosts:
			list = append(list, constraint{Operator: "distinct_hosts"})
		case c.DistinctProperty != "":
			list = append(list, constraint{Attribute: c.DistinctProperty, Operator: "distinct_property", Value: c.Value})
		default:
			op := c.Operator
			if op == "" {
				op = "="
			}
			list = append(list, constraint{c.Attribute, op, c.Value})
		}
	}
	if len(list) == 0 {
		return nil
	}
	b, err := json.Marshal(list)
	ann[AnnotationConstraints] = string(b)
	return err
}

// datacenterRegexp matches the datacenters (with Nomad's * globs); "" when
// any datacenter will do.
func datacenterRegexp(dcs []string) string {
	var alts []string
	for _, dc := range dcs {
		if dc == "*" {
			return ""
		}
		alts = append(alts, strings.ReplaceAll(regexp.QuoteMeta(dc), `\*`, ".*"))
	}
	if len(alts) == 0 {
		return ""
	}
	return "^(" + strings.Join(alts, "|") + ")$"
}
