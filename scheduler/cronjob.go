package scheduler

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// CronJobScheduledAnnotation records on each Job the schedule time it runs
// for, as Kubernetes does.
const CronJobScheduledAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

// CronJobController creates each CronJob's Jobs on its schedule, with the
// semantics of Kubernetes batch/v1: the most recent schedule time missed
// since the last run starts one Job (older misses are not caught up), a
// run later than startingDeadlineSeconds is skipped, concurrencyPolicy
// decides what happens while a Job still runs, and finished Jobs beyond
// the history limits are deleted.
//
// The leader reads the clock here. A Job is named after its CronJob and
// the schedule time in Unix minutes, so its creation is idempotent: a new
// leader that makes the same decision gets AlreadyExists, which means the
// run already happened.
type CronJobController struct {
	Store  *state.Store
	Writer Writer
	Logger hclog.Logger
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Workers is how many CronJobs are synced at once (default 8).
	Workers int
	// Resync is the period of the full pass (default 30 s); each CronJob
	// is also looked at again when its next run is due.
	Resync time.Duration
}

// Run reconciles until ctx ends.
func (c *CronJobController) Run(ctx context.Context) {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	l := &ownerLoop{store: c.Store, logger: c.Logger, kind: "CronJob", workers: c.Workers,
		resync: c.Resync, keysFor: cronJobKeysFor, kinds: kindSet("CronJob", "Job"), sync: c.sync}
	l.run(ctx)
}

var cronJobKeysFor = keysForOwnerOf("CronJob", "Job")

// cronJobs sorts a CronJob's Jobs by state.
type cronJobs struct {
	active, succeeded, failed []*api.Job
}

func classifyCronJobs(view *state.ReadView, cj *api.CronJob) cronJobs {
	var out cronJobs
	for _, obj := range ownedBy(view, "Job", cj.Namespace, cj.UID) {
		j := obj.(*api.Job)
		switch {
		case isJobCondition(j, api.JobComplete):
			out.succeeded = append(out.succeeded, j)
		case isJobCondition(j, api.JobFailed):
			out.failed = append(out.failed, j)
		default:
			out.active = append(out.active, j)
		}
	}
	sort.Slice(out.active, func(a, b int) bool { return out.active[a].Name < out.active[b].Name })
	return out
}

func isJobCondition(j *api.Job, typ string) bool {
	c := api.FindCondition(j.Status.Conditions, typ)
	return c != nil && c.Status == api.ConditionTrue
}

func (c *CronJobController) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	view := c.Store.View()
	cj, ok := view.Get("CronJob", ns, name).(*api.CronJob)
	if !ok || cj.DeletionTimestamp != nil {
		return 0, nil
	}
	now := c.Now()
	jobs := classifyCronJobs(view, cj)
	st := cronJobStatus(cj, jobs)
	errs := []error{c.cleanHistory(ctx, view, cj, jobs)}
	if boolOf(cj.Spec.Suspend) {
		return 0, errors.Join(append(errs, c.writeStatus(ctx, cj, st))...)
	}
	sched, err := cronJobSchedule(cj)
	if err != nil {
		// Validation admits only good schedules; a zone missing on this
		// host is the likely cause. Nothing to retry until it changes.
		c.Logger.Warn("unusable schedule", "cronjob", key, "error", err)
		return 0, errors.Join(append(errs, c.writeStatus(ctx, cj, st))...)
	}
	since := cj.CreationTimestamp.Time
	if st.LastScheduleTime != nil {
		since = st.LastScheduleTime.Time
	}
	last, next := lastMissed(sched, since, now)
	var recheck time.Duration
	if !next.IsZero() {
		recheck = next.Sub(now) + 100*time.Millisecond
	}
	if last.IsZero() {
		return recheck, errors.Join(append(errs, c.writeStatus(ctx, cj, st))...)
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && now.Sub(last) > time.Duration(*d)*time.Second {
		c.Logger.Info("missed the starting deadline, skipping", "cronjob", key, "scheduled", last)
		return recheck, errors.Join(append(errs, c.writeStatus(ctx, cj, st))...)
	}
	jobName := fmt.Sprintf("%s-%d", cj.Name, last.Unix()/60)
	if existing, ok := view.Get("Job", ns, jobName).(*api.Job); ok {
		// Already run (by this or an earlier leader): only the status lags.
		if ref := controllerOf(&existing.ObjectMeta); ref != nil && ref.UID == cj.UID {
			st.LastScheduleTime = api.NewTime(last)
		}
		return recheck, errors.Join(append(errs, c.writeStatus(ctx, cj, st))...)
	}
	if len(jobs.active) > 0 {
		switch cj.Spec.ConcurrencyPolicy {
		case api.ForbidConcurrent:
			// Not recorded as run: when the active Job ends, this time may
			// still start, within the starting deadline, as in Kubernetes.
			c.Logger.Debug("a job still runs, forbidding another", "cronjob", key, "scheduled", last)
			return recheck, errors.Join(append(errs, c.writeStatus(ctx, cj, st))...)
		case api.ReplaceConcurrent:
			for _, j := range jobs.active {
				if err := deleteJobAndPods(ctx, c.Writer, view, j); err != nil {
					return 0, errors.Join(append(errs, fmt.Errorf("cronjob %s: replace %s: %w", key, j.Name, err))...)
				}
				c.Logger.Info("replaced a running job", "cronjob", key, "job", j.Name)
			}
			st.Active = nil
		}
	}
	created, err := c.Writer.Create(ctx, jobForSchedule(cj, jobName, last))
	switch {
	case errors.Is(err, api.ErrAlreadyExists):
		return 0, errors.Join(append(errs, err)...) // the next pass sees who holds the name
	case err != nil:
		return 0, errors.Join(append(errs, fmt.Errorf("cronjob %s: create job: %w", key, err))...)
	}
	waitForStore(ctx, c.Store, created)
	c.Logger.Info("created job", "cronjob", key, "job", jobName, "scheduled", last)
	m := created.GetObjectMeta()
	st.Active = append(st.Active, api.ObjectReference{Kind: "Job", APIVersion: "batch/v1",
		Namespace: m.Namespace, Name: m.Name, UID: m.UID})
	st.LastScheduleTime = api.NewTime(last)
	return recheck, errors.Join(append(errs, c.writeStatus(ctx, cj, st))...)
}

