package jobspec

import (
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
)

// Labels every generated object and pod carries.
const (
	LabelJob   = "barque.io/job"
	LabelGroup = "barque.io/group"
)

// Objects maps the job to Barque objects, per group: the ConfigMaps of its
// templates, then its workload (Deployment, Job, DaemonSet or CronJob),
// then a Service per service block. See the package comment.
func (j *Job) Objects() ([]api.Object, error) {
	if j.Periodic != nil && j.Type != TypeBatch {
		return nil, fmt.Errorf("job %q: a periodic block needs type = \"batch\", not %q", j.Name, j.Type)
	}
	var out []api.Object
	for _, g := range j.Groups {
		objs, err := j.groupObjects(g)
		if err != nil {
			return nil, fmt.Errorf("job %q group %q: %w", j.Name, g.Name, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func (j *Job) groupObjects(g *Group) ([]api.Object, error) {
	tmpl, cms, err := j.podTemplate(g)
	if err == nil {
		cms, err = j.dispatchAnnotations(g, &tmpl, cms)
	}
	if err != nil {
		return nil, err
	}
	out := append([]api.Object(nil), cms...)
	w, err := j.workload(g, tmpl)
	if err != nil {
		return nil, err
	}
	out = append(out, w...)
	svcs, err := j.services(g)
	if err != nil {
		return nil, err
	}
	return append(out, svcs...), nil
}

// objectName is <job>-<group>, or just the job's name when the group has it.
func (j *Job) objectName(g *Group) string {
	if g.Name == j.Name {
		return j.Name
	}
	return j.Name + "-" + g.Name
}

func (j *Job) meta(g *Group, name string) api.ObjectMeta {
	return api.ObjectMeta{Name: name, Namespace: j.Namespace, Labels: j.labels(g)}
}

func (j *Job) labels(g *Group) map[string]string {
	return map[string]string{LabelJob: j.Name, LabelGroup: g.Name}
}

func (j *Job) workload(g *Group, tmpl api.PodTemplateSpec) ([]api.Object, error) {
	name, sel := j.objectName(g), &api.LabelSelector{MatchLabels: j.labels(g)}
	if u := j.updateFor(g); u != nil && u.Canary > 0 && j.Type != TypeService {
		return nil, unsupportedf("update canary in a %s job: only service jobs (Deployments) have canaries", j.Type)
	}
	switch {
	case j.Type == TypeService && len(g.Volumes) > 0:
		return []api.Object{j.statefulSet(g, name, sel, tmpl)}, nil
	case j.Type == TypeService:
		d := &api.Deployment{TypeMeta: typeMeta("apps/v1", "Deployment"), ObjectMeta: j.meta(g, name),
			Spec: api.DeploymentSpec{Replicas: ptr(count(g)), Selector: sel, Template: tmpl}}
		deploymentUpdate(&d.Spec, j.updateFor(g))
		return []api.Object{d}, nil
	case j.Type == TypeSystem:
		ds := &api.DaemonSet{TypeMeta: typeMeta("apps/v1", "DaemonSet"), ObjectMeta: j.meta(g, name),
			Spec: api.DaemonSetSpec{Selector: sel, Template: tmpl}}
		daemonSetUpdate(&ds.Spec, j.updateFor(g))
		return []api.Object{ds}, nil
	case j.Type == TypeSysbatch:
		// A run-once DaemonSet: one pod to completion on each eligible
		// node, including nodes that join later, as Nomad's sysbatch.
		ds := &api.DaemonSet{TypeMeta: typeMeta("apps/v1", "DaemonSet"), ObjectMeta: j.meta(g, name),
			Spec: api.DaemonSetSpec{Selector: sel, Template: tmpl}}
		ds.Annotations = map[string]string{api.AnnotationRunOncePerNode: "true"}
		return []api.Object{ds}, nil
	case j.Periodic != nil:
		return j.cronJobs(g, name, tmpl)
	}
	return []api.Object{&api.Job{TypeMeta: typeMeta("batch/v1", "Job"), ObjectMeta: j.meta(g, name),
		Spec: batchSpec(g, tmpl)}}, nil
}

func batchSpec(g *Group, tmpl api.PodTemplateSpec) api.JobSpec {
	n := count(g)
	spec := api.JobSpec{Completions: ptr(n), Parallelism: ptr(n), Template: tmpl}
	if g.Restart != nil && g.Restart.Attempts != nil {
		spec.BackoffLimit = ptr(int32(*g.Restart.Attempts))
	}
	return spec
}

// cronJobs makes one CronJob per cron expression (name-0, name-1… when
// there are several).
func (j *Job) cronJobs(g *Group, name string, tmpl api.PodTemplateSpec) ([]api.Object, error) {
	p := j.Periodic
	crons := append([]string(nil), p.Crons...)
	if p.Cron != "" {
		crons = append(crons, p.Cron)
	}
	if len(crons) == 0 {
		return nil, fmt.Errorf("periodic block needs cron or crons")
	}
	var out []api.Object
	for i, cron := range crons {
		cj := &api.CronJob{TypeMeta: typeMeta("batch/v1", "CronJob"), ObjectMeta: j.meta(g, name),
			Spec: api.CronJobSpec{Schedule: cron, ConcurrencyPolicy: api.AllowConcurrent,
				JobTemplate: api.JobTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: j.labels(g)}, Spec: batchSpec(g, tmpl)}}}
		if len(crons) > 1 {
			cj.Name = fmt.Sprintf("%s-%d", name, i)
		}
		if p.TimeZone != "" {
			cj.Spec.TimeZone = ptr(p.TimeZone)
		}
		if p.ProhibitOverlap {
			cj.Spec.ConcurrencyPolicy = api.ForbidConcurrent
		}
		if p.Enabled != nil && !*p.Enabled {
			cj.Spec.Suspend = ptr(true)
		}
		out = append(out, cj)
	}
	return out, nil
}

// updateFor is the group's update block, else the job's.
func (j *Job) updateFor(g *Group) *Update {
	if g.Update != nil {
		return g.Update
	}
	return j.Update
}

// deploymentUpdate maps Nomad's update block: max_parallel allocations are
// replaced at a time (maxUnavailable, no surge, as Nomad's non-canary
// updates stop an old allocation before placing its replacement),
// min_healthy_time is minReadySeconds, progress_deadline the deadline,
// canary, auto_promote and auto_revert the canary step
// (spec.strategy.canary), after whose promotion the max_parallel
// replacement proceeds. auto_revert without canaries is only a warning
// (see updateWarnings).
func deploymentUpdate(spec *api.DeploymentSpec, u *Update) {
	if u == nil {
		return
	}
	if u.MaxParallel != nil {
		spec.Strategy = api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategy,
			RollingUpdate: &api.RollingUpdateDeployment{MaxUnavailable: ptr(api.FromInt(*u.MaxParallel)),
				MaxSurge: ptr(api.FromInt(0))}}
	}
	if u.Canary > 0 {
		spec.Strategy.Canary = &api.DeploymentCanary{Replicas: int32(u.Canary), AutoPromote: u.AutoPromote,
			AutoRevert: u.AutoRevert}
	}
	spec.MinReadySeconds = int32(seconds(u.MinHealthyTime))
	if s := seconds(u.ProgressDeadline); s > 0 {
		spec.ProgressDeadlineSeconds = ptr(int32(s))
	}
}

func daemonSetUpdate(spec *api.DaemonSetSpec, u *Update) {
	if u == nil {
		return
	}
	if u.MaxParallel != nil {
		spec.UpdateStrategy = api.DaemonSetUpdateStrategy{Type: api.RollingUpdateStrategyType,
			RollingUpdate: &api.RollingUpdateDaemonSet{MaxUnavailable: ptr(api.FromInt(*u.MaxParallel))}}
	}
	spec.MinReadySeconds = int32(seconds(u.MinHealthyTime))
}

func count(g *Group) int32 {
	if g.Count == nil {
		return 1
	}
	return int32(*g.Count)
}

func typeMeta(apiVersion, kind string) api.TypeMeta {
	return api.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// seconds reads a validated duration, rounded up to whole seconds.
func seconds(s string) int64 {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

func ptr[T any](v T) *T { return &v }
