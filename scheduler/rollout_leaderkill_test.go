package scheduler_test

import (
	"errors"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// TestRolloutSurvivesLeaderKill kills the leader in the middle of a rolling
// update of 30 replicas. The new leader's controllers finish the rollout:
// exactly 30 pods of the new template at the end, and replaying the log
// shows the Deployment never held more pods than replicas + maxSurge, so no
// replica was started twice by the two leaders.
func TestRolloutSurvivesLeaderKill(t *testing.T) {
	c, cl, ctx := leaderKillSetup(t, "hk", 6, 150*time.Millisecond)
	const n = 30
	d := newDeployment("default", "web", n, map[string]string{"app": "web"}, "web:1")
	if _, err := cl.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	waitRollout(ctx, t, cl, n, "web:1")

	// The controller writes the Deployment's status meanwhile: retry the
	// conditional update on conflict.
	for attempt := 0; ; attempt++ {
		cur, err := cl.Get(ctx, "Deployment", "default", "web", client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		upd := api.Clone(cur.(*api.Deployment))
		upd.Spec.Template.Spec.Containers[0].Image = "web:2"
		if _, err = cl.Update(ctx, upd); err == nil {
			break
		}
		if !errors.Is(err, api.ErrConflict) || attempt > 20 {
			t.Fatal(err)
		}
	}
	// Kill the leader once the rollout is under way, not before or after.
	for ctx.Err() == nil {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{})
		if err == nil && countImage(list.Items, "web:2") >= 5 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	old := c.Leader()
	c.Kill(old.Index)
	c.WaitForLeader(15 * time.Second)
	waitRollout(ctx, t, cl, n, "web:2")

	maxPods := n + 8 // maxSurge 25 % of 30, rounded up
	for _, m := range c.Members {
		if s := m.Server(); s != nil {
			if most, at := mostPods(t, s.Node().Store(), "default"); most > maxPods {
				t.Fatalf("%d pods existed at index %d, more than replicas + maxSurge (%d)", most, at, maxPods)
			}
		}
	}
}

func countImage(items []api.Object, image string) int {
	k := 0
	for _, o := range items {
		if p := o.(*api.Pod); !api.PodIsTerminal(p) && p.Spec.Containers[0].Image == image {
			k++
		}
	}
	return k
}
