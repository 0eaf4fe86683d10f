package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/node/driver"
)

// podDirs is a pod's directory on the node, laid out as Nomad's alloc dir:
// alloc/ (shared by the tasks, with logs/), one dir per task with local/,
// secrets/ and tmp/, and volumes/ for emptyDir, configMap and secret volumes.
// Claims' directories are not the pod's: they outlive it (claims.go).
type podDirs struct{ root string }

func (a *Agent) podDirs(uid string) podDirs {
	return podDirs{root: filepath.Join(a.cfg.DataDir, "alloc", uid)}
}

func (d podDirs) alloc() string             { return filepath.Join(d.root, "alloc") }
func (d podDirs) logs() string              { return filepath.Join(d.root, "alloc", "logs") }
func (d podDirs) task(name string) string   { return filepath.Join(d.root, name) }
func (d podDirs) volume(name string) string { return filepath.Join(d.root, "volumes", name) }

func (d podDirs) create(pod *api.Pod) error {
	dirs := []string{d.alloc(), d.logs()}
	for _, c := range allContainers(pod) {
		t := d.task(c.Name)
		dirs = append(dirs, filepath.Join(t, "local"), filepath.Join(t, "secrets"), filepath.Join(t, "tmp"))
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// A task running as another user owns its own directories, as in
	// Nomad, so it can write to local/, secrets/ and tmp/.
	for _, c := range allContainers(pod) {
		if owner := artifactOwner(pod, c); owner != nil && os.Getuid() == 0 {
			t := d.task(c.Name)
			for _, dir := range []string{t, filepath.Join(t, "local"), filepath.Join(t, "secrets"), filepath.Join(t, "tmp")} {
				if err := os.Lchown(dir, owner[0], owner[1]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func allContainers(pod *api.Pod) []api.Container {
	return append(append([]api.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...)
}

// prepareVolumes materialises the pod's volumes: emptyDir as a directory,
// configMap and secret as one file per key, hostPath as it is (created
// first when its type is DirectoryOrCreate), a persistentVolumeClaim as its
// claim's directory (kept when the pod goes).
func (a *Agent) prepareVolumes(ctx context.Context, pod *api.Pod, d podDirs) (map[string]string, error) {
	paths := map[string]string{}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.HostPath != nil:
			paths[v.Name] = v.HostPath.Path
			if v.HostPath.Type == "DirectoryOrCreate" {
				if err := os.MkdirAll(v.HostPath.Path, 0o755); err != nil {
					return nil, fmt.Errorf("volume %q: %w", v.Name, err)
				}
			}
		case v.EmptyDir != nil:
			paths[v.Name] = d.volume(v.Name)
			if err := os.MkdirAll(paths[v.Name], 0o777); err != nil {
				return nil, err
			}
		case v.PersistentVolumeClaim != nil:
			p, err := a.claimVolume(ctx, pod, v.PersistentVolumeClaim)
			if err != nil {
				return nil, fmt.Errorf("volume %q: %w", v.Name, err)
			}
			paths[v.Name] = p
		case v.ConfigMap != nil || v.Secret != nil:
			p, err := a.projectVolume(ctx, pod, v, d.volume(v.Name))
			if err != nil {
				return nil, fmt.Errorf("volume %q: %w", v.Name, err)
			}
			paths[v.Name] = p
		}
	}
	return paths, nil
}

// projected is what a configMap or secret volume writes: the source's
// data and the volume's choice of keys, modes and optionality.
type projected struct {
	kind, name  string
	data        map[string][]byte
	items       []api.KeyToPath
	defaultMode *int32
	optional    bool
}

func (a *Agent) projectVolume(ctx context.Context, pod *api.Pod, v api.Volume, dir string) (string, error) {
	src, err := a.projectedSource(ctx, pod, v)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	items := src.items
	if len(items) == 0 {
		for k := range src.data {
			items = append(items, api.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		b, ok := src.data[it.Key]
		if !ok {
			if src.optional {
				continue // as Kubernetes: an optional source may lack keys
			}
			return "", fmt.Errorf("%s %q has no key %q", src.kind, src.name, it.Key)
		}
		// An item's path may name subdirectories ("conf/app.txt").
		p := filepath.Join(dir, filepath.Clean("/"+it.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := writeProjectedFile(p, b, fileMode(it.Mode, src.defaultMode)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// projectedSource reads the volume's ConfigMap or Secret. A missing one
// is an error unless the volume is optional, which then projects nothing.
func (a *Agent) projectedSource(ctx context.Context, pod *api.Pod, v api.Volume) (projected, error) {
	src := projected{data: map[string][]byte{}}
	var kind string
	var opt *bool
	if cm := v.ConfigMap; cm != nil {
		kind, src.kind, src.name, src.items, src.defaultMode, opt = "ConfigMap", "configmap", cm.Name, cm.Items, cm.DefaultMode, cm.Optional
	} else {
		s := v.Secret
		kind, src.kind, src.name, src.items, src.defaultMode, opt = "Secret", "secret", s.SecretName, s.Items, s.DefaultMode, s.Optional
	}
	src.optional = opt != nil && *opt
	obj, err := a.client.Get(ctx, kind, pod.Namespace, src.name, client.GetOptions{})
	switch {
	case errors.Is(err, api.ErrNotFound) && src.optional:
		return src, nil
	case err != nil:
		return src, err
	}
	switch o := obj.(type) {
	case *api.ConfigMap:
		for k, s := range o.Data {
			src.data[k] = []byte(s)
		}
		for k, b := range o.BinaryData {
			src.data[k] = b
		}
	case *api.Secret:
		src.data = o.Data
	}
	return src, nil
}

// fileMode is an item's mode, else the volume's default, else 0644, as in
// Kubernetes.
func fileMode(item, def *int32) os.FileMode {
	switch {
	case item != nil:
		return os.FileMode(*item) & 0o777
	case def != nil:
		return os.FileMode(*def) & 0o777
	}
	return 0o644
}

// writeProjectedFile writes b with exactly mode (the umask would narrow
// os.WriteFile's).
func writeProjectedFile(p string, b []byte, mode os.FileMode) error {
	if err := os.WriteFile(p, b, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

// taskConfig builds what the driver needs for container c.
func (a *Agent) taskConfig(ctx context.Context, pod *api.Pod, c api.Container, d podDirs, vols map[string]string) (*driver.TaskConfig, error) {
	env, err := a.taskEnv(ctx, pod, c, d)
	if err != nil {
		return nil, err
	}
	tt, err := a.taskTemplates(ctx, pod, c)
	if err != nil {
		return nil, err
	}
	tc := &driver.TaskConfig{PodUID: pod.UID, PodName: pod.Name, Namespace: pod.Namespace, TaskName: c.Name,
		Image: c.Image, Command: append([]string(nil), c.Command...), Args: append([]string(nil), c.Args...), Env: env, WorkDir: c.WorkingDir,
		AllocDir: d.alloc(), TaskDir: d.task(c.Name), SecretsDir: filepath.Join(d.task(c.Name), "secrets"),
		TmpDir: filepath.Join(d.task(c.Name), "tmp"), LogDir: d.logs(), HostNetwork: true,
		User: taskUser(pod, c), KillSignal: c.StopSignalOf()}
	if tc.WorkDir == "" && c.Image == "" {
		tc.WorkDir = d.task(c.Name)
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		tc.KillTimeout = durationSeconds(*pod.Spec.TerminationGracePeriodSeconds)
	}
	for _, m := range c.VolumeMounts {
		if tt.mounted(m.Name) {
			continue // rendered below
		}
		tc.Mounts = append(tc.Mounts, driver.Mount{Source: vols[m.Name], Target: m.MountPath,
			ReadOnly: m.ReadOnly || claimReadOnly(pod, m.Name)})
		exposeVolume(tc, m, vols[m.Name])
	}
	for _, p := range c.Ports {
		host := int(p.HostPort)
		if host == 0 {
			host = int(p.ContainerPort)
		}
		tc.Ports = append(tc.Ports, driver.Port{Name: p.Name, Host: host, Container: int(p.ContainerPort), Protocol: string(p.Protocol)})
	}
	if q, ok := c.Resources.Limits["memory"]; ok {
		if v, err := api.ParseQuantity(q); err == nil {
			tc.Resources.MemoryBytes = v.Value()
		}
	}
	if q, ok := c.Resources.Limits["cpu"]; ok {
		if v, err := api.ParseQuantity(q); err == nil {
			tc.Resources.CPUMillis = v.MilliValue()
		}
	}
	a.interpolate(tc)
	shipped := func(name string) (*api.ConfigMap, error) {
		o, err := a.client.Get(ctx, "ConfigMap", pod.Namespace, name, client.GetOptions{})
		if err != nil {
			return nil, err
		}
		return o.(*api.ConfigMap), nil
	}
	if err := a.fetchArtifacts(pod, c, d, a.expander(tc.Env), shipped); err != nil {
		return nil, err
	}
	if err := writePayload(pod, c, d); err != nil {
		return nil, err
	}
	if err := a.renderTemplates(tt, c, d, tc); err != nil {
		return nil, err
	}
	return tc, nil
}

// taskEnv is the container's env plus the runtime variables, under Barque's
// names and Nomad's, so that Nomad job files run unchanged.
func (a *Agent) taskEnv(ctx context.Context, pod *api.Pod, c api.Container, d podDirs) (map[string]string, error) {
	ip := a.cfg.AdvertiseAddr
	if ip == "" {
		ip = a.cfg.BindAddr
	}
	rt := map[string]string{
		"ALLOC_ID": pod.UID, "ALLOC_NAME": pod.Name, "ALLOC_INDEX": api.AllocIndex(pod), "ALLOC_DIR": d.alloc(),
		"TASK_DIR": filepath.Join(d.task(c.Name), "local"), "SECRETS_DIR": filepath.Join(d.task(c.Name), "secrets"),
		"TASK_NAME": c.Name, "NAMESPACE": pod.Namespace, "DC": a.cfg.Datacenter, "REGION": "global",
		"JOB_NAME": ownerName(pod), "GROUP_NAME": ownerName(pod), "NODE_NAME": a.cfg.Name,
	}
	for _, p := range c.Ports {
		if p.Name == "" {
			continue
		}
		host := p.HostPort
		if host == 0 {
			host = p.ContainerPort
		}
		hp := strconv.Itoa(int(host))
		rt["PORT_"+p.Name], rt["HOST_PORT_"+p.Name], rt["IP_"+p.Name], rt["ADDR_"+p.Name] = hp, hp, ip, ip+":"+hp
	}
	env := a.serviceEnv(ctx, pod)
	if env == nil {
		env = map[string]string{}
	}
	env["HOSTNAME"] = pod.Name
	for k, v := range rt {
		env["BARQUE_"+k], env["NOMAD_"+k] = v, v
	}
	if err := a.envFrom(ctx, pod, c, env); err != nil {
		return nil, err
	}
	for _, e := range c.Env {
		v, err := a.envValue(ctx, pod, e)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		env[e.Name] = v
	}
	return env, nil
}

func ownerName(pod *api.Pod) string {
	for _, o := range pod.OwnerReferences {
		return o.Name
	}
	return pod.Name
}

func (a *Agent) envValue(ctx context.Context, pod *api.Pod, e api.EnvVar) (string, error) {
	src := e.ValueFrom
	switch {
	case src == nil:
		return e.Value, nil
	case src.FieldRef != nil:
		return fieldValue(pod, a.cfg.Name, src.FieldRef.FieldPath), nil
	case src.ConfigMapKeyRef != nil:
		obj, err := a.client.Get(ctx, "ConfigMap", pod.Namespace, src.ConfigMapKeyRef.Name, client.GetOptions{})
		if err != nil {
			return "", err
		}
		return obj.(*api.ConfigMap).Data[src.ConfigMapKeyRef.Key], nil
	case src.SecretKeyRef != nil:
		obj, err := a.client.Get(ctx, "Secret", pod.Namespace, src.SecretKeyRef.Name, client.GetOptions{})
		if err != nil {
			return "", err
		}
		return string(obj.(*api.Secret).Data[src.SecretKeyRef.Key]), nil
	}
	return "", nil
}

func fieldValue(pod *api.Pod, node, path string) string {
	switch path {
	case "metadata.name":
		return pod.Name
	case "metadata.namespace":
		return pod.Namespace
	case "metadata.uid":
		return pod.UID
	case "spec.nodeName":
		return node
	case "status.hostIP", "status.podIP":
		return pod.Status.HostIP
	}
	if strings.HasPrefix(path, "metadata.labels['") {
		return pod.Labels[strings.TrimSuffix(strings.TrimPrefix(path, "metadata.labels['"), "']")]
	}
	return ""
}

// exposeVolume makes a mounted volume reachable by tasks that have no mount
// namespace (the exec driver runs tasks on the host): its path is in
// BARQUE_VOLUME_<NAME>, and a relative mountPath ("data", "local/cache")
// becomes a symlink under the task's directory, where the task starts.
func exposeVolume(tc *driver.TaskConfig, m api.VolumeMount, source string) {
	if source == "" {
		return
	}
	tc.Env["BARQUE_VOLUME_"+strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(m.Name))] = source
	if m.MountPath == "" {
		return
	}
	if dir, ok := taskRelative(tc, m.MountPath); ok {
		linkInto(dir, source) // Nomad's /local, /secrets, /alloc
		return
	}
	if filepath.IsAbs(m.MountPath) {
		return
	}
	link := filepath.Join(tc.TaskDir, filepath.Clean("/"+m.MountPath))
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err == nil {
		_ = os.Remove(link)
		_ = os.Symlink(source, link)
	}
}
