package jobspec

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/barque-io/barque/api"
)

// templates turns a task's template blocks into ConfigMaps: one per
// destination directory, mounted there (relative destinations are made
// absolute: "local/app.conf" is /local/app.conf), and one per env
// template, read with envFrom.
func (j *Job) templates(g *Group, t *Task, c *api.Container, spec *api.PodSpec) ([]api.Object, error) {
	byDir := map[string]*api.ConfigMap{}
	var out []api.Object
	for i, tp := range t.Templates {
		if tp.Source != "" {
			return nil, unsupportedf("template source %q (a file on the client); use data = file(%q)", tp.Source, tp.Source)
		}
		name := fmt.Sprintf("%s-%s-%d", j.objectName(g), t.Name, len(out))
		if tp.Env {
			cm, err := j.envTemplate(g, name, tp)
			if err != nil {
				return nil, fmt.Errorf("template %d: %w", i, err)
			}
			c.EnvFrom = append(c.EnvFrom, api.EnvFromSource{ConfigMapRef: &api.LocalObjectOptional{Name: name}})
			out = append(out, cm)
			continue
		}
		dest := path.Clean("/" + tp.Destination)
		dir, file := path.Split(dest)
		cm := byDir[dir]
		if cm == nil {
			cm = j.configMap(g, name)
			byDir[dir] = cm
			out = append(out, cm)
			vol := "template-" + strings.TrimPrefix(name, j.objectName(g)+"-")
			spec.Volumes = append(spec.Volumes, api.Volume{Name: vol,
				VolumeSource: api.VolumeSource{ConfigMap: &api.ConfigMapVolumeSource{LocalObjectReference: api.LocalObjectReference{Name: name}}}})
			c.VolumeMounts = append(c.VolumeMounts, api.VolumeMount{Name: vol, MountPath: path.Clean(dir), ReadOnly: true})
		}
		if _, dup := cm.Data[file]; dup {
			return nil, fmt.Errorf("two templates write %s", dest)
		}
		cm.Data[file] = tp.Data
	}
	return out, nil
}

func (j *Job) configMap(g *Group, name string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: j.meta(g, name), Data: map[string]string{}}
}

// envTemplate reads KEY=VALUE lines. Their values are taken as written:
// templates that need rendering ({{ … }}) cannot become environment
// variables before the task starts, so they are rejected for now.
func (j *Job) envTemplate(g *Group, name string, tp *Template) (*api.ConfigMap, error) {
	if strings.Contains(tp.Data, "{{") {
		return nil, unsupportedf("env templates with template actions ({{ ... }})")
	}
	cm := j.configMap(g, name)
	for n, line := range strings.Split(tp.Data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("env template line %d is not KEY=VALUE", n+1)
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		cm.Data[strings.TrimSpace(k)] = v
	}
	return cm, nil
}
