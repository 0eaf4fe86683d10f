package scheduler

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// Labels and annotations the Job controller stamps on its pods.
const (
	JobNameLabel          = "job-name"
	JobControllerUID      = "controller-uid"
	JobNameLabelK8s       = "batch.kubernetes.io/job-name"
	JobControllerUIDK8s   = "batch.kubernetes.io/controller-uid"
	JobCompletionIndex    = "batch.kubernetes.io/job-completion-index"
	JobCompletionIndexEnv = "JOB_COMPLETION_INDEX"
)

// Reasons of a Job's Failed condition.
const (
	ReasonBackoffLimitExceeded = "BackoffLimitExceeded"
	ReasonDeadlineExceeded     = "DeadlineExceeded"
)

// JobController runs each Job's pods to completion, with the semantics of
// Kubernetes batch/v1: at most parallelism pods at once, until completions
// succeed (each index once in Indexed mode), failing the Job past
// backoffLimit failed pods or activeDeadlineSeconds, and deleting it
// ttlSecondsAfterFinished after it ends.
//
// Successes are counted from the pods in the store, never from memory:
// finished pods are kept until the Job ends, and the counts recorded in
// the status (a write conditional on the Job's version) only ever grow,
// so a pod deleted after it was counted stays counted. New pods are
// limited to min(parallelism, completions - succeeded - active), read
// from the store that holds every earlier write, so a new leader carries
// on from the same numbers and never runs an extra completion.
type JobController struct {
	Store  *state.Store
	Writer Writer
	Logger hclog.Logger
	// Now is the clock (time.Now by default); the leader reads it here and
	// writes what it decided, never the FSM.
	Now func() time.Time
	// Workers is how many Jobs are synced at once (default 8).
	Workers int
	// Resync is the period of the full pass (default 30 s).
	Resync time.Duration
}

// Run reconciles until ctx ends.
func (c *JobController) Run(ctx context.Context) {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	l := &ownerLoop{store: c.Store, logger: c.Logger, kind: "Job", workers: c.Workers,
		resync: c.Resync, keysFor: jobKeysFor, kinds: kindSet("Job", "Pod"), sync: c.sync}
	l.run(ctx)
}

var jobKeysFor = keysForOwnerOf("Job", "Pod")

// jobPods sorts a Job's pods by state.
type jobPods struct {
	active, succeeded, failed []*api.Pod
}

func classifyJobPods(view *state.ReadView, job *api.Job) jobPods {
	var jp jobPods
	for _, obj := range ownedBy(view, "Pod", job.Namespace, job.UID) {
		p := obj.(*api.Pod)
		switch p.Status.Phase {
		case api.PodSucceeded:
			jp.succeeded = append(jp.succeeded, p)
		case api.PodFailed:
			jp.failed = append(jp.failed, p)
		default:
			// A pod being deleted still runs until its agent stops it:
			// count it, so no replacement overlaps it.
			jp.active = append(jp.active, p)
		}
	}
	return jp
}

func (c *JobController) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	view := c.Store.View()
	job, ok := view.Get("Job", ns, name).(*api.Job)
	if !ok || job.DeletionTimestamp != nil {
		return 0, nil
	}
	now := c.Now()
	if jobFinished(job) {
		return c.finished(ctx, job, classifyJobPods(view, job), now)
	}
	if job.Status.StartTime == nil && !boolOf(job.Spec.Suspend) {
		// Record the start first: the deadline counts from it on every
		// leader.
		u := api.Clone(job)
		u.Status.StartTime = api.NewTime(now)
		return 0, c.writeStatus(ctx, job, u.Status)
	}
	jp := classifyJobPods(view, job)
	st := countJob(job, jp)
	if cond := jobEnded(job, st, jp, now); cond != nil {
		st.Conditions = setJobCondition(st.Conditions, *cond)
		if cond.Type == api.JobComplete {
			st.CompletionTime = api.NewTime(now)
		}
		c.Logger.Info("job finished", "job", key, "condition", cond.Type, "reason", cond.Reason)
		return 0, c.writeStatus(ctx, job, st)
	}
	writeErr := c.manage(ctx, job, jp, st)
	view = c.Store.View()
	if cur, ok := view.Get("Job", ns, name).(*api.Job); ok && cur.UID == job.UID {
		job = cur
	}
	st = countJob(job, classifyJobPods(view, job))
	if err := c.writeStatus(ctx, job, st); err != nil {
		return 0, errors.Join(writeErr, err)
	}
	return untilDeadline(job, now), writeErr
}

