package scheduler_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

// fakeClock is the leader's clock, moved by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func newCronJob(ns, name, schedule, policy string) *api.CronJob {
	j := newJob(ns, name, 1, 1)
	return &api.CronJob{
		TypeMeta:   api.TypeMeta{Kind: "CronJob", APIVersion: "batch/v1"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.CronJobSpec{Schedule: schedule, ConcurrencyPolicy: policy,
			JobTemplate: api.JobTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"cron": name}}, Spec: j.Spec}},
	}
}

func jobNames(e *testEnv, ns string) []string {
	var out []string
	for _, obj := range e.store.View().List("Job", ns, nil) {
		out = append(out, obj.GetObjectMeta().Name)
	}
	sort.Strings(out)
	return out
}

// runName is the Job a CronJob creates for the schedule time at.
func runName(cj string, at time.Time) string { return fmt.Sprintf("%s-%d", cj, at.Unix()/60) }

func wantJobs(t *testing.T, e *testEnv, ns string, names ...string) {
	t.Helper()
	sort.Strings(names)
	eventually(t, 10*time.Second, func() error {
		if got := jobNames(e, ns); fmt.Sprint(got) != fmt.Sprint(names) {
			return fmt.Errorf("jobs %v, want %v", got, names)
		}
		return nil
	})
}

// stillJobs checks the jobs stay as they are for a while (several
// resyncs).
func stillJobs(t *testing.T, e *testEnv, ns string, names ...string) {
	t.Helper()
	wantJobs(t, e, ns, names...)
	time.Sleep(300 * time.Millisecond)
	wantJobs(t, e, ns, names...)
}

// finishJob writes a Job's end, as its controller would.
func finishJob(t *testing.T, e *testEnv, ns, name, typ string, at time.Time) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
		j := api.Clone(getJob(e, ns, name))
		j.Status.Conditions = []api.Condition{{Type: typ, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(at)}}
		if typ == api.JobComplete {
			j.Status.CompletionTime = api.NewTime(at)
		}
		_, err := e.w.UpdateStatus(context.Background(), j)
		return err
	})
}

func getCronJob(e *testEnv, ns, name string) *api.CronJob {
	obj, _ := e.store.Get("CronJob", ns, name)
	cj, _ := obj.(*api.CronJob)
	return cj
}

