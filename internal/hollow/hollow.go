// Package hollow simulates many node agents in one process for scheduler
// scale tests and benchmarks, as Kubernetes' kubemark does, but cheaper: one
// Hollow registers N Node objects and drives them all through one shared API
// client, one pod watch and a few bounded worker pools. Hollow nodes never
// run anything: they heartbeat, and report every pod bound to them as
// Running (after an optional simulated start delay).
package hollow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/hashicorp/go-hclog"
)

// Defaults for Config fields left zero.
const (
	DefaultPrefix = "hollow"
	DefaultCPU    = "4"
	DefaultMemory = "16Gi"
	DefaultPods   = 110
	// DefaultHeartbeatInterval is well under the servers' default NodeGrace
	// (10 s): heartbeat times are stored truncated to the second and a write
	// can queue behind thousands of others, so an interval equal to the
	// grace would have the node lifecycle controller mark nodes lost.
	DefaultHeartbeatInterval   = 4 * time.Second
	DefaultRegisterConcurrency = 32
	// DefaultHeartbeatConcurrency keeps the heartbeat rate when writes slow
	// down under load: 5,000 nodes every 4 s at 100 ms a write need 125 in
	// flight. With 16, heartbeats of 5,000 nodes fell to one per node every
	// 20-30 s while 30,000 pods were starting.
	DefaultHeartbeatConcurrency = 128
	DefaultStatusConcurrency    = 64
	// HostIP is every hollow node's address and every hollow pod's IP.
	HostIP = "127.0.0.1"
)

// Config describes a set of hollow nodes.
type Config struct {
	// Client is shared by every hollow node. Required.
	Client *client.Client
	// Prefix names the nodes Prefix-00000, Prefix-00001, ...
	Prefix string
	// Count is the number of nodes. Required.
	Count int
	// CPU, Memory and Pods are each node's capacity (and allocatable).
	CPU    string
	Memory string
	Pods   int
	// EphemeralStorage, when set, is each node's ephemeral-storage (what
	// the scheduler counts new claims against); by default the nodes
	// report none, as an agent that cannot read its disk does.
	EphemeralStorage string
	// Labels and Taints, when set, give node i's extra labels and taints
	// (zones, racks, dedicated pools).
	Labels func(i int) map[string]string
	Taints func(i int) []api.Taint
	// HeartbeatInterval is how often each node refreshes its Ready
	// condition; the nodes' heartbeats are spread evenly over it.
	HeartbeatInterval time.Duration
	// StartDelay simulates task start: a pod is reported Running this long
	// after it is seen bound to a hollow node.
	StartDelay time.Duration
	// Concurrency limits (writes in flight) for registration, heartbeats and
	// pod status reports. The servers batch concurrent writes into few Raft
	// entries, so more in flight means fewer, larger entries.
	RegisterConcurrency  int
	HeartbeatConcurrency int
	StatusConcurrency    int
	Logger               hclog.Logger
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.CPU == "" {
		c.CPU = DefaultCPU
	}
	if c.Memory == "" {
		c.Memory = DefaultMemory
	}
	if c.Pods == 0 {
		c.Pods = DefaultPods
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.RegisterConcurrency <= 0 {
		c.RegisterConcurrency = DefaultRegisterConcurrency
	}
	if c.HeartbeatConcurrency <= 0 {
		c.HeartbeatConcurrency = DefaultHeartbeatConcurrency
	}
	if c.StatusConcurrency <= 0 {
		c.StatusConcurrency = DefaultStatusConcurrency
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
}

// Stats counts what the hollow nodes did.
type Stats struct {
	NodesRegistered int64
	Heartbeats      int64 // successful heartbeat writes
	PodsStarted     int64 // pods reported Running
	StatusWrites    int64 // successful pod status writes
	PodsTracked     int64 // pods currently bound to a hollow node
	Errors          int64 // failed writes, lists and watches (each retried)
}

// Hollow is a set of simulated nodes.
type Hollow struct {
	cfg    Config
	logger hclog.Logger
	names  []string
	index  map[string]int // node name -> i

	registered []atomic.Bool
	readySince []*api.Time // set once by registration, read by heartbeats
	allReady   chan struct{}

	pods *podTracker

	registeredN, heartbeats, started, writes, errs atomic.Int64
	suggested                                      atomic.Int64 // heartbeat interval the leader asks for (ns)

	stopOnce sync.Once
	stopCh   chan struct{}
}

// New checks cfg and builds the hollow nodes; Run brings them up.
func New(cfg Config) (*Hollow, error) {
	if cfg.Client == nil {
		return nil, errors.New("hollow: Config.Client is required")
	}
	if cfg.Count <= 0 {
		return nil, fmt.Errorf("hollow: Config.Count must be positive, got %d", cfg.Count)
	}
	cfg.setDefaults()
	h := &Hollow{cfg: cfg, logger: cfg.Logger.Named("hollow"), index: make(map[string]int, cfg.Count),
		registered: make([]atomic.Bool, cfg.Count), readySince: make([]*api.Time, cfg.Count),
		allReady: make(chan struct{}), stopCh: make(chan struct{})}
	for i := 0; i < cfg.Count; i++ {
		name := fmt.Sprintf("%s-%05d", cfg.Prefix, i)
		h.names = append(h.names, name)
		h.index[name] = i
	}
	h.pods = newPodTracker(h)
	return h, nil
}

// Nodes returns the hollow nodes' names, in order.
func (h *Hollow) Nodes() []string { return append([]string(nil), h.names...) }

// Registered is closed once every node is registered Ready.
func (h *Hollow) Registered() <-chan struct{} { return h.allReady }

// Stats returns the counters so far.
func (h *Hollow) Stats() Stats {
	return Stats{NodesRegistered: h.registeredN.Load(), Heartbeats: h.heartbeats.Load(),
		PodsStarted: h.started.Load(), StatusWrites: h.writes.Load(),
		PodsTracked: int64(h.pods.count()), Errors: h.errs.Load()}
}

// Stop ends Run; safe to call more than once.
func (h *Hollow) Stop() { h.stopOnce.Do(func() { close(h.stopCh) }) }

// Run registers the nodes, then heartbeats them and starts their pods
// until ctx ends or Stop is called. The pod watch starts at once, so pods
// bound before registration finishes are not missed. It returns nil on a
// clean stop, or the registration error.
func (h *Hollow) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-h.stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(h.pods.run)
	run(h.heartbeatLoop)
	err := h.registerAll(ctx)
	if err == nil {
		h.logger.Info("hollow nodes registered", "count", h.cfg.Count)
		<-ctx.Done()
	} else {
		cancel()
	}
	wg.Wait()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// sleepCtx waits d or until ctx ends, and says whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