func cronJobSchedule(cj *api.CronJob) (cronSchedule, error) {
	loc := time.UTC
	if tz := cj.Spec.TimeZone; tz != nil && *tz != "" {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			return nil, fmt.Errorf("time zone %q: %w", *tz, err)
		}
		loc = l
	}
	return parseCron(cj.Spec.Schedule, loc)
}

// cronJobStatus lists the active Jobs and the last success; the schedule
// time is the caller's.
func cronJobStatus(cj *api.CronJob, jobs cronJobs) api.CronJobStatus {
	st := cj.Status
	st.Active = nil
	for _, j := range jobs.active {
		st.Active = append(st.Active, api.ObjectReference{Kind: "Job", APIVersion: "batch/v1",
			Namespace: j.Namespace, Name: j.Name, UID: j.UID})
	}
	for _, j := range jobs.succeeded {
		if t := j.Status.CompletionTime; t != nil && (st.LastSuccessfulTime == nil || t.After(st.LastSuccessfulTime.Time)) {
			st.LastSuccessfulTime = t
		}
	}
	return st
}

// cleanHistory deletes the oldest finished Jobs beyond the history limits.
func (c *CronJobController) cleanHistory(ctx context.Context, view *state.ReadView, cj *api.CronJob, jobs cronJobs) error {
	var errs []error
	for _, h := range []struct {
		jobs  []*api.Job
		limit *int32
	}{{jobs.succeeded, cj.Spec.SuccessfulJobsHistoryLimit}, {jobs.failed, cj.Spec.FailedJobsHistoryLimit}} {
		if h.limit == nil || len(h.jobs) <= int(*h.limit) {
			continue
		}
		sort.Slice(h.jobs, func(a, b int) bool {
			ta, tb := jobFinishTime(h.jobs[a]), jobFinishTime(h.jobs[b])
			if !ta.Equal(tb) {
				return ta.Before(tb)
			}
			return h.jobs[a].Name < h.jobs[b].Name
		})
		for _, j := range h.jobs[:len(h.jobs)-int(*h.limit)] {
			if err := deleteJobAndPods(ctx, c.Writer, view, j); err != nil {
				errs = append(errs, fmt.Errorf("cronjob %s: delete old job %s: %w", cj.Key(), j.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// jobForSchedule stamps out the Job of one schedule time.
func jobForSchedule(cj *api.CronJob, name string, at time.Time) *api.Job {
	tpl := &api.Job{ObjectMeta: cj.Spec.JobTemplate.ObjectMeta, Spec: cj.Spec.JobTemplate.Spec}
	tpl = api.Clone(tpl)
	ann := tpl.Annotations
	if ann == nil {
		ann = map[string]string{}
	}
	ann[CronJobScheduledAnnotation] = at.UTC().Format(time.RFC3339)
	return &api.Job{
		TypeMeta: api.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: api.ObjectMeta{
			Name:            name,
			Namespace:       cj.Namespace,
			Labels:          tpl.Labels,
			Annotations:     ann,
			OwnerReferences: []api.OwnerReference{controllerRef("batch/v1", "CronJob", &cj.ObjectMeta)},
		},
		Spec: tpl.Spec,
	}
}

func (c *CronJobController) writeStatus(ctx context.Context, cj *api.CronJob, st api.CronJobStatus) error {
	if reflect.DeepEqual(cj.Status, st) {
		return nil
	}
	u := api.Clone(cj)
	u.Status = st
	obj, err := c.Writer.UpdateStatus(ctx, u)
	if err != nil {
		return fmt.Errorf("cronjob %s: status: %w", cj.Key(), err)
	}
	waitForStore(ctx, c.Store, obj)
	return nil
}
