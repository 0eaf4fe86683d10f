package scheduler_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// TestJobSurvivesLeaderKill: the leader is killed while a Job with
// completions=50 runs (the servers' own Job controller, a kubelet stand-in
// finishing pods through the API). The next leader carries on and exactly
// 50 completions are recorded: 50 succeeded pods, status.succeeded 50.
func TestJobSurvivesLeaderKill(t *testing.T) {
	c, cl, ctx := leaderKillSetup(t, "", 0, 0)
	go finishPods(ctx, cl, 150*time.Millisecond)
	if _, err := cl.Create(ctx, newJob("default", "fifty", 50, 10)); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil && succeededPods(ctx, cl) < 15 {
		time.Sleep(50 * time.Millisecond)
	}
	c.Kill(c.Leader().Index)
	c.WaitForLeader(15 * time.Second)
	var job *api.Job
	for ctx.Err() == nil {
		obj, err := cl.Get(ctx, "Job", "default", "fifty", client.GetOptions{})
		if err == nil {
			job = obj.(*api.Job)
			if c := api.FindCondition(job.Status.Conditions, "Complete"); c != nil && c.Status == api.ConditionTrue {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatalf("the Job never completed: %+v", job.Status)
	}
	time.Sleep(500 * time.Millisecond) // nothing more may start after completion
	if got := succeededPods(ctx, cl); got != 50 || job.Status.Succeeded != 50 {
		t.Fatalf("%d succeeded pods, status.succeeded %d; want exactly 50", got, job.Status.Succeeded)
	}
}

func succeededPods(ctx context.Context, cl *client.Client) int {
	list, err := cl.List(ctx, "Pod", "default", client.ListOptions{LabelSelector: "app=fifty"})
	if err != nil {
		return -1
	}
	n := 0
	for _, o := range list.Items {
		if o.(*api.Pod).Status.Phase == api.PodSucceeded {
			n++
		}
	}
	return n
}

// finishPods plays the kubelet through the API (so it survives the leader
// change): every live pod older than after is marked Succeeded.
func finishPods(ctx context.Context, cl *client.Client, after time.Duration) {
	done, _ := json.Marshal(map[string]any{"status": map[string]any{"phase": "Succeeded",
		"containerStatuses": []map[string]any{{"name": "c", "ready": false, "restartCount": 0, "image": "", "imageID": "",
			"state": map[string]any{"terminated": map[string]any{"exitCode": 0, "reason": "Completed"}}}}}})
	for ctx.Err() == nil {
		list, err := cl.List(ctx, "Pod", "default", client.ListOptions{})
		if err == nil {
			for _, o := range list.Items {
				p := o.(*api.Pod)
				if api.PodIsTerminal(p) || p.DeletionTimestamp != nil || time.Since(p.CreationTimestamp.Time) < after {
					continue
				}
				_, _ = cl.PatchStatus(ctx, "Pod", "default", p.Name, done)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
