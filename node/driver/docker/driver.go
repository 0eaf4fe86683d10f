// Package docker is the task driver that runs a task as a container of the
// node's local Docker engine, through the Engine API client. It owns the
// mapping from a TaskConfig to a container (name, labels, command, env,
// ports, mounts, limits), the streaming of the container's output into the
// task's rotated log files, and reattaching to containers that outlived a
// restart of the agent.
//
// Images are never pulled: Barque nodes may have no registry at all, so an
// image must already be present in the engine (for tests, `make
// test-images` builds barque-testapp:latest FROM scratch).
package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/moby/moby/client"

	"github.com/barque-io/barque/node/driver"
)

// Name is the driver's name as tasks name it.
const Name = "docker"

// Labels put on every container, so that an operator (or a later cleanup)
// can tell which pod and task a container belongs to.
const (
	LabelPodUID    = "barque.io/pod-uid"
	LabelPod       = "barque.io/pod"
	LabelNamespace = "barque.io/namespace"
	LabelTask      = "barque.io/task"
)

const (
	defaultKillTimeout = 30 * time.Second
	fingerprintTimeout = 3 * time.Second
	// How long Wait lets the log stream drain after the container exited,
	// so that a task's last lines are in its files when its exit is known.
	logDrainTimeout = 5 * time.Second
	// A terminal resize is best effort: a slow engine must not stall the
	// ones that follow.
	execResizeTimeout = 5 * time.Second
)

// Config configures the driver.
type Config struct {
	Logger hclog.Logger
	// Host is the engine's address (unix:///var/run/docker.sock, tcp://…);
	// empty means $DOCKER_HOST, else the platform default.
	Host string
	// BindAddress is the node address that published ports (tasks without
	// host networking) listen on. Empty means 127.0.0.1, reachable only
	// from the node itself; the agent passes the node's advertised address
	// so that other nodes' proxies can reach the task, and "0.0.0.0" binds
	// every interface.
	BindAddress string
}

// Driver runs tasks as Docker containers.
type Driver struct {
	logger hclog.Logger
	client *client.Client
	bindIP string

	mu sync.Mutex
	// pumps holds the log streams this process runs, by container ID.
	pumps map[string]*logPump
	// sigkilled: containers this driver sent SIGKILL (their exit 137 is
	// not the OOM killer's), until their exit is reported.
	sigkilled map[string]bool
}

var _ driver.Driver = (*Driver)(nil)

// New creates the driver. It does not contact the engine: Fingerprint
// says whether one answers.
func New(cfg Config) (*Driver, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	opts := []client.Opt{client.FromEnv}
	if cfg.Host != "" {
		opts = append(opts, client.WithHost(cfg.Host))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	bind := cfg.BindAddress
	if bind == "" {
		bind = "127.0.0.1"
	}
	return &Driver{
		logger:    logger.Named("docker"),
		client:    cli,
		bindIP:    bind,
		pumps:     make(map[string]*logPump),
		sigkilled: map[string]bool{},
	}, nil
}

// Name implements driver.Driver.
func (d *Driver) Name() string { return Name }

// Close stops the log streams (containers keep running, as they do when
// the agent exits) and closes the client.
func (d *Driver) Close() error {
	d.mu.Lock()
	pumps := d.pumps
	d.pumps = make(map[string]*logPump)
	d.mu.Unlock()
	for _, p := range pumps {
		p.stop()
	}
	return d.client.Close()
}

// Fingerprint pings the engine; without an answer the node does not
// advertise the driver.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	ctx, cancel := context.WithTimeout(ctx, fingerprintTimeout)
	defer cancel()
	if _, err := d.client.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return driver.Fingerprint{Reason: fmt.Sprintf("docker engine unavailable: %v", err)}
	}
	v, err := d.client.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return driver.Fingerprint{Reason: fmt.Sprintf("docker engine version: %v", err)}
	}
	return driver.Fingerprint{
		Available: true,
		Attributes: map[string]string{
			"driver.docker.version":     v.Version,
			"driver.docker.api_version": v.APIVersion,
			"driver.docker.os":          v.Os,
		},
	}
}

// containerID returns the handle's container, or an error for a handle
// that is not ours.
func containerID(h *driver.TaskHandle) (string, error) {
	if h == nil || h.Container == "" {
		return "", errors.New("docker: handle has no container")
	}
	return h.Container, nil
}
