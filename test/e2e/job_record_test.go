package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// demoJob is a service job with two groups: "app" (two instances that print
// their greeting) and, when withExtra, "extra" (one instance).
func demoJob(withExtra bool) string {
	group := func(name string, count int) string {
		return fmt.Sprintf(`
  group %q {
    count = %d
    task "main" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo \"$GREETING from %s\"; sleep 0.3; done"]
      }
      env {
        GREETING = var.greeting
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
`, name, count, name)
	}
	extra := ""
	if withExtra {
		extra = group("extra", 1)
	}
	return `variable "greeting" {
  default = "hello"
}

job "demo" {
  type = "service"
  update {
    max_parallel     = 2
    min_healthy_time = "0s"
  }
` + group("app", 2) + extra + "}\n"
}

type jobRecordEnv struct {
	t   *testing.T
	ctx context.Context
	cl  *client.Client
	env []string
	dir string
}

// barque runs the CLI and fails the test unless it exits with code and
// prints every one of wants.
func (e *jobRecordEnv) barque(code int, wants []string, args ...string) string {
	e.t.Helper()
	out, got := run(e.t, e.env, "", args...)
	e.t.Logf("barque %v:\n%s", args, out)
	if got != code {
		e.t.Fatalf("barque %v: exit %d, want %d\n%s", args, got, code, out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			e.t.Fatalf("barque %v: output lacks %q:\n%s", args, w, out)
		}
	}
	return out
}

func (e *jobRecordEnv) jobFile(name, text string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := writeFile(p, text); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *jobRecordEnv) record() *api.NomadJob {
	e.t.Helper()
	o, err := e.cl.Get(e.ctx, "NomadJob", "default", "demo", client.GetOptions{})
	if err != nil {
		e.t.Fatalf("get the job's record: %v", err)
	}
	return o.(*api.NomadJob)
}

