package jobspec

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/tmpl"
)

// templates turns a task's template blocks into ConfigMaps that the agent
// renders when the task starts (annotated tmpl.Annotation, with each key's
// options in tmpl.OptionsAnnotation): one per destination directory,
// mounted there (relative destinations are made absolute: "local/app.conf"
// is /local/app.conf), and one per env template, read with envFrom. Each
// template is parsed here, so that syntax errors and functions Barque
// cannot serve (Consul, Vault, Nomad services) fail before submission.
func (j *Job) templates(g *Group, t *Task, c *api.Container, spec *api.PodSpec) ([]api.Object, error) {
	byDir := map[string]*api.ConfigMap{}
	opts := map[*api.ConfigMap]map[string]tmpl.Options{}
	var out []api.Object
	for _, tp := range t.Templates {
		if tp.Source != "" {
			return nil, unsupportedf("template source %q (a file on the client); use data = file(%q)", tp.Source, tp.Source)
		}
		name := fmt.Sprintf("%s-%s-%d", j.objectName(g), t.Name, len(out))
		dest := path.Clean("/" + tp.Destination)
		dir, file := path.Split(dest)
		o := tmpl.Options{Destination: tp.Destination, LeftDelimiter: tp.LeftDelimiter, RightDelimiter: tp.RightDelimiter,
			Perms: tp.Perms, ChangeMode: tp.ChangeMode, ChangeSignal: tp.ChangeSignal, Env: tp.Env}
		if err := checkTemplate(file, tp.Data, o); err != nil {
			return nil, err
		}
		if tp.Env {
			cm := j.configMap(g, name)
			cm.Data[file] = tp.Data
			opts[cm] = map[string]tmpl.Options{file: o}
			c.EnvFrom = append(c.EnvFrom, api.EnvFromSource{ConfigMapRef: &api.LocalObjectOptional{Name: name}})
			out = append(out, cm)
			continue
		}
		cm := byDir[dir]
		if cm == nil {
			cm = j.configMap(g, name)
			byDir[dir], opts[cm] = cm, map[string]tmpl.Options{}
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
		opts[cm][file] = o
	}
	for cm, o := range opts {
		cm.Annotations = map[string]string{tmpl.Annotation: "true", tmpl.OptionsAnnotation: tmpl.Encode(o)}
	}
	return out, nil
}

func (j *Job) configMap(g *Group, name string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: j.meta(g, name), Data: map[string]string{}}
}

// checkTemplate parses a template as the agent will; an env template
// without actions must already be KEY=VALUE lines.
func checkTemplate(file, data string, o tmpl.Options) error {
	if err := tmpl.Check(file, data, o); err != nil {
		if errors.Is(err, tmpl.ErrUnsupported) {
			return unsupportedTemplate{err}
		}
		return err
	}
	left := o.LeftDelimiter
	if left == "" {
		left = "{{"
	}
	if o.Env && !strings.Contains(data, left) {
		if _, err := tmpl.ParseEnv(o.Name(file), []byte(data)); err != nil {
			return err
		}
	}
	return nil
}

// unsupportedTemplate is a template calling a function that needs Consul,
// Vault or Nomad's catalogs: an ErrUnsupported of the job file too.
type unsupportedTemplate struct{ error }

func (e unsupportedTemplate) Is(target error) bool { return target == ErrUnsupported }
func (e unsupportedTemplate) Unwrap() error        { return e.error }

// templateWarnings names the template settings that do nothing: without
// Consul a template never changes while its task runs, so a change_mode
// that signals or runs a script never fires, and there is nothing to splay.
func templateWarnings(job *Job) []string {
	var out []string
	for _, g := range job.Groups {
		for _, t := range g.Tasks {
			for _, tp := range t.Templates {
				where := fmt.Sprintf("group %s task %s template %s", g.Name, t.Name, tp.Destination)
				if tp.ChangeMode == "signal" || tp.ChangeMode == "script" {
					out = append(out, fmt.Sprintf("%s: change_mode %q has no effect in Barque (templates are rendered at every start of the task and do not change while it runs)", where, tp.ChangeMode))
				}
				if tp.Splay != "" {
					out = append(out, where+`: "splay" has no effect in Barque (templates do not change while the task runs)`)
				}
			}
		}
	}
	return out
}
