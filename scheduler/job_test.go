package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
	"github.com/barque-io/barque/scheduler"
	"github.com/hashicorp/go-hclog"
)

// newBatchEnv is newTestEnv for the batch controllers: the servers must
// not run their own Job and CronJob controllers.
func newBatchEnv(t *testing.T) *testEnv {
	t.Helper()
	c := cluster.New(t, 3, cluster.Options{DisabledControllers: []string{"replicaset", "deployment", "job", "cronjob"}})
	leader := c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: []string{leader.APIURL()}})
	if err != nil {
		t.Fatal(err)
	}
	store := leader.Server().Node().Store()
	eventually(t, 10*time.Second, func() error {
		if obj, _ := store.Get("Namespace", "", "default"); obj == nil {
			return errors.New("no default namespace yet")
		}
		return nil
	})
	return &testEnv{c: c, cl: cl, store: store, w: &clientWriter{cl: cl, store: store}}
}

// jobKubelet ends the pods of one namespace after delay with the phase
// decide returns ("" leaves a pod running), as an agent running them to
// the end would.
type jobKubelet struct {
	e      *testEnv
	ns     string
	delay  time.Duration
	decide func(p *api.Pod) api.PodPhase
}

func startJobKubelet(t *testing.T, e *testEnv, ns string, delay time.Duration, decide func(p *api.Pod) api.PodPhase) {
	k := &jobKubelet{e: e, ns: ns, delay: delay, decide: decide}
	run(t, k.run)
}

