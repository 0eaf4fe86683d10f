package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/barque-io/barque/api"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barque-io/barque/consensus"
	"github.com/barque-io/barque/gossip"
	"github.com/barque-io/barque/internal/netutil"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// Server is one control-plane replica.
type Server struct {
	cfg    Config
	id     string
	boot   string // gossip.Meta.Start: drawn when this process started
	logger hclog.Logger

	node   *consensus.Node
	pool   *gossip.Pool
	httpL  net.Listener
	http   *http.Server
	apiURL string

	metrics *metrics
	reads   *readBatcher
	proxy   *leaderProxy
	fwd     *opForwarder
	streams *streamSet // the followers' propose streams, on the leader

	// followerReady: a follower knows a leader and hears from it.
	// leaderReady: this replica leads and its barrier of this term is done;
	// until then its store may lack entries earlier leaders committed, so
	// it must serve neither reads nor writes (a replica that was a ready
	// follower a moment ago is NOT a ready leader).
	followerReady atomic.Bool
	leaderReady   atomic.Bool
	leaderSvcs    *leaderServices
	heartbeats    *heartbeatTable
	removed       removedPeers // bootstrap.go
	bootstrapped  atomic.Bool  // gossip.Meta.Bootstrapd
	advertised    atomic.Value // the gossip.Meta.Cluster last published (string)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New starts a replica: listeners, Raft, gossip, and the loops that
// bootstrap the cluster and follow leadership.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	id, err := loadNodeID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "server-" + id[:8]
	}
	if err := applyMemoryLimit(cfg.MemoryLimit); err != nil {
		return nil, err
	}
	if gcTargetWanted(cfg.MemoryLimit) {
		startGCTarget()
	}
	s := &Server{cfg: cfg, id: id, boot: startToken(), logger: cfg.Logger.Named("server").With("server", cfg.Name),
		heartbeats: newHeartbeatTable()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.start(); err != nil {
		s.Kill()
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	adv := s.cfg.AdvertiseAddr
	if adv == "" {
		adv = s.cfg.BindAddr
	}
	l, err := netutil.Listen(netutil.JoinHostPort(s.cfg.BindAddr, port(s.cfg.HTTPPort, DefaultHTTPPort)))
	if err != nil {
		return err
	}
	s.httpL = l
	s.apiURL = "http://" + netutil.JoinHostPort(adv, netutil.PortOf(l))
	raftPort := port(s.cfg.RaftPort, DefaultRaftPort)
	raftAdv := ""
	if raftPort != 0 {
		raftAdv = netutil.JoinHostPort(adv, raftPort)
	}
	s.node, err = consensus.New(consensus.Config{
		ID: s.id, DataDir: s.cfg.DataDir, BindAddr: netutil.JoinHostPort(s.cfg.BindAddr, raftPort), Advertise: raftAdv,
		Multiplier: s.cfg.RaftMultiplier, HistorySize: s.cfg.HistorySize, ApplyTimeout: 10 * time.Second,
		GroupCommitDelay:  s.cfg.GroupCommitDelay,
		SnapshotThreshold: uint64(s.cfg.RaftSnapshotThreshold), TrailingLogs: uint64(s.cfg.RaftTrailingLogs),
		LogStore: s.cfg.RaftLogStore,
		Logger:   s.cfg.Logger.With("server", s.cfg.Name),
	})
	if err != nil {
		return err
	}
	if err := s.startGossip(adv); err != nil {
		return err
	}
	s.metrics = newMetrics(s)
	s.reads = newReadBatcher(s)
	s.proxy = newLeaderProxy(s)
	s.fwd = newOpForwarder(s)
	s.streams = newStreamSet()
	s.leaderSvcs = newLeaderServices(s)
	s.startControllers()
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	s.goRun(func() { _ = s.http.Serve(l) })
	s.goRun(s.bootstrapLoop)
	s.goRun(s.leadershipLoop)
	s.goRun(s.followerReadyLoop)
	s.logger.Info("server started", "id", s.id, "api", s.apiURL, "raft", s.node.Addr(), "gossip", s.pool.Addr())
	return nil
}

func (s *Server) startGossip(adv string) error {
	gp := port(s.cfg.GossipPort, DefaultGossipPort)
	var err error
	s.pool, err = gossip.Start(gossip.Config{
		Name: s.cfg.Name, BindAddr: s.cfg.BindAddr, BindPort: gp, AdvertiseAddr: adv, AdvertisePort: gp,
		Meta: s.gossipMeta(), Logger: s.cfg.Logger.With("server", s.cfg.Name), Fast: s.cfg.FastGossip,
	})
	if err != nil {
		return err
	}
	if len(s.cfg.Join) > 0 {
		s.goRun(s.joinLoop)
	}
	return nil
}

func (s *Server) gossipMeta() gossip.Meta {
	return gossip.Meta{Role: gossip.RoleServer, ID: s.id, Raft: s.node.Addr(), API: s.apiURL,
		DC: s.cfg.Datacenter, Expect: s.cfg.BootstrapExpect, Start: s.boot, Cluster: s.clusterID(), Bootstrapd: s.bootstrapped.Load()}
}

// joinLoop keeps trying the -join addresses until one answers, so that
// servers may start in any order.
func (s *Server) joinLoop() {
	backoff := 200 * time.Millisecond
	for {
		n, err := s.pool.Join(s.cfg.Join, DefaultGossipPort)
		if err == nil && n > 0 {
			s.logger.Info("joined gossip pool", "contacted", n)
			return
		}
		s.logger.Debug("join failed, retrying", "error", err)
		select {
		case <-time.After(backoff):
		case <-s.ctx.Done():
			return
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

func (s *Server) goRun(f func()) {
	s.wg.Add(1)
	go func() { defer s.wg.Done(); f() }()
}

// loadNodeID reads this replica's stable ID from its data dir, creating it
// on first start.
func loadNodeID(dir string) (string, error) {
	p := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(p)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	id := uuid.NewString()
	return id, os.WriteFile(p, []byte(id+"\n"), 0o600)
}

// ID is the replica's Raft server ID.
func (s *Server) ID() string { return s.id }

// Name is the replica's human name.
func (s *Server) Name() string { return s.cfg.Name }

// Logger is the replica's root logger.
func (s *Server) Logger() hclog.Logger { return s.cfg.Logger }

// APIURL is the base URL of this replica's HTTP API.
func (s *Server) APIURL() string { return s.apiURL }

// GossipAddr is this replica's gossip address, for -join.
func (s *Server) GossipAddr() string { return s.pool.Addr() }

// JoinGossip joins the gossip pool of the members at addrs (as -join does
// at start), returning how many answered.
func (s *Server) JoinGossip(addrs ...string) (int, error) {
	return s.pool.Join(addrs, DefaultGossipPort)
}

// Node is the Raft replica (tests and the harness use it).
func (s *Server) Node() *consensus.Node { return s.node }

// Shutdown stops gracefully: hand leadership away, leave the gossip pool,
// drain HTTP, stop Raft.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		s.logger.Info("shutting down")
		s.cancel()
		if s.cfg.ShutdownTransfer && s.node != nil && s.node.IsLeader() {
			if terr := s.node.TransferLeadership(ctx, ""); terr != nil {
				s.logger.Warn("leadership transfer failed", "error", terr)
			}
		}
		if s.http != nil {
			_ = s.http.Shutdown(ctx)
		}
		if s.streams != nil {
			s.streams.drain(ctx)
		}
		if s.pool != nil {
			_ = s.pool.Leave(time.Second)
		}
		if s.node != nil {
			err = s.node.Shutdown(false)
		}
		s.wg.Wait()
	})
	return err
}

// Kill stops at once, as a crash would (in-process tests): no leadership
// transfer, no goodbye to the pool, open connections cut.
func (s *Server) Kill() {
	s.once.Do(func() {
		s.cancel()
		if s.http != nil {
			_ = s.http.Close()
		} else if s.httpL != nil {
			_ = s.httpL.Close()
		}
		if s.streams != nil {
			s.streams.cut()
		}
		if s.pool != nil {
			_ = s.pool.Shutdown()
		}
		if s.node != nil {
			_ = s.node.Shutdown(false)
		}
		s.wg.Wait()
	})
}

// applyMemoryLimit sets the process's soft heap limit. It is process-wide:
// in-process clusters (tests, barque dev) share one.
func applyMemoryLimit(limit string) error {
	if limit == "" {
		return nil
	}
	q, err := api.ParseQuantity(limit)
	if err != nil {
		return fmt.Errorf("memory_limit: Invalid value %q: %w", limit, err)
	}
	debug.SetMemoryLimit(q.Value())
	return nil
}