// countJob derives the status counters from the pods, never letting a
// recorded count shrink (a counted pod may have been deleted since).
func countJob(job *api.Job, jp jobPods) api.JobStatus {
	st := job.Status
	st.UncountedTerminatedPods = nil
	st.Active = int32(len(jp.active))
	ready := int32(0)
	for _, p := range jp.active {
		if podReady(p) {
			ready++
		}
	}
	st.Ready = &ready
	st.Failed = max(st.Failed, jobFailures(job, jp))
	if isIndexed(job) {
		done := parseIndexes(st.CompletedIndexes, completionsOf(job))
		for _, p := range jp.succeeded {
			if i, ok := podIndex(p, completionsOf(job)); ok {
				done[i] = true
			}
		}
		st.CompletedIndexes = formatIndexes(done)
		st.Succeeded = int32(len(done))
	} else {
		st.Succeeded = max(st.Succeeded, int32(len(jp.succeeded)))
	}
	return st
}

// jobFailures counts failed pods and, under restartPolicy OnFailure, where
// a failing container restarts in place, the restarts too (as Kubernetes
// counts them against backoffLimit).
func jobFailures(job *api.Job, jp jobPods) int32 {
	n := int32(len(jp.failed))
	if job.Spec.Template.Spec.RestartPolicy != api.RestartOnFailure {
		return n
	}
	for _, group := range [][]*api.Pod{jp.active, jp.succeeded, jp.failed} {
		for _, p := range group {
			for _, cs := range p.Status.InitContainerStatuses {
				n += cs.RestartCount
			}
			for _, cs := range p.Status.ContainerStatuses {
				n += cs.RestartCount
			}
		}
	}
	return n
}

// jobEnded returns the condition that ends the Job now, or nil.
func jobEnded(job *api.Job, st api.JobStatus, jp jobPods, now time.Time) *api.Condition {
	cond := func(typ, reason, msg string) *api.Condition {
		return &api.Condition{Type: typ, Status: api.ConditionTrue, Reason: reason, Message: msg,
			LastProbeTime: api.NewTime(now), LastTransitionTime: api.NewTime(now)}
	}
	if limit := job.Spec.BackoffLimit; limit != nil && st.Failed > *limit {
		return cond(api.JobFailed, ReasonBackoffLimitExceeded, "Job has reached the specified backoff limit")
	}
	if d := job.Spec.ActiveDeadlineSeconds; d != nil && st.StartTime != nil &&
		!now.Before(st.StartTime.Add(time.Duration(*d)*time.Second)) {
		return cond(api.JobFailed, ReasonDeadlineExceeded, "Job was active longer than specified deadline")
	}
	if job.Spec.Completions != nil {
		if st.Succeeded >= *job.Spec.Completions {
			return cond(api.JobComplete, "CompletionsReached", "Reached expected number of succeeded pods")
		}
	} else if st.Succeeded > 0 && len(jp.active) == 0 {
		// A work queue: done when one pod succeeded and none still run.
		return cond(api.JobComplete, "CompletionsReached", "Reached expected number of succeeded pods")
	}
	return nil
}

// manage creates the missing pods and deletes the surplus of a running
// Job.
func (c *JobController) manage(ctx context.Context, job *api.Job, jp jobPods, st api.JobStatus) error {
	if boolOf(job.Spec.Suspend) {
		return c.deletePods(ctx, job, jp.active, "suspended")
	}
	par := int(parallelismOf(job))
	if isIndexed(job) {
		return c.manageIndexed(ctx, job, jp, st, par)
	}
	want := par
	if job.Spec.Completions != nil {
		want = min(par, int(*job.Spec.Completions-st.Succeeded))
	} else if st.Succeeded > 0 {
		want = len(jp.active) // a work queue that succeeded starts nothing new
	}
	switch diff := len(jp.active) - want; {
	case diff < 0:
		return c.createPods(ctx, job, make([]int, min(-diff, maxBurst)), false)
	case diff > 0:
		surplus := deletable(jp.active)
		rankForDeletion(surplus)
		return c.deletePods(ctx, job, surplus[:min(diff, len(surplus))], "surplus")
	}
	return nil
}

