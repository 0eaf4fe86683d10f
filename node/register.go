package node

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// fingerprint describes this machine and the drivers that work here.
func (a *Agent) fingerprint(ctx context.Context) api.NodeStatus {
	host, _ := os.Hostname()
	st := api.NodeStatus{
		Capacity: api.ResourceList{"cpu": strconv.Itoa(runtime.NumCPU()), "memory": fmt.Sprintf("%dKi", memTotalKiB()),
			"pods": "110"},
		Addresses:  []api.NodeAddress{{Type: api.NodeHostName, Address: host}},
		NodeInfo:   api.NodeSystemInfo{OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH, KubeletVersion: "barque"},
		Datacenter: a.cfg.Datacenter, NodeClass: a.cfg.NodeClass, Meta: a.cfg.Meta,
		Attributes: map[string]string{"kernel.name": runtime.GOOS, "cpu.arch": runtime.GOARCH, "unique.hostname": host},
	}
	if ip := a.cfg.AdvertiseAddr; ip != "" || a.cfg.BindAddr != "" {
		if ip == "" {
			ip = a.cfg.BindAddr
		}
		st.Addresses = append(st.Addresses, api.NodeAddress{Type: api.NodeInternalIP, Address: ip})
		st.Attributes["unique.network.ip-address"] = ip
	}
	st.Attributes["agent.api"] = a.APIURL()
	st.Allocatable = maps.Clone(st.Capacity)
	a.addStorage(&st)
	for name, d := range a.drivers {
		fp := d.Fingerprint(ctx)
		for k, v := range fp.Attributes {
			st.Attributes[k] = v
		}
		// The agent's word, after the driver's own: "true" or "false" for
		// every driver, whatever a driver reports.
		st.Attributes["driver."+name] = strconv.FormatBool(fp.Available)
		if fp.Available {
			st.Drivers = append(st.Drivers, name)
		} else {
			a.logger.Info("driver not available", "driver", name, "reason", fp.Reason)
		}
	}
	sort.Strings(st.Drivers)
	return st
}

func memTotalKiB() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			return n
		}
	}
	return 0
}

// register creates the Node, or takes it over after a restart, and writes
// the fingerprint into its status.
func (a *Agent) register(ctx context.Context) error {
	status := a.fingerprint(ctx)
	a.attributes = status.Attributes
	for ctx.Err() == nil {
		err := a.registerOnce(ctx, status)
		if err == nil {
			return nil
		}
		a.logger.Warn("registering the node failed, retrying", "error", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}

func (a *Agent) registerOnce(ctx context.Context, status api.NodeStatus) error {
	cur, err := a.client.Get(ctx, "Node", "", a.cfg.Name, client.GetOptions{})
	if errors.Is(err, api.ErrNotFound) {
		if cur, err = a.client.Create(ctx, a.newNode()); err != nil && !errors.Is(err, api.ErrAlreadyExists) {
			return err
		}
		if err != nil {
			return err // created concurrently: retry from the top
		}
	} else if err != nil {
		return err
	}
	node := api.Clone(cur.(*api.Node))
	node.Status = status
	node.Status.Conditions = readyConditions(time.Now(), nil)
	a.readySince = node.Status.Conditions[0].LastTransitionTime
	_, err = a.client.UpdateStatus(ctx, node)
	return err
}

// newNode is the Node this agent creates: name, labels and taints.
func (a *Agent) newNode() *api.Node {
	return &api.Node{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: api.ObjectMeta{Name: a.cfg.Name, Labels: a.nodeLabels()}, Spec: api.NodeSpec{Taints: a.taints()}}
}

func (a *Agent) nodeLabels() map[string]string {
	l := map[string]string{"kubernetes.io/hostname": a.cfg.Name, "kubernetes.io/os": runtime.GOOS,
		"kubernetes.io/arch": runtime.GOARCH, "topology.barque.io/datacenter": a.cfg.Datacenter}
	for k, v := range a.cfg.Labels {
		l[k] = v
	}
	return l
}

// taints parses "key=value:Effect" strings from the config.
func (a *Agent) taints() []api.Taint {
	var out []api.Taint
	for _, s := range a.cfg.Taints {
		kv, effect, _ := strings.Cut(s, ":")
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, api.Taint{Key: k, Value: v, Effect: api.TaintEffect(effect)})
	}
	return out
}

// readyConditions is the Ready condition at a heartbeat; the transition time
// is kept while the status does not change.
func readyConditions(now time.Time, prev []api.Condition) []api.Condition {
	t := api.NewTime(now)
	c := api.Condition{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "AgentReady",
		Message: "barque agent is posting ready status", LastHeartbeatTime: t, LastTransitionTime: t}
	if old := api.FindCondition(prev, api.NodeReady); old != nil && old.Status == api.ConditionTrue && old.LastTransitionTime != nil {
		c.LastTransitionTime = old.LastTransitionTime
	}
	return []api.Condition{c}
}

// statusInterval is how often the agent rewrites its stored status even
// when nothing changed, so that `barque get nodes` shows a recent heartbeat
// time. Liveness itself travels in the cheap heartbeats between.
const statusInterval = time.Minute

// heartbeatLoop heartbeats to the leader, which keeps heartbeats in memory
// (no Raft write), and writes the node's status only when it changed: the
// allocated resources moved, the leader marked the node lost, or a minute
// passed. The leader's node lifecycle controller marks the node
// unreachable when both stop.
func (a *Agent) heartbeatLoop(ctx context.Context) {
	interval := a.cfg.heartbeat()
	lastStatus := time.Now()
	var lastAllocated api.ResourceList
	for {
		select {
		case <-time.After(interval):
		case <-ctx.Done():
			return
		}
		hctx, cancel := context.WithTimeout(ctx, interval)
		res, err := a.client.Heartbeat(hctx, a.cfg.Name)
		cancel()
		if err == nil {
			interval = max(a.cfg.heartbeat(), res.Interval())
		}
		allocated := a.allocated()
		stale := time.Since(lastStatus) >= statusInterval || !maps.Equal(allocated, lastAllocated)
		if err == nil && res.Ready && !stale {
			continue
		}
		if err == nil && !res.Ready {
			a.readySince = api.NewTime(time.Now())
		}
		if err := a.postStatus(ctx, allocated, interval); err != nil {
			a.logger.Warn("posting node status failed", "error", err)
			continue
		}
		lastStatus, lastAllocated = time.Now(), allocated
	}
}

// postStatus is one merge patch of the status subresource: the Ready
// condition with a fresh heartbeat time, and the allocated resources.
func (a *Agent) postStatus(ctx context.Context, allocated api.ResourceList, timeout time.Duration) error {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conds := readyConditions(time.Now(), nil)
	conds[0].LastTransitionTime = a.readySince
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": conds, "allocated": allocated}})
	if err != nil {
		return err
	}
	_, err = a.client.PatchStatus(hctx, "Node", "", a.cfg.Name, patch)
	return err
}
