package hollow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
)

// registerAttempts bounds the retries of one node's registration; the
// client already retries unavailable servers within its own budget.
const registerAttempts = 10

// nodeObject is node i as a real agent would register it, status included,
// so that registration is one write per node.
func (h *Hollow) nodeObject(i int, now *api.Time) *api.Node {
	name := h.names[i]
	labels := map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
		"kubernetes.io/arch": "amd64", "topology.barque.io/datacenter": "dc1", "barque.io/hollow": "true"}
	if h.cfg.Labels != nil {
		for k, v := range h.cfg.Labels(i) {
			labels[k] = v
		}
	}
	var taints []api.Taint
	if h.cfg.Taints != nil {
		taints = h.cfg.Taints(i)
	}
	res := api.ResourceList{"cpu": h.cfg.CPU, "memory": h.cfg.Memory, "pods": strconv.Itoa(h.cfg.Pods)}
	if h.cfg.EphemeralStorage != "" {
		res[api.ResourceEphemeralStorage] = h.cfg.EphemeralStorage
	}
	return &api.Node{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: api.ObjectMeta{Name: name, Labels: labels},
		Spec:       api.NodeSpec{Taints: taints},
		Status: api.NodeStatus{
			Capacity: res, Allocatable: res,
			Conditions: readyConditions(now, now),
			Addresses:  []api.NodeAddress{{Type: api.NodeHostName, Address: name}, {Type: api.NodeInternalIP, Address: HostIP}},
			NodeInfo:   api.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64", Hostname: name, KubeletVersion: "barque-hollow"},
			Drivers:    []string{"docker", "exec"},
			Datacenter: "dc1",
			Attributes: map[string]string{"kernel.name": "linux", "cpu.arch": "amd64", "unique.hostname": name,
				"unique.network.ip-address": HostIP, "driver.exec": "true", "driver.docker": "true", "barque.hollow": "true"},
		}}
}

func readyConditions(heartbeat, since *api.Time) []api.Condition {
	return []api.Condition{{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "AgentReady",
		Message: "hollow node is posting ready status", LastHeartbeatTime: heartbeat, LastTransitionTime: since}}
}

// registerAll registers every node with bounded concurrency and closes
// allReady when done. The first node that cannot be registered stops it.
func (h *Hollow) registerAll(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, h.cfg.RegisterConcurrency)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for i := range h.names {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := h.register(ctx, i); err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	close(h.allReady)
	return nil
}

// register creates node i, or takes over an existing node of that name.
func (h *Hollow) register(ctx context.Context, i int) error {
	var err error
	for attempt := 0; attempt < registerAttempts; attempt++ {
		if attempt > 0 && !sleepCtx(ctx, time.Duration(attempt)*200*time.Millisecond) {
			return ctx.Err()
		}
		now := api.NewTime(time.Now())
		node := h.nodeObject(i, now)
		_, err = h.cfg.Client.Create(ctx, node)
		if errors.Is(err, api.ErrAlreadyExists) {
			err = h.takeOver(ctx, node)
		}
		if err == nil {
			h.readySince[i] = now
			h.registered[i].Store(true)
			h.registeredN.Add(1)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		h.errs.Add(1)
		h.logger.Debug("registering a hollow node failed, retrying", "node", node.Name, "error", err)
	}
	return fmt.Errorf("hollow: registering node %s: %w", h.names[i], err)
}

// takeOver rewrites an existing node's labels, taints and status, as an
// agent restarted on the same machine does.
func (h *Hollow) takeOver(ctx context.Context, node *api.Node) error {
	meta, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": node.Labels},
		"spec": map[string]any{"taints": node.Spec.Taints}})
	if err != nil {
		return err
	}
	if _, err := h.cfg.Client.Patch(ctx, "Node", "", node.Name, meta); err != nil {
		return err
	}
	status, err := json.Marshal(map[string]any{"status": node.Status})
	if err != nil {
		return err
	}
	_, err = h.cfg.Client.PatchStatus(ctx, "Node", "", node.Name, status)
	return err
}

// heartbeatLoop spreads the nodes' heartbeats evenly over the interval:
// every tick hands the next few registered nodes to a pool of writers. The
// interval is the configured one, or longer when the leader asks for it
// (large clusters), as real agents do.
func (h *Hollow) heartbeatLoop(ctx context.Context) {
	n := len(h.names)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < h.cfg.HeartbeatConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				h.heartbeat(ctx, i)
			}
		}()
	}
	defer wg.Wait()
	defer close(jobs)
	next := 0
	for {
		interval := max(h.cfg.HeartbeatInterval, time.Duration(h.suggested.Load()))
		period := max(interval/time.Duration(n), 10*time.Millisecond)
		perTick := int((int64(n)*int64(period) + int64(interval) - 1) / int64(interval))
		select {
		case <-time.After(period):
		case <-ctx.Done():
			return
		}
		for k := 0; k < perTick; k++ {
			i := next
			next = (next + 1) % n
			if !h.registered[i].Load() {
				continue
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}
}

// heartbeat is node i's heartbeat, as the real agent sends it: a cheap
// call the leader keeps in memory, followed by a status write only when the
// leader reports the node not Ready.
func (h *Hollow) heartbeat(ctx context.Context, i int) {
	hctx, cancel := context.WithTimeout(ctx, h.cfg.HeartbeatInterval)
	defer cancel()
	res, err := h.cfg.Client.Heartbeat(hctx, h.names[i])
	if err == nil {
		h.suggested.Store(int64(res.Interval()))
		if !res.Ready {
			err = h.postReady(hctx, i)
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			h.errs.Add(1)
			h.logger.Debug("hollow heartbeat failed", "node", h.names[i], "error", err)
		}
		return
	}
	h.heartbeats.Add(1)
}

// postReady writes node i's Ready condition.
func (h *Hollow) postReady(ctx context.Context, i int) error {
	conds := readyConditions(api.NewTime(time.Now()), h.readySince[i])
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": conds}})
	if err != nil {
		return err
	}
	_, err = h.cfg.Client.PatchStatus(ctx, "Node", "", h.names[i], patch)
	return err
}
