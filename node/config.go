// Package node is Barque's agent (the kubelet and the Nomad client of
// Barque): it joins the gossip pool, finds the servers there, registers its
// Node, heartbeats, and runs the pods bound to it with its task drivers,
// reporting their status. It talks to the control plane only through the
// API client.
package node

import (
	"time"

	"github.com/barque-io/barque/node/driver"
	"github.com/hashicorp/go-hclog"
)

// Default agent port: gossip (servers use 7082; agents on the same host pick
// another).
const DefaultGossipPort = 7083

// DefaultAPIPort is the agent's HTTP API (logs and exec, reached by the
// servers).
const DefaultAPIPort = 7084

// Config configures an agent.
type Config struct {
	Name          string // node name (default: hostname)
	DataDir       string // local state, pod directories and logs
	BindAddr      string
	AdvertiseAddr string
	GossipPort    int      // 0 = DefaultGossipPort; negative = any free port
	APIPort       int      // HTTP API; 0 = DefaultAPIPort; negative = any free port
	Join          []string // gossip address of any member (server or agent)
	Servers       []string // optional API URLs, used before gossip finds servers
	Datacenter    string
	NodeClass     string
	Labels        map[string]string
	Meta          map[string]string
	Taints        []string // "key=value:Effect"

	HeartbeatInterval time.Duration // 0 = 2 s
	// StopTasksOnExit stops every task when the agent stops (barque dev,
	// which deletes its data dir); by default tasks outlive the agent and a
	// restarted agent reattaches to them.
	StopTasksOnExit bool
	Drivers         []driver.Driver
	FastGossip      bool
	Logger          hclog.Logger
}

func (c *Config) heartbeat() time.Duration {
	if c.HeartbeatInterval > 0 {
		return c.HeartbeatInterval
	}
	return 2 * time.Second
}
