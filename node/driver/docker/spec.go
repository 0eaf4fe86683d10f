package docker

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

// shortUIDLen keeps names readable while pods with equal names (in other
// namespaces, or a replacement pod) still get distinct containers.
const shortUIDLen = 8

// containerName is barque-<pod>-<task>-<short pod uid>.
func containerName(cfg *driver.TaskConfig) string {
	uid := strings.ReplaceAll(cfg.PodUID, "-", "")
	if len(uid) > shortUIDLen {
		uid = uid[:shortUIDLen]
	}
	return fmt.Sprintf("barque-%s-%s-%s", cfg.PodName, cfg.TaskName, uid)
}

// createOptions maps a task to the container that runs it.
func (d *Driver) createOptions(cfg *driver.TaskConfig) (client.ContainerCreateOptions, error) {
	cc := &container.Config{
		Image:      cfg.Image,
		Env:        envList(cfg.Env),
		WorkingDir: cfg.WorkDir,
		User:       cfg.User,
		Labels: map[string]string{
			LabelPodUID:    cfg.PodUID,
			LabelPod:       cfg.PodName,
			LabelNamespace: cfg.Namespace,
			LabelTask:      cfg.TaskName,
		},
		StopSignal: killSignal(cfg.KillSignal),
	}
	timeout := int(killTimeout(cfg.KillTimeout).Seconds())
	cc.StopTimeout = &timeout
	// As in Kubernetes: command replaces the image's entrypoint, args its cmd.
	if len(cfg.Command) > 0 {
		cc.Entrypoint = append([]string(nil), cfg.Command...)
		cc.Cmd = append([]string{}, cfg.Args...)
	} else if len(cfg.Args) > 0 {
		cc.Cmd = append([]string(nil), cfg.Args...)
	}
	hc := &container.HostConfig{
		Binds: binds(cfg),
		Resources: container.Resources{
			Memory: cfg.Resources.MemoryBytes,
			// Without swap the limit is a hard one and exceeding it is an
			// OOM kill, which is what a task's memory limit promises.
			MemorySwap: cfg.Resources.MemoryBytes,
			NanoCPUs:   cfg.Resources.CPUMillis * 1_000_000,
		},
	}
	if cfg.HostNetwork {
		hc.NetworkMode = "host"
	} else if err := d.publish(cfg.Ports, cc, hc); err != nil {
		return client.ContainerCreateOptions{}, err
	}
	return client.ContainerCreateOptions{Name: containerName(cfg), Config: cc, HostConfig: hc}, nil
}

// publish maps each allocated host port to the task's container port on
// the driver's bind address.
func (d *Driver) publish(ports []driver.Port, cc *container.Config, hc *container.HostConfig) error {
	if len(ports) == 0 {
		return nil
	}
	ip, err := netip.ParseAddr(d.bindIP)
	if err != nil {
		return fmt.Errorf("docker: bind address %q: %w", d.bindIP, err)
	}
	cc.ExposedPorts = network.PortSet{}
	hc.PortBindings = network.PortMap{}
	for _, p := range ports {
		inside := p.Container
		if inside == 0 {
			inside = p.Host
		}
		proto := strings.ToLower(p.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		port, err := network.ParsePort(strconv.Itoa(inside) + "/" + proto)
		if err != nil {
			return fmt.Errorf("docker: port %q: %w", p.Name, err)
		}
		cc.ExposedPorts[port] = struct{}{}
		hc.PortBindings[port] = append(hc.PortBindings[port],
			network.PortBinding{HostIP: ip, HostPort: strconv.Itoa(p.Host)})
	}
	return nil
}

// binds mounts the pod's volumes, plus Nomad's task directories where the
// agent prepared them: /alloc shared by the pod's tasks, /local and
// /secrets the task's own.
func binds(cfg *driver.TaskConfig) []string {
	var out []string
	for _, m := range []struct{ src, dst string }{
		{cfg.AllocDir, "/alloc"}, {cfg.TaskDir, "/local"}, {cfg.SecretsDir, "/secrets"},
	} {
		if m.src != "" {
			out = append(out, m.src+":"+m.dst)
		}
	}
	for _, m := range cfg.Mounts {
		b := m.Source + ":" + m.Target
		if m.ReadOnly {
			b += ":ro"
		}
		out = append(out, b)
	}
	return out
}

// envList renders the environment in a stable order.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func killSignal(s string) string {
	if s == "" {
		return "SIGTERM"
	}
	return s
}

func killTimeout(t time.Duration) time.Duration {
	if t <= 0 {
		return defaultKillTimeout
	}
	return t
}
