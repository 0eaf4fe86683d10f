package main

import (
	"context"
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/bench/nodefail"
)

// round runs one Deployment, kills the node holding most of its pods, and
// measures the replacement; it scales the Deployment to zero afterwards.
func (c *cluster) round(ctx context.Context, name string, replicas int32) (nodefail.Result, string, int, error) {
	if _, err := c.cl.Create(ctx, nodefail.Deployment(name, replicas)); err != nil {
		return nodefail.Result{}, "", 0, err
	}
	pods, err := nodefail.WaitRunning(ctx, c.cl, name, int(replicas))
	if err != nil {
		return nodefail.Result{}, "", 0, err
	}
	dead, victims := nodefail.Victim(pods)
	killed := time.Now()
	if err := c.agents[dead].Kill(); err != nil {
		return nodefail.Result{}, dead, 0, err
	}
	nodefail.KillTasks(victims)
	octx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	r, err := nodefail.Observe(octx, c.cl, name, dead, victims, int(replicas), killed)
	if err != nil {
		return r, dead, len(victims), err
	}
	if r.Lost != len(victims) {
		return r, dead, len(victims), fmt.Errorf("%d of %d pods on %s marked NodeLost", r.Lost, len(victims), dead)
	}
	return r, dead, len(victims), c.scaleToZero(ctx, name)
}

// scaleToZero stops the round's pods (the survivor's agent stops them) and
// kills whatever task is left, so rounds do not pile up processes.
func (c *cluster) scaleToZero(ctx context.Context, name string) error {
	if _, err := c.cl.Patch(ctx, "Deployment", "default", name, []byte(`{"spec":{"replicas":0}}`)); err != nil {
		return err
	}
	pods, _ := nodefail.Pods(ctx, c.cl, name)
	_, err := nodefail.WaitRunning(ctx, c.cl, name, 0)
	nodefail.KillTasks(pods)
	return err
}

// revive restarts the dead agent and waits until its node is Ready and
// untainted again, so the next round has two nodes to choose from.
func (c *cluster) revive(ctx context.Context, name string) error {
	if err := c.agents[name].Start(); err != nil {
		return err
	}
	return waitReady(ctx, c.cl, name)
}

func waitReady(ctx context.Context, cl *client.Client, name string) error {
	for ctx.Err() == nil {
		if obj, err := cl.Get(ctx, "Node", "", name, client.GetOptions{}); err == nil {
			n := obj.(*api.Node)
			if c := api.FindCondition(n.Status.Conditions, api.NodeReady); c != nil && c.Status == api.ConditionTrue && !unreachable(n) {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("node %s never became ready and untainted", name)
}

func unreachable(n *api.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == "node.kubernetes.io/unreachable" {
			return true
		}
	}
	return false
}
