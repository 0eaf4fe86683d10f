package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// TestExamples runs every file of examples/ on one cluster (three server
// processes, two agents), as the README tells users to, and checks what
// each is meant to show. The examples run side by side to keep the test
// short.
func TestExamples(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	c.startAgent("n2")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	waitNodeReady(ctx, t, cl, "n2", api.ConditionTrue)
	ex := &examples{env: []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}, cl: cl, ctx: ctx, dir: c.dir}

	runners := map[string]func(*testing.T){
		"web.nomad.hcl":      ex.webJob,
		"k8s/web.yaml":       ex.webManifests,
		"batch.nomad.hcl":    ex.batch,
		"system.nomad.hcl":   ex.system,
		"sysbatch.nomad.hcl": ex.sysbatch,
		"periodic.nomad.hcl": ex.periodic,
		"stateful.nomad.hcl": ex.stateful,
		"hello.yaml":         ex.hello, // with deployment.yaml
		"deployment.yaml":    nil,
	}
	files, _ := filepath.Glob("../../examples/*")
	more, _ := filepath.Glob("../../examples/*/*")
	for _, f := range append(files, more...) {
		if fi, err := os.Stat(f); err != nil || fi.IsDir() {
			continue
		}
		if _, ok := runners[strings.TrimPrefix(f, "../../examples/")]; !ok {
			t.Errorf("%s has no check in TestExamples: every example must run in CI", f)
		}
	}
	// A group of parallel subtests: it returns once they all have, before
	// the cluster's cleanup.
	t.Run("group", func(t *testing.T) {
		for name, run := range runners {
			if run != nil {
				t.Run(name, func(t *testing.T) { t.Parallel(); run(t) })
			}
		}
	})
}

type examples struct {
	env []string
	cl  *client.Client
	ctx context.Context
	dir string // the cluster's: its tasks are stopped before it is removed
}

