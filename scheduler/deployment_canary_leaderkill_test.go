package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// TestCanarySurvivesLeaderKill kills the leader while canaries wait for
// their promotion: the new leader's controller keeps holding them (the
// step's state is on the ReplicaSet, not in the old leader's memory),
// a promotion then finishes the rollout with exactly replicas new pods,
// and no store ever saw more than replicas + canaries pods.
func TestCanarySurvivesLeaderKill(t *testing.T) {
	c, cl, ctx := leaderKillSetup(t, "ck", 3, 100*time.Millisecond)
	const n, canaries = 6, 2
	d := canaryDeployment("default", "web", n, canaries, false)
	if _, err := cl.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	waitRollout(ctx, t, cl, n, "web:1")
	updateWithRetry(ctx, t, cl, func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "web:2" })
	rev := waitAwaiting(ctx, t, cl, canaries)

	old := c.Leader()
	c.Kill(old.Index)
	c.WaitForLeader(15 * time.Second)
	// The new leader's controllers start with a full pass: give them time
	// to make a (wrong) move, then check that none was made.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if got := podImages(ctx, t, cl); got["web:1"] != n || got["web:2"] != canaries {
			t.Fatalf("the canaries moved without a promotion after the leader change: %v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := waitAwaiting(ctx, t, cl, canaries); got != rev {
		t.Fatalf("canary revision %d after the leader change, was %d", got, rev)
	}
	updateWithRetry(ctx, t, cl, func(d *api.Deployment) {
		d.Annotations = withAnnotation(d.Annotations, api.PromoteRevisionAnnotation, strconv.FormatInt(rev, 10))
	})
	waitRollout(ctx, t, cl, n, "web:2")

	for _, m := range c.Members {
		if s := m.Server(); s != nil {
			if most, at := mostPods(t, s.Node().Store(), "default"); most > n+canaries {
				t.Fatalf("%d pods existed at index %d, more than replicas + canaries (%d)", most, at, n+canaries)
			}
		}
	}
}

// updateWithRetry applies mut to the Deployment web with a conditional
// update, reading again on conflict (the controller writes its status).
func updateWithRetry(ctx context.Context, t *testing.T, cl *client.Client, mut func(d *api.Deployment)) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		cur, err := cl.Get(ctx, "Deployment", "default", "web", client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		upd := api.Clone(cur.(*api.Deployment))
		mut(upd)
		if _, err = cl.Update(ctx, upd); err == nil {
			return
		}
		if !errors.Is(err, api.ErrConflict) || attempt > 20 {
			t.Fatal(err)
		}
	}
}

// waitAwaiting waits until web's canaries are all healthy and await a
// promotion, beside n old pods, and returns their revision.
func waitAwaiting(ctx context.Context, t *testing.T, cl *client.Client, canaries int32) int64 {
	t.Helper()
	last := ""
	for ctx.Err() == nil {
		obj, err := cl.Get(ctx, "Deployment", "default", "web", client.GetOptions{})
		if err == nil {
			d := obj.(*api.Deployment)
			c := d.Status.Canary
			if d.Status.ObservedGeneration == d.Generation && c != nil && !c.Promoted && c.Healthy == canaries {
				return c.Revision
			}
			last = fmt.Sprintf("generation %d, status %+v, canary %+v", d.Generation, d.Status, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("canaries never awaited a promotion: %s", last)
	return 0
}

// podImages counts web's active pods per image.
func podImages(ctx context.Context, t *testing.T, cl *client.Client) map[string]int {
	t.Helper()
	list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, o := range list.Items {
		if p := o.(*api.Pod); !api.PodIsTerminal(p) && p.DeletionTimestamp == nil {
			out[p.Spec.Containers[0].Image]++
		}
	}
	return out
}

func withAnnotation(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}