// eventually retries cond until it holds or the test's deadline passes.
func (e *jobRecordEnv) eventually(what string, cond func() bool) {
	e.t.Helper()
	for !cond() {
		if e.ctx.Err() != nil {
			e.t.Fatalf("%s: not before the deadline", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *jobRecordEnv) gone(kind, name string) bool {
	_, err := e.cl.Get(e.ctx, kind, "default", name, client.GetOptions{})
	return errors.Is(err, api.ErrNotFound)
}

func (e *jobRecordEnv) deployment(name string) *api.Deployment {
	e.t.Helper()
	o, err := e.cl.Get(e.ctx, "Deployment", "default", name, client.GetOptions{})
	if err != nil {
		e.t.Fatalf("get deployment %s: %v", name, err)
	}
	return o.(*api.Deployment)
}

func greetingOf(d *api.Deployment) string {
	for _, env := range d.Spec.Template.Spec.Containers[0].Env {
		if env.Name == "GREETING" {
			return env.Value
		}
	}
	return ""
}

// TestJobRecordVersionsAndRevert: `job run` records the job (version 0)
// and owns what it generates; an unchanged file keeps the version, a
// changed one makes a new version and deletes a removed group; history
// lists the versions, revert brings the old objects back as a new version,
// logs merges the pods' output, and bad arguments exit 1.
func TestJobRecordVersionsAndRevert(t *testing.T) {
	e := startJobRecordEnv(t)
	v0 := e.jobFile("demo.nomad.hcl", demoJob(true))
	e.barque(0, []string{"Job version 0 (new)", "Job rollout completed successfully"}, "job", "run", "--timeout", "90s", v0)
	rec := e.record()
	if rec.Spec.Version != 0 || rec.Spec.SubmitTime == nil || rec.Spec.Type != "service" || !strings.Contains(rec.Spec.Source, `job "demo"`) || len(rec.Spec.Objects) != 2 {
		t.Fatalf("record after the first run: version %d, type %q, %d objects", rec.Spec.Version, rec.Spec.Type, len(rec.Spec.Objects))
	}
	e.versionAgrees()
	for _, name := range []string{"demo-app", "demo-extra"} {
		if d := e.deployment(name); len(d.OwnerReferences) != 1 || d.OwnerReferences[0].UID != rec.UID || d.OwnerReferences[0].Kind != "NomadJob" {
			t.Fatalf("deployment %s is not owned by the record %s: %+v", name, rec.UID, d.OwnerReferences)
		}
	}
	e.barque(0, []string{`  Job: "demo" (version 0)`, "No changes", "Placement preview: no pods to place"}, "job", "plan", v0)
	e.barque(0, []string{"Job version 0 (unchanged)"}, "job", "run", "-detach", v0)

	// A run that stopped between the record and its version object (here:
	// the version object deleted) is repaired by the next run.
	if err := e.cl.Delete(e.ctx, "NomadJobVersion", "default", "demo-v0", client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("version 0 is deleted", func() bool { return e.gone("NomadJobVersion", "demo-v0") })
	e.barque(0, []string{"Job version 0 (unchanged)"}, "job", "run", "-detach", v0)
	e.versionAgrees()

	// Placement preview: what the changed group would place, and why a
	// group too big for the cluster would not fit.
	huge := e.jobFile("huge.nomad.hcl", strings.NewReplacer(`job "demo"`, `job "demo-huge"`, "memory = 16", "memory = 100000000").Replace(demoJob(false)))
	e.barque(1, []string{`+ Job: "demo-huge"`, "Placement preview", `group "app" (deployment.apps/demo-huge-app): would place 0 of 2 pods; 0 nodes feasible`,
		"Insufficient memory", "WARNING: 2 pods cannot be placed"}, "job", "plan", huge)
	e.barque(255, []string{"needs a job file"}, "job", "plan")
	e.barque(255, []string{"unknown flag"}, "job", "plan", "--nosuch", v0)
	e.barque(255, []string{"no such file"}, "job", "plan", filepath.Join(e.dir, "missing.hcl"))

	// job logs -f follows the pods that the next version starts.
	follow := e.followLogs("demo")
	follow.waitFor(`^\[demo-app-[a-z0-9-]+/main\] hello from app$`)

	v1 := e.jobFile("demo.nomad.hcl", demoJob(false))
	e.barque(1, []string{`~ Job: "demo" (version 0 would become 1)`, "~ deployment.apps/demo-app", "- deployment.apps/demo-extra",
		`+ var.greeting: "bye"`, `value: "hello" => "bye"`,
		`group "app" (deployment.apps/demo-app): would place 2 of 2 pods; 1 nodes feasible`, "All pods can be placed"},
		"job", "plan", "-var", "greeting=bye", v1)
	// The same values from a variable file (Nomad's one-dash -var-file); a
	// later -var wins over the file.
	vars := e.jobFile("bye.vars.hcl", "greeting = \"bye\"\n")
	e.barque(1, []string{`+ var.greeting: "bye"`, `value: "hello" => "bye"`}, "job", "plan", "-var-file", vars, v1)
	e.barque(1, []string{`+ var.greeting: "ciao"`}, "job", "plan", "-var-file="+vars, "-var", "greeting=ciao", v1)
	e.barque(0, []string{"Job version 1 (new)", "deployment.apps/demo-extra deleted", "Task Group", "Unhealthy"},
		"job", "run", "-var", "greeting=bye", "--timeout", "90s", v1)
	if rec = e.record(); rec.Spec.Version != 1 || rec.Spec.Variables["greeting"] != "bye" {
		t.Fatalf("record after the change: version %d, variables %v", rec.Spec.Version, rec.Spec.Variables)
	}
	e.versionAgrees()
	follow.waitFor(`(?m)^\[demo-app-[a-z0-9-]+/main\] bye from app$`)
	follow.stop()
	e.eventually("the removed group's deployment is deleted", func() bool { return e.gone("Deployment", "demo-extra") })
	e.barque(0, []string{"1 (current)", "~deployment/demo-app", "-deployment/demo-extra", "first version"}, "job", "history", "demo")
	e.barque(0, []string{"demo\n"}, "__complete", "job", "status", "")
	e.barque(0, []string{"0\n1\n"}, "__complete", "job", "revert", "demo", "")
	e.eventually("job logs shows two instances saying bye", func() bool { return twoPrefixedInstances(e, "bye from app") })

	e.barque(0, []string{"Reverting job \"demo\" to version 0", "Job version 2 (new)", "deployment.apps/demo-extra created"},
		"job", "revert", "--timeout", "90s", "demo", "0")
	if got := greetingOf(e.deployment("demo-app")); got != "hello" || e.record().Spec.Version != 2 {
		t.Fatalf("after revert: greeting %q, version %d", got, e.record().Spec.Version)
	}
	e.versionAgrees()
	e.barque(0, []string{"ID", "demo", "service", "running", "2"}, "job", "status")
	e.barque(0, []string{"Version     = 2", "Task Group", "app", "extra", "demo-app", "2/2 available"}, "job", "status", "demo")
	e.barque(0, []string{"TYPE", "VERSION", "demo"}, "get", "nomadjobs")
	e.barque(0, []string{"ELIGIBILITY", "n1", "eligible", "exec"}, "node", "status")
	e.eventually("node status counts n1's three pods", func() bool {
		out, code := run(t, e.env, "", "node", "status")
		return code == 0 && regexp.MustCompile(`(?m)^n1 .* 3\s*$`).MatchString(out)
	})
	e.barque(0, []string{"= n1", "Eligibility", "demo-app-"}, "node", "status", "n1")
	e.barque(0, []string{`job "demo"`, `default = "hello"`}, "job", "inspect", "-o", "hcl", "demo")
	e.barque(0, []string{`"kind": "List"`, `"name": "demo-extra"`}, "job", "inspect", "--objects", "-o", "json", "--version", "0", "demo")

	// Two runs at once: each submission gets its own version (the loser of
	// the compare-and-swap re-reads and goes next), and each version object
	// holds the submission its number stands for.
	concurrentRuns(e, v0, "greeting=c1", "greeting=c2")
	if rec := e.record(); rec.Spec.Version != 4 {
		t.Fatalf("after two concurrent runs from version 2: version %d, want 4", rec.Spec.Version)
	}
	e.versionAgrees()
	greetings := map[string]bool{}
	for _, n := range []int64{3, 4} {
		o, err := e.cl.Get(e.ctx, "NomadJobVersion", "default", api.NomadJobVersionName("demo", n), client.GetOptions{})
		if err != nil {
			t.Fatalf("version %d after concurrent runs: %v", n, err)
		}
		greetings[o.(*api.NomadJobVersion).Spec.Job.Variables["greeting"]] = true
	}
	if !greetings["c1"] || !greetings["c2"] {
		t.Fatalf("versions 3 and 4 must hold one submission each: %v", greetings)
	}

	// Only the last six versions are kept.
	for i := 5; i <= 7; i++ {
		e.barque(0, []string{fmt.Sprintf("Job version %d (new)", i)}, "job", "run", "-detach", "-var", fmt.Sprintf("greeting=g%d", i), v0)
	}
	hist := e.barque(0, []string{"7 (current)", "first kept version"}, "job", "history", "demo")
	if n := strings.Count(hist, "\n"); n != 1+api.NomadJobHistoryLimit {
		t.Fatalf("history must list %d versions:\n%s", api.NomadJobHistoryLimit, hist)
	}
	e.eventually("versions 0 and 1 are pruned", func() bool { return e.gone("NomadJobVersion", "demo-v0") && e.gone("NomadJobVersion", "demo-v1") })
	e.barque(1, []string{"version 1 of job \"demo\" is not kept"}, "job", "revert", "demo", "1")

	e.barque(1, []string{"needs a job name"}, "job", "history")
	e.barque(1, []string{"want a version number"}, "job", "revert", "demo", "abc")
	e.barque(1, []string{"version 9 of job \"demo\" is not kept"}, "job", "revert", "demo", "9")
	e.barque(1, []string{"job \"nosuch\" not found"}, "job", "status", "nosuch")
	e.barque(1, []string{"job \"nosuch\" not found"}, "job", "stop", "nosuch")
	e.barque(1, []string{"want yaml, json or hcl"}, "job", "inspect", "-o", "xml", "demo")
}

// versionAgrees checks that the record's current version is kept as its
// version object, with the same number, submit time and submission.
func (e *jobRecordEnv) versionAgrees() {
	e.t.Helper()
	rec := e.record()
	name := api.NomadJobVersionName("demo", rec.Spec.Version)
	o, err := e.cl.Get(e.ctx, "NomadJobVersion", "default", name, client.GetOptions{})
	if err != nil {
		e.t.Fatalf("version object %s of the record at version %d: %v", name, rec.Spec.Version, err)
	}
	v := o.(*api.NomadJobVersion)
	job := rec.Spec
	job.Version, job.SubmitTime = 0, nil
	switch {
	case v.Spec.Version != rec.Spec.Version || !v.Spec.SubmitTime.Equal(rec.Spec.SubmitTime.Time):
		e.t.Fatalf("version %s: version %d at %v, record: version %d at %v", name, v.Spec.Version, v.Spec.SubmitTime, rec.Spec.Version, rec.Spec.SubmitTime)
	case len(v.OwnerReferences) != 1 || v.OwnerReferences[0].UID != rec.UID:
		e.t.Fatalf("version %s is not owned by the record: %+v", name, v.OwnerReferences)
	case !reflect.DeepEqual(api.Clone(&api.NomadJob{Spec: v.Spec.Job}).Spec, api.Clone(&api.NomadJob{Spec: job}).Spec):
		e.t.Fatalf("version %s holds another submission than the record", name)
	}
}

// follower is a running `barque job logs -f`: its output, line by line.
type follower struct {
	e     *jobRecordEnv
	cmd   *exec.Cmd
	lines chan string
	seen  []string
}

func (e *jobRecordEnv) followLogs(job string) *follower {
	e.t.Helper()
	cmd := exec.Command(barqueBin, "job", "logs", "-f", "--tail", "2", job)
	cmd.Env = append(os.Environ(), e.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	f := &follower{e: e, cmd: cmd, lines: make(chan string, 1024)}
	e.t.Cleanup(f.stop)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f.lines <- sc.Text()
		}
		close(f.lines)
	}()
	return f
}

// waitFor reads the follower's output until a line matches pattern.
func (f *follower) waitFor(pattern string) string {
	f.e.t.Helper()
	re := regexp.MustCompile(pattern)
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-f.lines:
			if !ok {
				f.e.t.Fatalf("job logs -f ended before a line matching %s; it printed:\n%s", pattern, strings.Join(f.seen, "\n"))
			}
			f.seen = append(f.seen, l)
			if re.MatchString(l) {
				return l
			}
		case <-timeout:
			f.e.t.Fatalf("job logs -f printed no line matching %s in 60s; it printed:\n%s", pattern, strings.Join(tailLines(f.seen, 20), "\n"))
		}
	}
}

func tailLines(l []string, n int) []string {
	if len(l) > n {
		return l[len(l)-n:]
	}
	return l
}

func (f *follower) stop() {
	if f.cmd.ProcessState == nil {
		_ = f.cmd.Process.Kill()
		_ = f.cmd.Wait()
	}
}

// concurrentRuns runs `job run -detach -var V file` for each V at once;
// every run must succeed, each with a version of its own.
func concurrentRuns(e *jobRecordEnv, file string, vars ...string) {
	e.t.Helper()
	type result struct {
		out  string
		code int
	}
	results := make(chan result, len(vars))
	for _, v := range vars {
		go func() {
			cmd := exec.CommandContext(e.ctx, barqueBin, "job", "run", "-detach", "-var", v, file)
			cmd.Env = append(os.Environ(), e.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
			}
			results <- result{string(out), code}
		}()
	}
	versions := map[string]bool{}
	re := regexp.MustCompile(`Job version (\d+) \(new\)`)
	for range vars {
		r := <-results
		e.t.Logf("concurrent job run:\n%s", r.out)
		m := re.FindStringSubmatch(r.out)
		if r.code != 0 || m == nil {
			e.t.Fatalf("concurrent job run: exit %d\n%s", r.code, r.out)
		}
		if versions[m[1]] {
			e.t.Fatalf("two concurrent runs both made version %s", m[1])
		}
		versions[m[1]] = true
	}
}

// twoPrefixedInstances: `job logs` prints want, prefixed [pod/main], from
// two different pods.
func twoPrefixedInstances(e *jobRecordEnv, want string) bool {
	e.t.Helper()
	out, code := run(e.t, e.env, "", "job", "logs", "--task", "main", "--tail", "5", "demo")
	if code != 0 {
		return false
	}
	re := regexp.MustCompile(`(?m)^\[(demo-app-[a-z0-9-]+)/main\] ` + regexp.QuoteMeta(want) + `$`)
	pods := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		pods[m[1]] = true
	}
	return len(pods) >= 2
}

