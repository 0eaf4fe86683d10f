package node

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/barque-io/barque/node/driver"
)

var interpolation = regexp.MustCompile(`\$\{([A-Za-z0-9_.\-]+)\}`)

// interpolate expands Nomad's runtime interpolations in a task's command,
// args and env values, so that job files written for Nomad run unchanged:
// ${NOMAD_PORT_http} and every other variable of the task's environment,
// ${node.unique.name}, ${node.datacenter}, ${node.class}, ${attr.<name>}
// and ${meta.<name>}. An unknown reference is left as it is.
func (a *Agent) interpolate(tc *driver.TaskConfig) {
	expand := a.expander(tc.Env)
	for i := range tc.Command {
		tc.Command[i] = expand(tc.Command[i])
	}
	for i := range tc.Args {
		tc.Args[i] = expand(tc.Args[i])
	}
	for k, v := range tc.Env {
		tc.Env[k] = expand(v)
	}
}

// expander expands the interpolations interpolate knows in one string.
func (a *Agent) expander(env map[string]string) func(string) string {
	lookup := func(name string) (string, bool) {
		if v, ok := env[name]; ok {
			return v, true
		}
		switch {
		case name == "node.unique.name":
			return a.cfg.Name, true
		case name == "node.datacenter":
			return a.cfg.Datacenter, true
		case name == "node.class":
			return a.cfg.NodeClass, true
		case name == "node.unique.id":
			return a.cfg.Name, true
		case strings.HasPrefix(name, "meta."):
			v, ok := a.cfg.Meta[strings.TrimPrefix(name, "meta.")]
			return v, ok
		case strings.HasPrefix(name, "attr."):
			v, ok := a.attributes[strings.TrimPrefix(name, "attr.")]
			return v, ok
		}
		return "", false
	}
	return func(s string) string {
		return interpolation.ReplaceAllStringFunc(s, func(m string) string {
			if v, ok := lookup(m[2 : len(m)-1]); ok {
				return v
			}
			return m
		})
	}
}

// taskRelative maps the task directories of Nomad's layout to their place
// on the node: a mountPath of /local, /secrets or /tmp is the task's own
// directory, /alloc the pod's shared one. Other absolute paths have no
// place on the host for an exec task.
func taskRelative(tc *driver.TaskConfig, mountPath string) (string, bool) {
	for _, dir := range []string{"/local", "/secrets", "/tmp"} {
		if mountPath == dir || strings.HasPrefix(mountPath, dir+"/") {
			return filepath.Join(tc.TaskDir, mountPath), true
		}
	}
	if mountPath == "/alloc" || strings.HasPrefix(mountPath, "/alloc/") {
		return filepath.Join(filepath.Dir(tc.AllocDir), mountPath), true
	}
	return "", false
}

// linkInto makes the files of a volume appear in dir: dir itself becomes a
// symlink when it does not exist yet, else each entry is linked inside it.
func linkInto(dir, source string) {
	if _, err := os.Lstat(dir); os.IsNotExist(err) {
		if os.MkdirAll(filepath.Dir(dir), 0o755) == nil {
			_ = os.Symlink(source, dir)
		}
		return
	}
	entries, err := os.ReadDir(source)
	if err != nil {
		return
	}
	for _, e := range entries {
		link := filepath.Join(dir, e.Name())
		_ = os.Remove(link)
		_ = os.Symlink(filepath.Join(source, e.Name()), link)
	}
}