// barque runs the CLI and fails the test unless it exits 0.
func (ex *examples) barque(t *testing.T, args ...string) string {
	t.Helper()
	out, code := run(t, ex.env, "", args...)
	if code != 0 {
		t.Fatalf("barque %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// waitFor polls cond until it holds, and fails with what() when the test's
// time is up.
func (ex *examples) waitFor(t *testing.T, what func() string, cond func() bool) {
	t.Helper()
	for ex.ctx.Err() == nil {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out: %s", what())
}

func (ex *examples) pods(t *testing.T, ns, selector string) []*api.Pod {
	t.Helper()
	list, err := ex.cl.List(ex.ctx, "Pod", ns, client.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil
	}
	var out []*api.Pod
	for _, o := range list.Items {
		if p := o.(*api.Pod); p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func describePods(ps []*api.Pod) string {
	var b strings.Builder
	for _, p := range ps {
		if p == nil {
			continue
		}
		fmt.Fprintf(&b, "\n  %s (uid %s, deleted %v, finalizers %v) on %q: %s ready=%v", p.Name, p.UID, p.DeletionTimestamp, p.Finalizers, p.Spec.NodeName, p.Status.Phase, podReady(p))
		for _, cs := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, " [%s restarts=%d waiting=%+v terminated=%+v]", cs.Name, cs.RestartCount, cs.State.Waiting, cs.State.Terminated)
		}
	}
	return b.String()
}

func (ex *examples) get(t *testing.T, kind, ns, name string) api.Object {
	t.Helper()
	o, err := ex.cl.Get(ex.ctx, kind, ns, name, client.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", kind, ns, name, err)
	}
	return o
}

func needPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("the web examples serve with python3, which is not installed")
	}
}

// webJob: the Nomad web job rolls out; both instances are Ready and answer
// HTTP on the port the scheduler gave them; the service block made the
// Service and, from its urlprefix- tag, the Ingress.
func (ex *examples) webJob(t *testing.T) {
	needPython(t)
	out := ex.barque(t, "job", "run", "--timeout", "60s", "../../examples/web.nomad.hcl")
	if !strings.Contains(out, "Job rollout completed successfully") || !strings.Contains(out, "ingress.networking.k8s.io/web created") {
		t.Fatalf("job run:\n%s", out)
	}
	ex.servesHTTP(t, "default", "barque.io/job=web", 2)
	ex.routes(t, "default", "web", "web")

	// The Ingress belongs to the job: status lists it, stop keeps it (as
	// the Service) and -purge removes both.
	out = ex.barque(t, "job", "status", "web")
	if !strings.Contains(out, "Ingress") || !strings.Contains(out, "*/ -> web") && !strings.Contains(out, "web.localhost/ -> web") {
		t.Fatalf("job status web lists no Ingress:\n%s", out)
	}
	out = ex.barque(t, "job", "stop", "web")
	if !strings.Contains(out, "deployment.apps/web-frontend scaled to 0") {
		t.Fatalf("job stop web:\n%s", out)
	}
	ex.get(t, "Ingress", "default", "web")
	ex.barque(t, "job", "stop", "-purge", "web")
	ex.waitFor(t, func() string { return "the purged job's Ingress and Service deleted" }, func() bool {
		_, ierr := ex.cl.Get(ex.ctx, "Ingress", "default", "web", client.GetOptions{})
		_, serr := ex.cl.Get(ex.ctx, "Service", "default", "web", client.GetOptions{})
		return errors.Is(ierr, api.ErrNotFound) && errors.Is(serr, api.ErrNotFound)
	})
}

// webManifests: the same service as Kubernetes objects.
func (ex *examples) webManifests(t *testing.T) {
	needPython(t)
	out := ex.barque(t, "apply", "-f", "../../examples/k8s/web.yaml")
	for _, want := range []string{"namespace/web created", "configmap/web-pages created", "deployment.apps/web created", "service/web created", "ingress.networking.k8s.io/web created"} {
		if !strings.Contains(out, want) {
			t.Fatalf("apply output lacks %q:\n%s", want, out)
		}
	}
	ex.servesHTTP(t, "web", "app=web", 2)
	ex.routes(t, "web", "web", "web")
}

// servesHTTP waits for n Running and Ready pods, and GETs the page from
// each on its node's address and allocated port.
func (ex *examples) servesHTTP(t *testing.T, ns, selector string, n int) {
	t.Helper()
	var ps []*api.Pod
	ex.waitFor(t, func() string { return fmt.Sprintf("%d ready pods %s in %s:%s", n, selector, ns, describePods(ps)) }, func() bool {
		ps = ex.pods(t, ns, selector)
		ready := 0
		for _, p := range ps {
			if p.Status.Phase == api.PodRunning && podReady(p) {
				ready++
			}
		}
		return ready == n && len(ps) == n
	})
	for _, p := range ps {
		port := p.Spec.Containers[0].Ports[0].HostPort
		if port == 0 || p.Status.HostIP == "" {
			t.Fatalf("pod %s has no allocated port or host IP: port %d, host %q", p.Name, port, p.Status.HostIP)
		}
		url := fmt.Sprintf("http://%s:%d/", p.Status.HostIP, port)
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("pod %s: GET %s: %v", p.Name, url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Hello from Barque") {
			t.Fatalf("pod %s: GET %s: %d %q", p.Name, url, resp.StatusCode, body)
		}
	}
}

// routes checks that the Ingress sends web.localhost/ to the service's
// named port, and that the Service selects the pods.
func (ex *examples) routes(t *testing.T, ns, ingress, service string) {
	t.Helper()
	svc := ex.get(t, "Service", ns, service).(*api.Service)
	if len(svc.Spec.Selector) == 0 || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Fatalf("service %s/%s: %+v", ns, service, svc.Spec)
	}
	ing := ex.get(t, "Ingress", ns, ingress).(*api.Ingress)
	rules := ing.Spec.Rules
	if len(rules) != 1 || rules[0].Host != "web.localhost" || rules[0].HTTP == nil || len(rules[0].HTTP.Paths) != 1 {
		t.Fatalf("ingress %s/%s rules: %+v", ns, ingress, rules)
	}
	p := rules[0].HTTP.Paths[0]
	if p.Path != "/" || p.Backend.Service == nil || p.Backend.Service.Name != service || p.Backend.Service.Port.Name != "http" {
		t.Fatalf("ingress %s/%s path: %+v", ns, ingress, p)
	}
}

// batch: the Job runs its three instances to completion.
func (ex *examples) batch(t *testing.T) {
	out := ex.barque(t, "job", "run", "../../examples/batch.nomad.hcl")
	if !strings.Contains(out, "job.batch/sums-sum created") {
		t.Fatalf("job run:\n%s", out)
	}
	j := &api.Job{}
	ex.waitFor(t, func() string { return fmt.Sprintf("job sums-sum Complete: %+v", j.Status) }, func() bool {
		o, err := ex.cl.Get(ex.ctx, "Job", "default", "sums-sum", client.GetOptions{})
		if err != nil {
			return false
		}
		j = o.(*api.Job)
		c := api.FindCondition(j.Status.Conditions, api.JobComplete)
		return c != nil && c.Status == api.ConditionTrue
	})
	if j.Status.Succeeded != 3 || j.Status.Failed != 0 {
		t.Fatalf("job sums-sum: %d succeeded, %d failed; want 3 and 0", j.Status.Succeeded, j.Status.Failed)
	}
	ps := ex.pods(t, "default", "barque.io/job=sums")
	if len(ps) != 3 {
		t.Fatalf("job sums-sum kept %d pods, want 3:%s", len(ps), describePods(ps))
	}
	logs := ex.barque(t, "logs", ps[0].Name)
	if !strings.Contains(logs, "1+...+1000 = 500500") {
		t.Fatalf("logs of %s: %q", ps[0].Name, logs)
	}
}

// system: the DaemonSet runs exactly one pod on each of the two nodes.
func (ex *examples) system(t *testing.T) {
	out := ex.barque(t, "job", "run", "../../examples/system.nomad.hcl")
	if !strings.Contains(out, "daemonset.apps/node-report created") {
		t.Fatalf("job run:\n%s", out)
	}
	var ps []*api.Pod
	ex.waitFor(t, func() string { return "one running pod on each node:" + describePods(ps) }, func() bool {
		ps = ex.pods(t, "default", "barque.io/job=node-report")
		nodes := map[string]bool{}
		for _, p := range ps {
			if p.Status.Phase == api.PodRunning {
				nodes[p.Spec.NodeName] = true
			}
		}
		return len(ps) == 2 && nodes["n1"] && nodes["n2"]
	})
	ex.waitFor(t, func() string { return "node-report logs naming the node" }, func() bool {
		out, code := run(t, ex.env, "", "logs", ps[0].Name)
		return code == 0 && strings.Contains(out, "node "+ps[0].Spec.NodeName+" (linux)")
	})
}

// sysbatch: the run-once DaemonSet runs its task to completion exactly once
// on each of the two nodes; job run waits for both runs.
func (ex *examples) sysbatch(t *testing.T) {
	out := ex.barque(t, "job", "run", "--timeout", "60s", "../../examples/sysbatch.nomad.hcl")
	if !strings.Contains(out, "daemonset.apps/node-audit-audit created") || !strings.Contains(out, "Job rollout completed successfully") {
		t.Fatalf("job run:\n%s", out)
	}
	succeededOnce := func(ps []*api.Pod) bool {
		nodes := map[string]int{}
		for _, p := range ps {
			if p.Status.Phase == api.PodSucceeded {
				nodes[p.Spec.NodeName]++
			}
		}
		return len(ps) == 2 && nodes["n1"] == 1 && nodes["n2"] == 1
	}
	ps := ex.pods(t, "default", "barque.io/job=node-audit")
	if !succeededOnce(ps) {
		t.Fatalf("after job run, want one succeeded pod on each node:%s", describePods(ps))
	}
	out = ex.barque(t, "logs", "-l", "barque.io/job=node-audit", "--prefix")
	for _, p := range ps {
		if want := "[pod/" + p.Name + "/audit] audit of " + p.Spec.NodeName + ": Linux"; !strings.Contains(out, want) {
			t.Fatalf("logs -l --prefix lacks %q:\n%s", want, out)
		}
	}
	out = ex.barque(t, "job", "status", "node-audit")
	if !strings.Contains(out, "2 of 2 nodes succeeded") {
		t.Fatalf("job status:\n%s", out)
	}
	// No second run: the pods stay, ended, and no new one starts.
	time.Sleep(2 * time.Second)
	if ps = ex.pods(t, "default", "barque.io/job=node-audit"); !succeededOnce(ps) {
		t.Fatalf("2 s later, want still one succeeded pod on each node:%s", describePods(ps))
	}
}

// periodic: with a short schedule, the CronJob creates a Job that
// completes.
func (ex *examples) periodic(t *testing.T) {
	out := ex.barque(t, "job", "run", "--var", "schedule=@every 2s", "../../examples/periodic.nomad.hcl")
	if !strings.Contains(out, "cronjob.batch/tidy created") {
		t.Fatalf("job run:\n%s", out)
	}
	var seen []string
	ex.waitFor(t, func() string { return fmt.Sprintf("a completed Job of CronJob tidy; seen %v", seen) }, func() bool {
		list, err := ex.cl.List(ex.ctx, "Job", "default", client.ListOptions{LabelSelector: "barque.io/job=tidy"})
		if err != nil {
			return false
		}
		seen = nil
		for _, o := range list.Items {
			j := o.(*api.Job)
			seen = append(seen, fmt.Sprintf("%s(succeeded=%d)", j.Name, j.Status.Succeeded))
			if c := api.FindCondition(j.Status.Conditions, api.JobComplete); c != nil && c.Status == api.ConditionTrue && ownedBy(j, "CronJob", "tidy") {
				return true
			}
		}
		return false
	})
}

func ownedBy(o api.Object, kind, name string) bool {
	for _, r := range o.GetObjectMeta().OwnerReferences {
		if r.Kind == kind && r.Name == name {
			return true
		}
	}
	return false
}

// stateful: the counter's host volume keeps its data when the task is
// killed (restarted in place) and when the pod is deleted (replaced by the
// StatefulSet under the same name).
func (ex *examples) stateful(t *testing.T) {
	dir := filepath.Join(ex.dir, "counter-data")
	out := ex.barque(t, "job", "run", "--timeout", "60s", "--var", "data_dir="+dir, "../../examples/stateful.nomad.hcl")
	if !strings.Contains(out, "statefulset.apps/counter created") {
		t.Fatalf("job run:\n%s", out)
	}
	p := ex.counterRunning(t, "", 0)
	ex.volumeHolds(t, dir, 1, 2)
	count := readCount(dir)

	pids := taskPIDs(p)
	if len(pids) != 1 {
		t.Fatalf("pod counter-0 task pids: %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p = ex.counterRunning(t, p.UID, 1)
	ex.volumeHolds(t, dir, 2, count+1)
	count = readCount(dir)

	if err := ex.cl.Delete(ex.ctx, "Pod", "default", "counter-0", client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p = ex.counterRunning(t, p.UID, -1)
	ex.volumeHolds(t, dir, 3, count+1)

	// The job's StatefulSet is the job's: status shows it, stop scales it
	// to 0 and run starts it again.
	out = ex.barque(t, "job", "status", "counter")
	if !strings.Contains(out, "StatefulSet") || !strings.Contains(out, "1/1 ready") {
		t.Fatalf("job status counter:\n%s", out)
	}
	out = ex.barque(t, "job", "stop", "counter")
	if !strings.Contains(out, "statefulset.apps/counter scaled to 0") {
		t.Fatalf("job stop counter:\n%s", out)
	}
	ex.waitFor(t, func() string { return "the stopped counter's pod gone" }, func() bool {
		return len(ex.pods(t, "default", "barque.io/job=counter")) == 0
	})
	out = ex.barque(t, "job", "run", "--timeout", "60s", "--var", "data_dir="+dir, "../../examples/stateful.nomad.hcl")
	if !strings.Contains(out, "Job rollout completed successfully") {
		t.Fatalf("job run after stop:\n%s", out)
	}
	ex.counterRunning(t, p.UID, -1)
}

// counterRunning waits for pod counter-0 to run: the same pod (uid) with at
// least restarts restarts, or, with restarts < 0, a pod other than uid.
func (ex *examples) counterRunning(t *testing.T, uid string, restarts int32) *api.Pod {
	t.Helper()
	var p *api.Pod
	ex.waitFor(t, func() string {
		return fmt.Sprintf("counter-0 running (restarts %d):%s", restarts, describePods([]*api.Pod{p}))
	}, func() bool {
		o, err := ex.cl.Get(ex.ctx, "Pod", "default", "counter-0", client.GetOptions{})
		if err != nil {
			return false
		}
		p = o.(*api.Pod)
		cs := p.Status.ContainerStatuses
		if p.DeletionTimestamp != nil || p.Status.Phase != api.PodRunning || len(cs) != 1 || cs[0].State.Running == nil {
			return false
		}
		if restarts < 0 {
			return p.UID != uid
		}
		return (uid == "" || p.UID == uid) && cs[0].RestartCount >= restarts
	})
	return p
}

// volumeHolds waits until the volume records starts starts of the task and
// a count of at least count.
func (ex *examples) volumeHolds(t *testing.T, dir string, starts, count int) {
	t.Helper()
	var got string
	ex.waitFor(t, func() string {
		return fmt.Sprintf("%s: %d starts and a count of %d or more; starts:\n%s\ncount %d", dir, starts, count, got, readCount(dir))
	}, func() bool {
		got, _ = readFile(filepath.Join(dir, "starts"))
		return strings.Count(got, "\n") == starts && readCount(dir) >= count
	})
}

func readCount(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "count"))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// hello: the first example applies, and its pod runs and logs its greeting.
func (ex *examples) hello(t *testing.T) {
	for _, f := range []string{"../../examples/hello.yaml", "../../examples/deployment.yaml"} {
		ex.barque(t, "apply", "-f", f)
	}
	ex.waitFor(t, func() string { return "hello's greeting in its logs" }, func() bool {
		out, code := run(t, ex.env, "", "logs", "hello", "-n", "hello")
		return code == 0 && strings.Contains(out, "hello from greeter on n")
	})
	var ps []*api.Pod
	ex.waitFor(t, func() string { return "3 running ticker pods:" + describePods(ps) }, func() bool {
		ps = ex.pods(t, "hello", "app=ticker")
		running := 0
		for _, p := range ps {
			if p.Status.Phase == api.PodRunning {
				running++
			}
		}
		return running == 3
	})
}