// TestJobRecordStopAndPurge: stop keeps the record and records the stop as
// a version of its own (history shows it), and stops the pods; reverting to
// the version before the stop starts them again, as does running the file
// again after another stop; stop -purge deletes the record, and the
// garbage collector deletes what it generated.
func TestJobRecordStopAndPurge(t *testing.T) {
	e := startJobRecordEnv(t)
	f := e.jobFile("demo.nomad.hcl", demoJob(false))
	e.barque(0, []string{"Job version 0 (new)", "Job rollout completed successfully"}, "job", "run", "--timeout", "90s", f)

	e.barque(0, []string{"Job version 1 (stopped)", "deployment.apps/demo-app scaled to 0", `Job "demo" stopped`}, "job", "stop", "demo")
	if rec := e.record(); !rec.Spec.Stop || rec.Spec.Version != 1 {
		t.Fatalf("the record is not stopped at version 1: stop=%v version %d", rec.Spec.Stop, rec.Spec.Version)
	}
	e.versionAgrees()
	e.eventually("the stopped job's pods are gone", func() bool { return e.podCount() == 0 })
	e.barque(0, []string{"dead (stopped)"}, "job", "status")
	hist := e.barque(0, []string{"1 (current)", "job stopped", "first version"}, "job", "history", "demo")
	if strings.Count(hist, "\n") != 3 {
		t.Fatalf("history must list versions 0 and 1:\n%s", hist)
	}
	e.barque(0, []string{"Job version 1 (already stopped)"}, "job", "stop", "demo") // idempotent: no new version
	if v := e.record().Spec.Version; v != 1 {
		t.Fatalf("stopping a stopped job made version %d", v)
	}
	e.barque(1, []string{`~ Job: "demo" (stopped; version 1 would become 2)`, `group "app" (deployment.apps/demo-app): would place 2 of 2 pods`},
		"job", "plan", f)

	e.barque(0, []string{"Reverting job \"demo\" to version 0", "Job version 2 (new)", "Job rollout completed successfully"},
		"job", "revert", "--timeout", "90s", "demo", "0")
	if rec := e.record(); rec.Spec.Stop || rec.Spec.Version != 2 {
		t.Fatalf("revert to the version before the stop: stop=%v version %d", rec.Spec.Stop, rec.Spec.Version)
	}
	e.eventually("the reverted job runs two pods", func() bool { return e.podCount() == 2 })
	e.barque(0, []string{"2 (current)", "job started again"}, "job", "history", "demo")

	// Reverting to the stopped version stops the job again.
	e.barque(0, []string{"a stopped version", "Job version 3 (stopped)", "scaled to 0"}, "job", "revert", "demo", "1")
	e.eventually("the pods are gone again", func() bool { return e.podCount() == 0 })
	e.barque(0, []string{"Job version 4 (new)", "Job rollout completed successfully"}, "job", "run", "--timeout", "90s", f)
	if e.record().Spec.Stop || e.podCount() != 2 {
		t.Fatalf("run after stop: stop=%v, %d pods", e.record().Spec.Stop, e.podCount())
	}

	e.barque(0, []string{`Job "demo" purged`}, "job", "stop", "-purge", "demo")
	e.eventually("the record is deleted", func() bool { return e.gone("NomadJob", "demo") })
	e.eventually("the garbage collector deletes the generated objects and versions", func() bool {
		return e.gone("Deployment", "demo-app") && e.gone("NomadJobVersion", "demo-v0") && e.gone("NomadJobVersion", "demo-v1") &&
			e.gone("NomadJobVersion", "demo-v4")
	})
	e.eventually("the pods are gone", func() bool { return e.podCount() == 0 })
	e.barque(1, []string{`job "demo" not found`}, "job", "history", "demo")

	// A version left by an earlier job of the same name (as when a purge's
	// garbage is not yet collected) is replaced by the new job's.
	leftover := &api.NomadJobVersion{ObjectMeta: api.ObjectMeta{Name: "demo-v0", Namespace: "default"},
		Spec: api.NomadJobVersionSpec{Version: 0, Job: api.NomadJobSpec{JobName: "demo", Type: "service"}}}
	if _, err := e.cl.Create(e.ctx, leftover); err != nil {
		t.Fatal(err)
	}
	e.barque(0, []string{"Job version 0 (new)"}, "job", "run", "-detach", f)
	o, err := e.cl.Get(e.ctx, "NomadJobVersion", "default", "demo-v0", client.GetOptions{})
	if err != nil || len(o.GetObjectMeta().OwnerReferences) != 1 || o.GetObjectMeta().OwnerReferences[0].UID != e.record().UID {
		t.Fatalf("version 0 of the new job: %v %+v", err, o)
	}
	e.barque(0, []string{"0 (current)", "first version"}, "job", "history", "demo")
}

