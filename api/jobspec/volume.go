package jobspec

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/barque-io/barque/api"
)

// volumeTypeHost is the only group volume type Barque runs.
const volumeTypeHost = "host"

// hostVolumes turns the group's volume blocks into hostPath volumes of the
// pod. Nomad names a host volume that each client's configuration maps to
// a directory; Barque's agents have no such table, so source is the
// directory itself (absolute, created when missing).
func hostVolumes(g *Group) ([]api.Volume, error) {
	var out []api.Volume
	for _, v := range g.Volumes {
		switch {
		case v.Type == "csi":
			return nil, unsupportedf("volume %q: CSI volumes", v.Name)
		case v.Type != volumeTypeHost:
			return nil, fmt.Errorf("volume %q: type %q is not one of host, csi", v.Name, v.Type)
		case v.PerAlloc:
			return nil, unsupportedf("volume %q: per_alloc", v.Name)
		case v.Source == "":
			return nil, fmt.Errorf("volume %q needs a source: the node directory to mount", v.Name)
		case !filepath.IsAbs(v.Source):
			return nil, fmt.Errorf("volume %q: source %q must be an absolute path: Barque agents have no host_volume table, so a host volume's source is the node directory itself", v.Name, v.Source)
		}
		out = append(out, api.Volume{Name: volumeName(v.Name), VolumeSource: api.VolumeSource{
			HostPath: &api.HostPathVolumeSource{Path: filepath.Clean(v.Source), Type: "DirectoryOrCreate"}}})
	}
	return out, nil
}

// volumeName makes a Nomad volume name a valid pod volume name.
func volumeName(name string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
}

// mountVolumes adds the task's volume_mount blocks to its container. The
// exec driver runs a task in its task directory, which is the root of a
// Nomad exec task's chroot, so a destination ("/data") is mounted relative
// to it ("data"); a docker task sees it at the absolute path.
func mountVolumes(g *Group, t *Task, c *api.Container) error {
	for _, m := range t.Mounts {
		v := findVolume(g, m.Volume)
		if v == nil {
			return fmt.Errorf("volume_mount names volume %q, which the group does not declare", m.Volume)
		}
		dest := path.Clean("/" + m.Destination)
		if dest == "/" {
			return fmt.Errorf("volume_mount of %q needs a destination other than /", m.Volume)
		}
		if c.Driver != "docker" {
			dest = strings.TrimPrefix(dest, "/")
		}
		c.VolumeMounts = append(c.VolumeMounts, api.VolumeMount{Name: volumeName(v.Name), MountPath: dest,
			ReadOnly: m.ReadOnly || v.ReadOnly})
	}
	return nil
}

func findVolume(g *Group, name string) *Volume {
	for _, v := range g.Volumes {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// statefulSet runs a service group that has volumes: its pods keep their
// names (<name>-0, <name>-1…) and are replaced one at a time, never beside
// the pod they replace, which matters when both would write one directory.
func (j *Job) statefulSet(g *Group, name string, sel *api.LabelSelector, tmpl api.PodTemplateSpec) *api.StatefulSet {
	ss := &api.StatefulSet{TypeMeta: typeMeta("apps/v1", "StatefulSet"), ObjectMeta: j.meta(g, name),
		Spec: api.StatefulSetSpec{Replicas: ptr(count(g)), Selector: sel, Template: tmpl}}
	if u := j.updateFor(g); u != nil {
		ss.Spec.MinReadySeconds = int32(seconds(u.MinHealthyTime))
	}
	return ss
}