// manageIndexed gives each index not yet completed one pod, lowest first,
// with at most par running.
func (c *JobController) manageIndexed(ctx context.Context, job *api.Job, jp jobPods, st api.JobStatus, par int) error {
	n := int(completionsOf(job))
	done := parseIndexes(st.CompletedIndexes, int32(n))
	running := map[int]bool{}
	var extra []*api.Pod
	for _, p := range jp.active {
		i, ok := podIndex(p, int32(n))
		if !ok || done[i] || running[i] {
			extra = append(extra, p) // a duplicate, or an index already done
			continue
		}
		running[i] = true
	}
	var errs []error
	if len(extra) > 0 {
		errs = append(errs, c.deletePods(ctx, job, deletable(extra), "duplicate index"))
	}
	var todo []int
	for i := 0; i < n && len(running)+len(todo) < par && len(todo) < maxBurst; i++ {
		if !done[i] && !running[i] {
			todo = append(todo, i)
		}
	}
	if len(todo) > 0 {
		errs = append(errs, c.createPods(ctx, job, todo, true))
	}
	if surplus := len(running) - par; surplus > 0 {
		act := deletable(jp.active)
		rankForDeletion(act)
		errs = append(errs, c.deletePods(ctx, job, act[:min(surplus, len(act))], "surplus"))
	}
	return errors.Join(errs...)
}

// deletable drops pods already being deleted.
func deletable(pods []*api.Pod) []*api.Pod {
	var out []*api.Pod
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func (c *JobController) createPods(ctx context.Context, job *api.Job, indexes []int, indexed bool) error {
	created := make([]api.Object, len(indexes))
	ok, err := parallel(ctx, len(indexes), func(ctx context.Context, i int) error {
		idx := -1
		if indexed {
			idx = indexes[i]
		}
		obj, err := c.Writer.Create(ctx, jobPod(job, idx))
		created[i] = obj
		return err
	})
	waitForStore(ctx, c.Store, created...)
	c.Logger.Debug("created pods", "job", job.Key(), "count", ok, "wanted", len(indexes))
	if err != nil {
		return fmt.Errorf("job %s: created %d of %d pods: %w", job.Key(), ok, len(indexes), err)
	}
	return nil
}

// jobPod stamps out one pod of job; index < 0 outside Indexed mode.
func jobPod(job *api.Job, index int) *api.Pod {
	tpl := cloneTemplate(&job.Spec.Template)
	labels := map[string]string{}
	for k, v := range tpl.Labels {
		labels[k] = v
	}
	labels[JobNameLabel], labels[JobNameLabelK8s] = job.Name, job.Name
	labels[JobControllerUID], labels[JobControllerUIDK8s] = job.UID, job.UID
	base := job.Name + "-"
	if index >= 0 {
		s := fmt.Sprint(index)
		if tpl.Annotations == nil {
			tpl.Annotations = map[string]string{}
		}
		tpl.Annotations[JobCompletionIndex] = s
		labels[JobCompletionIndex] = s
		base = job.Name + "-" + s + "-"
		env := api.EnvVar{Name: JobCompletionIndexEnv, Value: s}
		for i := range tpl.Spec.InitContainers {
			tpl.Spec.InitContainers[i].Env = append(tpl.Spec.InitContainers[i].Env, env)
		}
		for i := range tpl.Spec.Containers {
			tpl.Spec.Containers[i].Env = append(tpl.Spec.Containers[i].Env, env)
		}
	}
	p := &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			Name:            generatedName(base),
			Namespace:       job.Namespace,
			Labels:          labels,
			Annotations:     tpl.Annotations,
			Finalizers:      tpl.Finalizers,
			OwnerReferences: []api.OwnerReference{controllerRef("batch/v1", "Job", &job.ObjectMeta)},
		},
		Spec: tpl.Spec,
	}
	p.Spec.NodeName = ""
	return p
}

func (c *JobController) deletePods(ctx context.Context, job *api.Job, pods []*api.Pod, why string) error {
	return deletePodsOf(ctx, c.Writer, c.Logger, "job "+job.Key(), pods, why)
}

// finished stops what still runs of an ended Job and, past its TTL,
// deletes it with its pods.
func (c *JobController) finished(ctx context.Context, job *api.Job, jp jobPods, now time.Time) (time.Duration, error) {
	if err := c.deletePods(ctx, job, deletable(jp.active), "job finished"); err != nil {
		return 0, err
	}
	// Active falls as the stopped pods go: they stay, terminating, until
	// their nodes stopped them, and each change brings the Job here again.
	view := c.Store.View()
	if cur, ok := view.Get("Job", job.Namespace, job.Name).(*api.Job); ok && cur.UID == job.UID {
		if active := int32(len(classifyJobPods(view, cur).active)); active != cur.Status.Active {
			st := cur.Status
			st.Active = active
			if err := c.writeStatus(ctx, cur, st); err != nil {
				return 0, err
			}
		}
	}
	ttl := job.Spec.TTLSecondsAfterFinished
	if ttl == nil {
		return 0, nil
	}
	at := jobFinishTime(job).Add(time.Duration(*ttl) * time.Second)
	if wait := at.Sub(now); wait > 0 {
		return wait, nil
	}
	c.Logger.Info("job ttl expired, deleting", "job", job.Key())
	return 0, deleteJobAndPods(ctx, c.Writer, c.Store.View(), job)
}