func (e *jobRecordEnv) podCount() int {
	list, err := e.cl.List(e.ctx, "Pod", "default", client.ListOptions{LabelSelector: "barque.io/job=demo"})
	if err != nil {
		return -1
	}
	n := 0
	for _, o := range list.Items {
		if p := o.(*api.Pod); !api.PodIsTerminal(p) {
			n++
		}
	}
	return n
}

func startJobRecordEnv(t *testing.T) *jobRecordEnv {
	c, cl, ctx := startClusterWithAgent(t, 4*time.Minute)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	return &jobRecordEnv{t: t, ctx: ctx, cl: cl, env: env, dir: t.TempDir()}
}

// TestJobRecordCanaryMonitor: the rollout monitor of `job run` returns
// once a group's canaries are healthy and only a manual promotion is
// missing, saying how to promote, as Nomad's deployment monitor does.
func TestJobRecordCanaryMonitor(t *testing.T) {
	e := startJobRecordEnv(t)
	f := e.jobFile("demo.nomad.hcl", strings.Replace(demoJob(false), "max_parallel     = 2", "max_parallel     = 2\n    canary           = 1", 1))
	e.barque(0, []string{"Job version 0 (new)", "Job rollout completed successfully"}, "job", "run", "--timeout", "90s", f)
	e.barque(0, []string{"Job version 1 (new)", "Canaries", "1/1", `Deployment "demo-app" requires promotion: run 'barque rollout promote deployment/demo-app'`},
		"job", "run", "-var", "greeting=canary", "--timeout", "90s", f)
	e.barque(0, []string{"promoted"}, "rollout", "promote", "deployment/demo-app")
	e.barque(0, []string{"successfully rolled out"}, "rollout", "status", "deployment/demo-app", "--timeout", "90s")
	e.eventually("both instances run the promoted version", func() bool { return twoPrefixedInstances(e, "canary from app") })
}