func TestCronJobController(t *testing.T) {
	e := newBatchEnv(t)
	ctx := context.Background()
	// start runs a controller with its own clock for one subtest.
	start := func(t *testing.T) *fakeClock {
		clock := &fakeClock{now: time.Now()}
		c := &scheduler.CronJobController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger(),
			Now: clock.Now, Resync: 50 * time.Millisecond}
		run(t, c.Run)
		return clock
	}
	// create makes the CronJob; m(k) is the k-th whole minute after its
	// creation.
	create := func(t *testing.T, cj *api.CronJob) (api.Object, func(k int) time.Time) {
		t.Helper()
		obj, err := e.cl.Create(ctx, cj)
		if err != nil {
			t.Fatal(err)
		}
		base := obj.GetObjectMeta().CreationTimestamp.Truncate(time.Minute).Add(time.Minute)
		return obj, func(k int) time.Time { return base.Add(time.Duration(k-1) * time.Minute) }
	}

	t.Run("creates jobs at the scheduled minutes", func(t *testing.T) {
		ns := e.namespace(t, "cron-minutes")
		clock := start(t)
		cj, m := create(t, newCronJob(ns, "tick", "* * * * *", api.AllowConcurrent))
		stillJobs(t, e, ns)
		clock.Set(m(1).Add(10 * time.Second))
		wantJobs(t, e, ns, runName("tick", m(1)))
		j := getJob(e, ns, runName("tick", m(1)))
		if ref := controllerOf(j); ref == nil || ref.UID != cj.GetObjectMeta().UID || j.Labels["cron"] != "tick" ||
			j.Annotations[scheduler.CronJobScheduledAnnotation] != m(1).UTC().Format(time.RFC3339) {
			t.Errorf("job meta %+v", j.ObjectMeta)
		}
		clock.Set(m(1).Add(50 * time.Second))
		stillJobs(t, e, ns, runName("tick", m(1)))
		// Two minutes missed: only the latest runs.
		clock.Set(m(3).Add(5 * time.Second))
		wantJobs(t, e, ns, runName("tick", m(1)), runName("tick", m(3)))
		eventually(t, 5*time.Second, func() error {
			st := getCronJob(e, ns, "tick").Status
			if st.LastScheduleTime == nil || !st.LastScheduleTime.Equal(m(3)) || len(st.Active) != 2 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
	})

	t.Run("Forbid skips while a job runs", func(t *testing.T) {
		ns := e.namespace(t, "cron-forbid")
		clock := start(t)
		_, m := create(t, newCronJob(ns, "solo", "* * * * *", api.ForbidConcurrent))
		clock.Set(m(1).Add(5 * time.Second))
		wantJobs(t, e, ns, runName("solo", m(1)))
		clock.Set(m(2).Add(5 * time.Second))
		stillJobs(t, e, ns, runName("solo", m(1)))
		// Once it ends, the skipped time still starts (no deadline set).
		finishJob(t, e, ns, runName("solo", m(1)), api.JobComplete, m(2).Add(20*time.Second))
		wantJobs(t, e, ns, runName("solo", m(1)), runName("solo", m(2)))
		eventually(t, 5*time.Second, func() error {
			st := getCronJob(e, ns, "solo").Status
			if st.LastSuccessfulTime == nil || !st.LastSuccessfulTime.Equal(m(2).Add(20*time.Second)) || len(st.Active) != 1 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
	})

	t.Run("Replace replaces the running job", func(t *testing.T) {
		ns := e.namespace(t, "cron-replace")
		clock := start(t)
		_, m := create(t, newCronJob(ns, "swap", "* * * * *", api.ReplaceConcurrent))
		clock.Set(m(1).Add(5 * time.Second))
		wantJobs(t, e, ns, runName("swap", m(1)))
		clock.Set(m(2).Add(5 * time.Second))
		stillJobs(t, e, ns, runName("swap", m(2)))
	})

	t.Run("history limits", func(t *testing.T) {
		ns := e.namespace(t, "cron-history")
		clock := start(t)
		cj := newCronJob(ns, "hist", "* * * * *", api.AllowConcurrent)
		cj.Spec.SuccessfulJobsHistoryLimit = api.Ptr(int32(2))
		cj.Spec.FailedJobsHistoryLimit = api.Ptr(int32(1))
		_, m := create(t, cj)
		outcomes := []string{api.JobComplete, api.JobFailed, api.JobComplete, api.JobFailed, api.JobComplete, api.JobComplete}
		for k, o := range outcomes {
			clock.Set(m(k + 1).Add(5 * time.Second))
			name := runName("hist", m(k+1))
			eventually(t, 10*time.Second, func() error {
				if getJob(e, ns, name) == nil {
					return fmt.Errorf("no job %s; jobs %v", name, jobNames(e, ns))
				}
				return nil
			})
			finishJob(t, e, ns, name, o, m(k+1).Add(30*time.Second))
		}
		stillJobs(t, e, ns, runName("hist", m(4)), runName("hist", m(5)), runName("hist", m(6)))
	})

	t.Run("startingDeadlineSeconds skips a late run", func(t *testing.T) {
		ns := e.namespace(t, "cron-deadline")
		clock := start(t)
		cj := newCronJob(ns, "late", "* * * * *", api.AllowConcurrent)
		cj.Spec.StartingDeadlineSeconds = api.Ptr(int64(15))
		_, m := create(t, cj)
		clock.Set(m(1).Add(30 * time.Second))
		stillJobs(t, e, ns)
		clock.Set(m(2).Add(5 * time.Second))
		wantJobs(t, e, ns, runName("late", m(2)))
	})

	t.Run("suspend", func(t *testing.T) {
		ns := e.namespace(t, "cron-suspend")
		clock := start(t)
		cj := newCronJob(ns, "nap", "* * * * *", api.AllowConcurrent)
		cj.Spec.Suspend = api.Ptr(true)
		_, m := create(t, cj)
		clock.Set(m(1).Add(5 * time.Second))
		stillJobs(t, e, ns)
		eventually(t, 5*time.Second, func() error {
			u := api.Clone(getCronJob(e, ns, "nap"))
			u.Spec.Suspend = api.Ptr(false)
			_, err := e.cl.Update(ctx, u)
			return err
		})
		wantJobs(t, e, ns, runName("nap", m(1)))
	})

	t.Run("timeZone", func(t *testing.T) {
		tokyo, err := time.LoadLocation("Asia/Tokyo")
		if err != nil {
			t.Skip("no zone data")
		}
		ns := e.namespace(t, "cron-tz")
		clock := start(t)
		now := time.Now().In(tokyo)
		nine := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, tokyo)
		if !nine.After(now) {
			nine = nine.AddDate(0, 0, 1)
		}
		cj := newCronJob(ns, "tz", "0 9 * * *", api.AllowConcurrent)
		cj.Spec.TimeZone = api.Ptr("Asia/Tokyo")
		create(t, cj)
		clock.Set(nine.Add(-30 * time.Second))
		stillJobs(t, e, ns)
		clock.Set(nine.Add(5 * time.Second))
		wantJobs(t, e, ns, runName("tz", nine))
	})
}
