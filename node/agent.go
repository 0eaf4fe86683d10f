package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/gossip"
	"github.com/barque-io/barque/node/driver"
	"github.com/hashicorp/go-hclog"
)

// Agent is one node's agent.
type Agent struct {
	cfg     Config
	logger  hclog.Logger
	pool    *gossip.Pool
	client  *client.Client
	state   *localState
	drivers map[string]driver.Driver
	api     *agentAPI // logs and exec, for the servers

	readySince *api.Time
	attributes map[string]string // the fingerprint's, for ${attr.*} in tasks

	mu       sync.Mutex
	workers  map[string]*podWorker // by pod UID
	stopping map[string]bool       // pod UIDs whose worker is stopping (stopWorker)
	// terminating: pod UIDs being deleted gracefully (terminate), whose
	// tasks this agent stops before it deletes the pod for good.
	terminating map[string]*podWorker                    // its worker, nil when it had none
	recovered   map[string]map[string]*driver.TaskHandle // pod UID -> task -> handle
	records     map[string]podRecord                     // pod UID -> what an earlier agent recorded
	wg          sync.WaitGroup

	podsListed chan struct{} // closed once the pods bound here were first listed
	listedOnce sync.Once
	claimKick  chan struct{} // a pod stopped: sweep claim directories
}

// New prepares an agent: local state, gossip, and an API client.
// statusBatchWindow paces the agent's writes (pod status reports above
// all): after a report, the ones that follow within this window wait for
// it and go together, one batch request and usually one log entry. A lone
// report still goes at once.
const statusBatchWindow = 20 * time.Millisecond

func New(cfg Config) (*Agent, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.DataDir == "" {
		return nil, errors.New("data_dir is required")
	}
	if cfg.Name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, err
		}
		cfg.Name = h
	}
	if cfg.Datacenter == "" {
		cfg.Datacenter = "dc1"
	}
	// Traversable but not listable by others: tasks running as another
	// user (runAsUser) must reach their directories under alloc/. The
	// agent's own files in it are private (agent.db is 0600).
	if err := os.MkdirAll(cfg.DataDir, 0o711); err != nil {
		return nil, err
	}
	if err := os.Chmod(cfg.DataDir, 0o711); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, logger: cfg.Logger.Named("agent").With("node", cfg.Name),
		drivers: map[string]driver.Driver{}, workers: map[string]*podWorker{}, stopping: map[string]bool{},
		terminating: map[string]*podWorker{},
		podsListed:  make(chan struct{}), claimKick: make(chan struct{}, 1)}
	for _, d := range cfg.Drivers {
		a.drivers[d.Name()] = keepPreviousLogs{d}
	}
	// A bad taint or label in the config is a start-up error, not a
	// registration the servers refuse forever.
	if err := api.Validate(a.newNode()); err != nil {
		return nil, fmt.Errorf("the node's name, labels or taints from the config: %w", err)
	}
	var err error
	if a.state, err = openLocalState(cfg.DataDir); err != nil {
		return nil, err
	}
	if err := a.startGossip(); err != nil {
		a.state.close()
		return nil, err
	}
	if err := a.listenAPI(); err != nil {
		a.pool.Shutdown()
		a.state.close()
		return nil, err
	}
	addrs := cfg.Servers
	if len(addrs) == 0 {
		addrs = []string{"http://127.0.0.1:7080"} // replaced once gossip names the servers
	}
	// Coalesced writes: the status reports of many pods changing at once
	// share batch requests and log entries (docs/AGENT.md "Status").
	a.client, err = client.New(client.Config{Addresses: addrs, Timeout: 10 * time.Second, Logger: cfg.Logger,
		CoalesceWrites: true, CoalesceWindow: statusBatchWindow})
	if err != nil {
		a.api.close()
		a.pool.Shutdown()
		a.state.close()
		return nil, err
	}
	return a, nil
}

func (a *Agent) startGossip() error {
	port := a.cfg.GossipPort
	switch {
	case port == 0:
		port = DefaultGossipPort
	case port < 0:
		port = 0
	}
	var err error
	a.pool, err = gossip.Start(gossip.Config{Name: "node-" + a.cfg.Name, BindAddr: a.cfg.BindAddr, BindPort: port,
		AdvertiseAddr: a.cfg.AdvertiseAddr, AdvertisePort: port, Meta: a.gossipMeta(), Logger: a.cfg.Logger, Fast: a.cfg.FastGossip})
	return err
}

// Name is the node's name.
func (a *Agent) Name() string { return a.cfg.Name }

// Run joins the pool, registers the node and runs its pods until ctx ends.
// Tasks keep running when the agent stops: a restarted agent reattaches.
func (a *Agent) Run(ctx context.Context) error {
	defer a.pool.Shutdown()
	defer a.state.close()
	defer a.api.close()
	go a.serveAPI()
	go a.joinLoop(ctx)
	if err := a.waitForServers(ctx); err != nil {
		return nil
	}
	go a.followServers(ctx)
	if err := a.register(ctx); err != nil {
		return fmt.Errorf("registering node %s: %w", a.cfg.Name, err)
	}
	a.logger.Info("node registered", "servers", a.client.Addresses())
	go a.heartbeatLoop(ctx)
	a.recoverTasks(ctx)
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.runClaims(ctx) }()
	a.runPods(ctx)
	a.wg.Wait()
	return nil
}

func (a *Agent) joinLoop(ctx context.Context) {
	if len(a.cfg.Join) == 0 {
		return
	}
	for ctx.Err() == nil {
		if n, err := a.pool.Join(a.cfg.Join, 7082); err == nil && n > 0 {
			return
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
}