// deleteJobAndPods deletes a Job's pods, then the Job at the version read.
func deleteJobAndPods(ctx context.Context, w Writer, view *state.ReadView, job *api.Job) error {
	var errs []error
	for _, obj := range ownedBy(view, "Pod", job.Namespace, job.UID) {
		m := obj.GetObjectMeta()
		if err := w.Delete(ctx, "Pod", m.Namespace, m.Name, m.ResourceVersion, m.UID); err != nil && !errors.Is(err, api.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	err := w.Delete(ctx, "Job", job.Namespace, job.Name, job.ResourceVersion, job.UID)
	if errors.Is(err, api.ErrNotFound) {
		return nil
	}
	return err
}

func (c *JobController) writeStatus(ctx context.Context, job *api.Job, st api.JobStatus) error {
	if reflect.DeepEqual(job.Status, st) {
		return nil
	}
	u := api.Clone(job)
	u.Status = st
	obj, err := c.Writer.UpdateStatus(ctx, u)
	if err != nil {
		return fmt.Errorf("job %s: status: %w", job.Key(), err)
	}
	waitForStore(ctx, c.Store, obj)
	return nil
}

// untilDeadline is how long until the active deadline passes (0 = none).
func untilDeadline(job *api.Job, now time.Time) time.Duration {
	d := job.Spec.ActiveDeadlineSeconds
	if d == nil || job.Status.StartTime == nil {
		return 0
	}
	return max(job.Status.StartTime.Add(time.Duration(*d)*time.Second).Sub(now), 10*time.Millisecond)
}

func jobFinished(job *api.Job) bool {
	for _, typ := range []string{api.JobComplete, api.JobFailed} {
		if c := api.FindCondition(job.Status.Conditions, typ); c != nil && c.Status == api.ConditionTrue {
			return true
		}
	}
	return false
}

// jobFinishTime is when the Job ended: its completion time, or when it
// failed.
func jobFinishTime(job *api.Job) time.Time {
	if t := job.Status.CompletionTime; t != nil {
		return t.Time
	}
	if c := api.FindCondition(job.Status.Conditions, api.JobFailed); c != nil && c.LastTransitionTime != nil {
		return c.LastTransitionTime.Time
	}
	return job.CreationTimestamp.Time
}

// setJobCondition replaces the condition of c's type, or appends it.
func setJobCondition(conds []api.Condition, c api.Condition) []api.Condition {
	out := append([]api.Condition(nil), conds...)
	if cur := api.FindCondition(out, c.Type); cur != nil {
		*cur = c
		return out
	}
	return append(out, c)
}

func isIndexed(job *api.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == api.IndexedCompletion
}

func completionsOf(job *api.Job) int32 {
	if job.Spec.Completions == nil {
		return 1
	}
	return *job.Spec.Completions
}

func parallelismOf(job *api.Job) int32 {
	if job.Spec.Parallelism == nil {
		return 1
	}
	return *job.Spec.Parallelism
}

func boolOf(b *bool) bool { return b != nil && *b }

// podIndex reads a pod's completion index, if valid for n completions.
func podIndex(p *api.Pod, n int32) (int, bool) {
	s, ok := p.Annotations[JobCompletionIndex]
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= int(n) {
		return 0, false
	}
	return i, true
}

// parseIndexes reads a completedIndexes list ("1,3-5,7"), keeping indexes
// below n.
func parseIndexes(s string, n int32) map[int]bool {
	out := map[int]bool{}
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := a; i <= b && i < int(n); i++ {
			out[i] = true
		}
	}
	return out
}

// formatIndexes writes a set of indexes as Kubernetes does: ascending,
// runs as ranges ("1,3-5,7").
func formatIndexes(set map[int]bool) string {
	idx := make([]int, 0, len(set))
	for i := range set {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		switch {
		case j == i:
			fmt.Fprint(&b, idx[i])
		default:
			fmt.Fprintf(&b, "%d-%d", idx[i], idx[j])
		}
		i = j + 1
	}
	return b.String()
}
