// Package gossip is Barque's membership layer over hashicorp/memberlist:
// servers and node agents join one pool, and each member's metadata says
// what it is (server or node) and where its Raft and API listeners are, so
// that servers find each other to bootstrap and agents find the servers.
package gossip

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"
)

// Roles a member can have.
const (
	RoleServer = "server"
	RoleNode   = "node"
)

// Meta is what a member tells the pool about itself. It must stay under
// memberlist's 512-byte limit once encoded.
type Meta struct {
	Role       string `json:"role"`
	ID         string `json:"id"`
	Raft       string `json:"raft,omitempty"` // Raft address (servers)
	API        string `json:"api,omitempty"`  // API URL
	DC         string `json:"dc,omitempty"`
	Expect     int    `json:"expect,omitempty"` // bootstrap-expect (servers)
	Bootstrapd bool   `json:"boot,omitempty"`   // already part of a cluster
	// Start is drawn when the member's process starts: a restarted member
	// keeps its name and ID but not this (a restart may be too quick for
	// the pool to see it gone).
	Start string `json:"start,omitempty"`
	// Cluster identifies the Raft cluster a server's store belongs to
	// (empty until it holds one): a leader does not add a server of
	// another cluster, whose log would clash with its own.
	Cluster string `json:"cluster,omitempty"`
}

// Member is one alive member of the pool.
type Member struct {
	Name string
	Addr string // gossip address host:port
	Meta Meta
}

// Config configures this member.
type Config struct {
	Name          string
	BindAddr      string
	BindPort      int // 0 = any free port
	AdvertiseAddr string
	AdvertisePort int
	Meta          Meta
	Logger        hclog.Logger
	// Fast shortens failure detection, for tests and for loopback clusters.
	Fast bool
}

// Pool is this process's membership in the gossip pool.
type Pool struct {
	ml     *memberlist.Memberlist
	logger hclog.Logger
	addr   string

	mu      sync.Mutex
	meta    []byte
	changed chan struct{}
	alive   map[string]Member // alive members by name, from memberlist's events
	members []Member          // sorted copy of alive; nil after a change
	gone    map[string]bool   // members seen failing or leaving, by name
}

// Gone reports whether a member by this name was seen and then failed or
// left (and has not come back). A member never seen is not gone.
func (p *Pool) Gone(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gone[name]
}

// Start joins nothing yet: it opens the listeners and begins gossiping.
func Start(cfg Config) (*Pool, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	p := &Pool{logger: cfg.Logger.Named("gossip"), changed: make(chan struct{})}
	if err := p.SetMeta(cfg.Meta); err != nil {
		return nil, err
	}
	mc := memberlist.DefaultLANConfig()
	// Faster failure detection than memberlist's LAN defaults (1 s probes,
	// suspicion x4): a dead agent must be noticed well within the 10 s in
	// which its pods are to be replaced elsewhere.
	mc.ProbeInterval = 500 * time.Millisecond
	mc.SuspicionMult = 3
	if cfg.Fast {
		mc = memberlist.DefaultLocalConfig()
		mc.ProbeInterval = 400 * time.Millisecond
		mc.ProbeTimeout = 200 * time.Millisecond
		mc.SuspicionMult = 3
		mc.GossipInterval = 100 * time.Millisecond
	}
	mc.Name = cfg.Name
	mc.BindAddr, mc.BindPort = cfg.BindAddr, cfg.BindPort
	mc.AdvertiseAddr, mc.AdvertisePort = cfg.AdvertiseAddr, cfg.AdvertisePort
	if mc.AdvertisePort == 0 {
		mc.AdvertisePort = cfg.BindPort
	}
	mc.Delegate = &delegate{p: p}
	mc.Events = &events{p: p}
	mc.Logger = p.logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("gossip: start on %s:%d: %w", cfg.BindAddr, cfg.BindPort, err)
	}
	p.ml = ml
	n := ml.LocalNode()
	p.addr = net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
	return p, nil
}

// Join contacts existing members ("host:port"; the port defaults to
// defaultPort). It succeeds if at least one answered.
func (p *Pool) Join(addrs []string, defaultPort int) (int, error) {
	var full []string
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(a, strconv.Itoa(defaultPort))
		}
		full = append(full, a)
	}
	return p.ml.Join(full)
}

// Addr is this member's gossip address (read once at start: memberlist's
// local node is updated under its own lock).
func (p *Pool) Addr() string { return p.addr }

// SetMeta changes what this member advertises and spreads it.
func (p *Pool) SetMeta(m Meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(b) > memberlist.MetaMaxSize {
		return fmt.Errorf("gossip: metadata is %d bytes, over %d", len(b), memberlist.MetaMaxSize)
	}
	p.mu.Lock()
	p.meta = b
	p.mu.Unlock()
	if p.ml != nil {
		return p.ml.UpdateNode(time.Second)
	}
	return nil
}

// Members returns the alive members, sorted by name. The list is kept from
// memberlist's join/update/leave events, which memberlist delivers while it
// holds its own lock; reading its nodes at any other time would race with
// its updates of them.
func (p *Pool) Members() []Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.members == nil {
		out := make([]Member, 0, len(p.alive))
		for _, m := range p.alive {
			out = append(out, m)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		p.members = out
	}
	return p.members
}

// track records a member from an event (called under memberlist's lock).
func (p *Pool) track(n *memberlist.Node, alive bool) {
	var meta Meta
	ok := alive && json.Unmarshal(n.Meta, &meta) == nil
	m := Member{Name: n.Name, Addr: net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))), Meta: meta}
	p.mu.Lock()
	if p.alive == nil {
		p.alive = map[string]Member{}
	}
	if ok {
		p.alive[n.Name] = m
	} else {
		delete(p.alive, n.Name)
	}
	if p.gone == nil {
		p.gone = map[string]bool{}
	}
	p.gone[n.Name] = !alive
	p.members = nil
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// Servers returns the alive members with the server role.
func (p *Pool) Servers() []Member {
	var out []Member
	for _, m := range p.Members() {
		if m.Meta.Role == RoleServer {
			out = append(out, m)
		}
	}
	return out
}

// Changed returns a channel closed at the next membership change.
func (p *Pool) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// Leave tells the pool this member is going, then stops.
func (p *Pool) Leave(timeout time.Duration) error {
	if err := p.ml.Leave(timeout); err != nil {
		p.logger.Warn("leave failed", "error", err)
	}
	return p.ml.Shutdown()
}

// Shutdown stops gossiping without a goodbye, as a crash would.
func (p *Pool) Shutdown() error { return p.ml.Shutdown() }

type delegate struct{ p *Pool }

func (d *delegate) NodeMeta(limit int) []byte {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	return d.p.meta
}
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

type events struct{ p *Pool }

func (e *events) NotifyJoin(n *memberlist.Node) {
	e.p.logger.Debug("member joined", "member", n.Name)
	e.p.track(n, true)
}
func (e *events) NotifyLeave(n *memberlist.Node) {
	e.p.logger.Debug("member left or failed", "member", n.Name)
	e.p.track(n, false)
}
func (e *events) NotifyUpdate(n *memberlist.Node) { e.p.track(n, true) }