func (k *jobKubelet) run(ctx context.Context) {
	for {
		ch := k.e.store.Changed()
		wait := time.Second
		for _, obj := range k.e.store.View().List("Pod", k.ns, nil) {
			p := obj.(*api.Pod)
			if api.PodIsTerminal(p) || p.DeletionTimestamp != nil {
				continue
			}
			if age := time.Since(p.CreationTimestamp.Time); age < k.delay {
				wait = min(wait, k.delay-age)
				continue
			}
			if phase := k.decide(p); phase != "" {
				_ = markPhase(ctx, k.e, p, phase, "")
			}
		}
		select {
		case <-ch:
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
}

func always(phase api.PodPhase) func(*api.Pod) api.PodPhase {
	return func(*api.Pod) api.PodPhase { return phase }
}

func newJob(ns, name string, completions, parallelism int32) *api.Job {
	tpl := testTemplate(map[string]string{"app": name}, "busybox:1.36")
	tpl.Spec.RestartPolicy = api.RestartNever
	return &api.Job{
		TypeMeta:   api.TypeMeta{Kind: "Job", APIVersion: "batch/v1"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec:       api.JobSpec{Completions: api.Ptr(completions), Parallelism: api.Ptr(parallelism), Template: tpl},
	}
}

func getJob(e *testEnv, ns, name string) *api.Job {
	obj, _ := e.store.Get("Job", ns, name)
	j, _ := obj.(*api.Job)
	return j
}

// jobCondition waits for the Job to end with the condition and reason.
func jobCondition(t *testing.T, e *testEnv, ns, name, typ, reason string) *api.Job {
	t.Helper()
	var job *api.Job
	eventually(t, 20*time.Second, func() error {
		job = getJob(e, ns, name)
		if job == nil {
			return errors.New("no job")
		}
		c := api.FindCondition(job.Status.Conditions, typ)
		if c == nil || c.Status != api.ConditionTrue || (reason != "" && c.Reason != reason) {
			return fmt.Errorf("status %+v", job.Status)
		}
		return nil
	})
	return job
}

func podsByPhase(e *testEnv, ns string) map[api.PodPhase][]*api.Pod {
	out := map[api.PodPhase][]*api.Pod{}
	for _, obj := range e.store.View().List("Pod", ns, nil) {
		p := obj.(*api.Pod)
		out[p.Status.Phase] = append(out[p.Status.Phase], p)
	}
	return out
}

// boundActive fails at any log index where more than par pods of ns run,
// or more than succ have succeeded.
func boundActive(t *testing.T, e *testEnv, ns string, par, succ int) *podMonitor {
	return monitorPods(t, e.store, ns, func(pods map[string]*api.Pod) string {
		active, done := 0, 0
		for _, p := range pods {
			switch p.Status.Phase {
			case api.PodSucceeded:
				done++
			case api.PodFailed:
			default:
				active++
			}
		}
		if active > par || done > succ {
			return fmt.Sprintf("%d active (max %d), %d succeeded (max %d)", active, par, done, succ)
		}
		return ""
	})
}

func checkMonitor(t *testing.T, m *podMonitor) {
	t.Helper()
	for _, v := range m.errors() {
		t.Error(v)
	}
}

func TestJobController(t *testing.T) {
	e := newBatchEnv(t)
	jc := &scheduler.JobController{Store: e.store, Writer: e.w, Logger: hclog.NewNullLogger()}
	run(t, jc.Run)
	ctx := context.Background()

	t.Run("completions 5 parallelism 2", func(t *testing.T) {
		ns := e.namespace(t, "job-complete")
		mon := boundActive(t, e, ns, 2, 5)
		startJobKubelet(t, e, ns, 50*time.Millisecond, always(api.PodSucceeded))
		created, err := e.cl.Create(ctx, newJob(ns, "pi", 5, 2))
		if err != nil {
			t.Fatal(err)
		}
		job := jobCondition(t, e, ns, "pi", api.JobComplete, "")
		st := job.Status
		if st.Succeeded != 5 || st.Active != 0 || st.Failed != 0 || st.StartTime == nil || st.CompletionTime == nil {
			t.Errorf("status %+v", st)
		}
		time.Sleep(300 * time.Millisecond) // more passes change nothing
		pods := podsByPhase(e, ns)
		if len(pods[api.PodSucceeded]) != 5 || len(e.store.View().List("Pod", ns, nil)) != 5 {
			t.Errorf("pods by phase: %d succeeded of %d", len(pods[api.PodSucceeded]), len(e.store.View().List("Pod", ns, nil)))
		}
		for _, p := range pods[api.PodSucceeded] {
			ref := controllerOf(p)
			if ref == nil || ref.Kind != "Job" || ref.UID != created.GetObjectMeta().UID ||
				p.Labels["job-name"] != "pi" || p.Labels["controller-uid"] != created.GetObjectMeta().UID || p.Labels["app"] != "pi" {
				t.Errorf("pod %s: owner %+v labels %v", p.Name, p.OwnerReferences, p.Labels)
			}
			if p.Spec.RestartPolicy != api.RestartNever {
				t.Errorf("pod %s restartPolicy %q", p.Name, p.Spec.RestartPolicy)
			}
		}
		checkMonitor(t, mon)
	})

	t.Run("a counted success stays counted after its pod is deleted", func(t *testing.T) {
		ns := e.namespace(t, "job-deleted-success")
		first := true
		startJobKubelet(t, e, ns, 50*time.Millisecond, func(*api.Pod) api.PodPhase {
			if first {
				first = false
				return api.PodSucceeded
			}
			return ""
		})
		if _, err := e.cl.Create(ctx, newJob(ns, "keep", 3, 1)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("succeeded", int(getJob(e, ns, "keep").Status.Succeeded), 1) })
		p := podsByPhase(e, ns)[api.PodSucceeded][0]
		if err := e.cl.Delete(ctx, "Pod", ns, p.Name, clientDelete()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("running", len(podsByPhase(e, ns)[api.PodPending]), 1) })
		time.Sleep(200 * time.Millisecond)
		if st := getJob(e, ns, "keep").Status; st.Succeeded != 1 || st.Active != 1 {
			t.Errorf("status %+v", st)
		}
	})

	t.Run("backoffLimit", func(t *testing.T) {
		ns := e.namespace(t, "job-backoff")
		startJobKubelet(t, e, ns, 20*time.Millisecond, always(api.PodFailed))
		j := newJob(ns, "flaky", 1, 1)
		j.Spec.BackoffLimit = api.Ptr(int32(2))
		if _, err := e.cl.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		job := jobCondition(t, e, ns, "flaky", api.JobFailed, scheduler.ReasonBackoffLimitExceeded)
		if st := job.Status; st.Failed != 3 || st.Succeeded != 0 || st.CompletionTime != nil {
			t.Errorf("status %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(e.store.View().List("Pod", ns, nil)); n != 3 {
			t.Errorf("%d pods, want the 3 failed", n)
		}
	})

	t.Run("OnFailure restarts count against backoffLimit", func(t *testing.T) {
		ns := e.namespace(t, "job-onfailure")
		j := newJob(ns, "restarts", 1, 1)
		j.Spec.BackoffLimit = api.Ptr(int32(1))
		j.Spec.Template.Spec.RestartPolicy = api.RestartOnFailure
		if _, err := e.cl.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error { return countf("pods", len(podsByPhase(e, ns)[api.PodPending]), 1) })
		p := podsByPhase(e, ns)[api.PodPending][0]
		if err := e.updatePodStatus(ctx, p, func(q *api.Pod) {
			q.Status.Phase = api.PodRunning
			q.Status.ContainerStatuses = []api.ContainerStatus{{Name: "app", RestartCount: 2}}
		}); err != nil {
			t.Fatal(err)
		}
		job := jobCondition(t, e, ns, "restarts", api.JobFailed, scheduler.ReasonBackoffLimitExceeded)
		if job.Status.Failed != 2 {
			t.Errorf("status %+v", job.Status)
		}
		eventually(t, 10*time.Second, func() error { return countf("pods", len(e.store.View().List("Pod", ns, nil)), 0) })
	})

	t.Run("Indexed completes each index once", func(t *testing.T) {
		ns := e.namespace(t, "job-indexed")
		mon := boundActive(t, e, ns, 2, 4)
		failedOnce := false
		startJobKubelet(t, e, ns, 30*time.Millisecond, func(p *api.Pod) api.PodPhase {
			if p.Annotations[scheduler.JobCompletionIndex] == "2" && !failedOnce {
				failedOnce = true
				return api.PodFailed
			}
			return api.PodSucceeded
		})
		j := newJob(ns, "idx", 4, 2)
		j.Spec.CompletionMode = api.Ptr(api.IndexedCompletion)
		if _, err := e.cl.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		job := jobCondition(t, e, ns, "idx", api.JobComplete, "")
		if st := job.Status; st.Succeeded != 4 || st.Failed != 1 || st.CompletedIndexes != "0-3" {
			t.Errorf("status %+v", st)
		}
		var idx []string
		for _, p := range podsByPhase(e, ns)[api.PodSucceeded] {
			i := p.Annotations[scheduler.JobCompletionIndex]
			idx = append(idx, i)
			env := p.Spec.Containers[0].Env
			if len(env) == 0 || env[len(env)-1].Name != "JOB_COMPLETION_INDEX" || env[len(env)-1].Value != i {
				t.Errorf("pod %s env %+v", p.Name, env)
			}
		}
		sort.Strings(idx)
		if fmt.Sprint(idx) != "[0 1 2 3]" {
			t.Errorf("succeeded indexes %v", idx)
		}
		checkMonitor(t, mon)
	})

	t.Run("activeDeadlineSeconds", func(t *testing.T) {
		ns := e.namespace(t, "job-deadline")
		// The Job is active for only about two seconds, which a poller on a
		// loaded machine can miss; a watch sees every committed version.
		w, err := e.cl.Watch(ctx, "Job", ns, client.WatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		j := newJob(ns, "slow", 3, 3)
		// Two seconds: with one, a loaded CI machine once let the deadline
		// pass between the start and the pods' creation, so the Job
		// failed before it ever reported them active.
		j.Spec.ActiveDeadlineSeconds = api.Ptr(int64(2))
		if _, err := e.cl.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		job := jobCondition(t, e, ns, "slow", api.JobFailed, scheduler.ReasonDeadlineExceeded)
		maxActive := 0
		for ev := range w.Events() {
			if jb, ok := ev.Object.(*api.Job); ok {
				maxActive = max(maxActive, int(jb.Status.Active))
				if api.FindCondition(jb.Status.Conditions, api.JobFailed) != nil {
					break
				}
			}
		}
		if maxActive != 3 {
			t.Errorf("at most %d pods active before the deadline, want 3", maxActive)
		}
		eventually(t, 10*time.Second, func() error {
			return countf("pods", len(e.store.View().List("Pod", ns, nil)), 0)
		})
		eventually(t, 10*time.Second, func() error { return countf("active", int(getJob(e, ns, "slow").Status.Active), 0) })
		if d := job.Status.Conditions[0].LastTransitionTime.Sub(job.Status.StartTime.Time); d < 2*time.Second || d > 4*time.Second {
			t.Errorf("failed %v after start", d)
		}
	})

	t.Run("ttlSecondsAfterFinished", func(t *testing.T) {
		ns := e.namespace(t, "job-ttl")
		startJobKubelet(t, e, ns, 20*time.Millisecond, always(api.PodSucceeded))
		j := newJob(ns, "brief", 2, 2)
		j.Spec.TTLSecondsAfterFinished = api.Ptr(int32(1))
		if _, err := e.cl.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		jobCondition(t, e, ns, "brief", api.JobComplete, "")
		eventually(t, 10*time.Second, func() error {
			if getJob(e, ns, "brief") != nil {
				return errors.New("job still there")
			}
			return countf("pods", len(e.store.View().List("Pod", ns, nil)), 0)
		})
	})
}
