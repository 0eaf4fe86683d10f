package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/api/tmpl"
	"github.com/barque-io/barque/node/driver"
)

// Templates: a ConfigMap annotated barque.io/template (what job files'
// template blocks become) holds Go templates that the agent renders at
// every start of a task, with the task's environment, then projects in
// place of the raw data: mounted volumes get the rendered files, envFrom
// gets the rendered KEY=VALUE lines. A template that fails to render
// keeps the task from starting, with reason TemplateError.

// templateSet is one template ConfigMap as a task uses it.
type templateSet struct {
	cm    *api.ConfigMap
	opts  map[string]tmpl.Options
	items []api.KeyToPath // a volume's selection of keys; all when empty
}

// taskTemplates are the template ConfigMaps a task mounts (by volume
// name) or imports with envFrom.
type taskTemplates struct {
	files map[string]*templateSet
	env   []*templateSet
}

// mounted reports whether a volume of the task is a template volume,
// which renderTemplates mounts instead of the raw projection.
func (tt *taskTemplates) mounted(volume string) bool { return tt != nil && tt.files[volume] != nil }

// taskTemplates finds the task's template ConfigMaps.
func (a *Agent) taskTemplates(ctx context.Context, pod *api.Pod, c api.Container) (*taskTemplates, error) {
	tt := &taskTemplates{files: map[string]*templateSet{}}
	vols := map[string]api.Volume{}
	for _, v := range pod.Spec.Volumes {
		vols[v.Name] = v
	}
	for _, m := range c.VolumeMounts {
		v := vols[m.Name]
		if v.ConfigMap == nil || tt.files[m.Name] != nil {
			continue
		}
		optional := v.ConfigMap.Optional != nil && *v.ConfigMap.Optional
		set, err := a.templateSet(ctx, pod, v.ConfigMap.Name, optional)
		if err != nil {
			return nil, fmt.Errorf("volume %q: %w", m.Name, err)
		}
		if set != nil {
			set.items = v.ConfigMap.Items
			tt.files[m.Name] = set
		}
	}
	for _, src := range c.EnvFrom {
		if src.ConfigMapRef == nil {
			continue
		}
		set, err := a.templateSet(ctx, pod, src.ConfigMapRef.Name, optional(src.ConfigMapRef))
		if err != nil {
			return nil, fmt.Errorf("envFrom %q: %w", src.ConfigMapRef.Name, err)
		}
		if set != nil {
			tt.env = append(tt.env, set)
		}
	}
	return tt, nil
}

// templateSet reads a ConfigMap; nil when it holds no templates (or is
// an optional one that does not exist).
func (a *Agent) templateSet(ctx context.Context, pod *api.Pod, name string, optional bool) (*templateSet, error) {
	obj, err := a.client.Get(ctx, "ConfigMap", pod.Namespace, name, client.GetOptions{})
	if err != nil {
		if optional && errors.Is(err, api.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	cm := obj.(*api.ConfigMap)
	if !tmpl.IsTemplate(cm.Annotations) {
		return nil, nil
	}
	opts, err := tmpl.Parse(cm.Annotations)
	if err != nil {
		return nil, fmt.Errorf("%w: ConfigMap %s: %w", tmpl.ErrTemplate, name, err)
	}
	return &templateSet{cm: cm, opts: opts}, nil
}

func optional(ref *api.LocalObjectOptional) bool { return ref.Optional != nil && *ref.Optional }

// renderTemplates renders the task's templates with its environment (as
// interpolated): env templates first, their variables added to the task's
// environment (over its env block, as in Nomad), then files into
// <pod dir>/templates/<task>/<volume>/, which are mounted file by file
// (docker: so that a template in /local does not hide the task directory)
// and linked for exec tasks as any volume is.
func (a *Agent) renderTemplates(tt *taskTemplates, c api.Container, d podDirs, tc *driver.TaskConfig) error {
	renv := tmpl.Env{Vars: maps.Clone(tc.Env), TaskDir: tc.TaskDir}
	for _, set := range tt.env {
		for _, key := range sortedKeys(set.cm.Data) {
			o := set.opts[key]
			out, err := tmpl.Render(key, set.cm.Data[key], o, renv)
			if err != nil {
				return err
			}
			vars, err := tmpl.ParseEnv(o.Name(key), out)
			if err != nil {
				return err
			}
			maps.Copy(tc.Env, vars)
			maps.Copy(renv.Vars, vars)
		}
	}
	if len(tt.env) > 0 {
		a.interpolate(tc) // ${VAR} in command and args may name a template's variable
	}
	for _, m := range c.VolumeMounts {
		set := tt.files[m.Name]
		if set == nil {
			continue
		}
		dir := filepath.Join(d.root, "templates", c.Name, m.Name)
		files, err := renderFiles(set, dir, renv)
		if err != nil {
			return err
		}
		for _, rel := range files {
			if m.MountPath != "" {
				tc.Mounts = append(tc.Mounts, driver.Mount{Source: filepath.Join(dir, rel), Target: path.Join(m.MountPath, rel), ReadOnly: m.ReadOnly})
			}
		}
		exposeVolume(tc, m, dir)
	}
	return nil
}

// renderFiles renders a template volume into dir (emptied first) and
// returns the files' paths in it.
func renderFiles(set *templateSet, dir string, renv tmpl.Env) ([]string, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	items := set.items
	if len(items) == 0 {
		for _, k := range sortedKeys(set.cm.Data) {
			items = append(items, api.KeyToPath{Key: k, Path: k})
		}
	}
	var out []string
	for _, it := range items {
		text, ok := set.cm.Data[it.Key]
		if !ok {
			continue
		}
		o := set.opts[it.Key]
		mode, err := o.FileMode()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", tmpl.ErrTemplate, err)
		}
		b, err := tmpl.Render(it.Key, text, o, renv)
		if err != nil {
			return nil, err
		}
		rel := filepath.Clean("/" + it.Path)[1:]
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, b, mode); err != nil {
			return nil, err
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
