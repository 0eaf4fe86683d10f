package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/barque-io/barque/gossip"
	"github.com/hashicorp/raft"
)

// bootstrapLoop waits until bootstrap_expect servers are seen in the gossip
// pool, then writes the first Raft configuration, Nomad-style: no peer list
// is ever typed by hand. A replica that already has state (a restart) or
// that sees a member of an existing cluster never bootstraps; the leader
// adds it instead.
func (s *Server) bootstrapLoop() {
	expect := s.cfg.BootstrapExpect
	if s.node.HasState() {
		return
	}
	if expect == 0 {
		s.logger.Info("bootstrap_expect is 0: this server forms no cluster; waiting for the leader of an existing one to add it (set bootstrap_expect on every server of a new cluster)")
		return
	}
	for {
		changed := s.pool.Changed()
		peers, existing := s.bootstrapPeers()
		if existing {
			s.logger.Info("found an existing cluster in gossip; waiting to be added by its leader")
			return
		}
		if len(peers) >= expect {
			s.logger.Info("bootstrapping raft cluster", "servers", len(peers))
			if err := s.node.Bootstrap(peers); err != nil {
				s.logger.Error("bootstrap failed", "error", err)
			}
			return
		}
		select {
		case <-changed:
		case <-time.After(time.Second):
		case <-s.ctx.Done():
			return
		}
	}
}

// bootstrapPeers lists the servers that expect the same cluster size as we
// do, and reports whether any member already belongs to a cluster.
func (s *Server) bootstrapPeers() ([]raft.Server, bool) {
	var out []raft.Server
	for _, m := range s.pool.Servers() {
		if m.Meta.Bootstrapd && m.Meta.ID != s.id {
			return nil, true
		}
		if m.Meta.Expect != s.cfg.BootstrapExpect || m.Meta.DC != s.cfg.Datacenter || m.Meta.Raft == "" {
			continue
		}
		out = append(out, raft.Server{ID: raft.ServerID(m.Meta.ID), Address: raft.ServerAddress(m.Meta.Raft), Suffrage: raft.Voter})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, false
}

// reconcilePeers runs on the leader: every alive server in the gossip pool
// that is missing from the Raft configuration (a new server, or one whose
// address changed) is added as a voter.
func (s *Server) reconcilePeers(ctx context.Context) {
	for {
		changed := s.pool.Changed()
		s.addMissingPeers(ctx)
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
		case <-ctx.Done():
			return
		}
	}
}

func (s *Server) addMissingPeers(ctx context.Context) {
	servers, _, err := s.node.Configuration()
	if err != nil {
		return
	}
	known := map[string]string{}
	for _, sv := range servers {
		known[sv.ID] = sv.Address
	}
	alive := s.pool.Servers()
	s.removed.keepOnly(alive)
	for _, m := range alive {
		if m.Meta.DC != s.cfg.Datacenter || m.Meta.Raft == "" || known[m.Meta.ID] == m.Meta.Raft {
			continue
		}
		if s.removed.has(m) {
			continue
		}
		if ours := s.clusterID(); foreignCluster(m, ours) {
			s.logger.Error("not adding a server that belongs to another cluster; empty its data dir and restart it to join this one",
				"peer", m.Name, "id", m.Meta.ID, "its_cluster", m.Meta.Cluster, "cluster", ours)
			continue
		}
		s.logger.Info("adding server to raft configuration", "peer", m.Name, "id", m.Meta.ID, "address", m.Meta.Raft)
		if err := s.node.AddVoter(ctx, m.Meta.ID, m.Meta.Raft); err != nil {
			s.logger.Warn("add voter failed", "peer", m.Name, "error", err)
		}
	}
}

// removedPeers are the servers an operator removed from the Raft
// configuration (operator raft remove-peer), each with the gossip start
// token it had then. A server just killed stays alive in gossip until its
// failure is detected, and the leader would add it straight back. So a
// removed server is not added again while gossip lists that same process;
// once it restarts (a new start token) or leaves gossip, it is added as
// any server is. The list lives on the leader that removed them.
type removedPeers struct {
	mu  sync.Mutex
	ids map[string]string // server ID -> gossip start token at removal
}

// add records id as removed, with the start token gossip lists for it.
func (r *removedPeers) add(id string, alive []gossip.Member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]string{}
	}
	r.ids[id] = ""
	for _, m := range alive {
		if m.Meta.ID == id {
			r.ids[id] = m.Meta.Start
		}
	}
}

// has reports whether m is a removed server's same process.
func (r *removedPeers) has(m gossip.Member) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	start, ok := r.ids[m.Meta.ID]
	return ok && start == m.Meta.Start
}

// keepOnly forgets the removed servers that gossip no longer lists as the
// process that was removed.
func (r *removedPeers) keepOnly(alive []gossip.Member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, start := range r.ids {
		if !slices.ContainsFunc(alive, func(m gossip.Member) bool { return m.Meta.ID == id && m.Meta.Start == start }) {
			delete(r.ids, id)
		}
	}
}

// markBootstrapped tells the pool this replica belongs to a cluster, so that
// a wiped server that comes back does not bootstrap a second one.
func (s *Server) markBootstrapped() {
	s.bootstrapped.Store(true)
	s.publishMeta()
}

func (s *Server) publishMeta() {
	m := s.gossipMeta()
	if err := s.pool.SetMeta(m); err != nil {
		s.logger.Warn("updating gossip metadata failed", "error", err)
		return
	}
	s.advertised.Store(m.Cluster)
}

// clusterID is the identity of the cluster this server's store belongs to:
// the uid of the barque-system namespace, which the cluster's first leader
// creates and which cannot be deleted. "" until the store holds it.
func (s *Server) clusterID() string {
	if ns, _ := s.node.Store().Get("Namespace", "", "barque-system"); ns != nil {
		return ns.GetObjectMeta().UID
	}
	return ""
}

// advertiseCluster publishes the cluster identity in gossip once the store
// holds it (or after a restore changed it).
func (s *Server) advertiseCluster() {
	if id := s.clusterID(); id != "" {
		if prev, _ := s.advertised.Load().(string); prev != id {
			s.publishMeta()
		}
	}
}

// foreignCluster reports whether m's store belongs to another cluster than
// ours: servers bootstrapped apart (several with bootstrap_expect = 1, say)
// number different entries alike, and adding one to the other's
// configuration would leave stores that differ at the same
// resourceVersions. Such a server must be wiped before it joins.
func foreignCluster(m gossip.Member, ours string) bool {
	return ours != "" && m.Meta.Cluster != "" && m.Meta.Cluster != ours
}

// apiOfServer maps a Raft server ID to its API URL through gossip.
func (s *Server) apiOfServer(id string) string {
	if id == s.id {
		return s.apiURL
	}
	for _, m := range s.pool.Members() {
		if m.Meta.Role == gossip.RoleServer && m.Meta.ID == id {
			return m.Meta.API
		}
	}
	return ""
}

// startToken is a new process's gossip.Meta.Start.
func startToken() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
