package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

var (
	testappOnce sync.Once
	testappBin  string
	testappErr  error
)

// buildTestapp builds internal/testapp next to the barque binary, once.
func buildTestapp(t *testing.T) string {
	t.Helper()
	testappOnce.Do(func() {
		bin := filepath.Join(filepath.Dir(barqueBin), "testapp")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/barque-io/barque/internal/testapp").CombinedOutput()
		if err != nil {
			testappErr = err
			t.Logf("%s", out)
			return
		}
		testappBin = bin
	})
	if testappErr != nil {
		t.Fatalf("building testapp: %v", testappErr)
	}
	return testappBin
}

// The probe pods: APP is the testapp binary, IP the node's address (probes
// connect there by default), P1..P4 free ports.
const probePods = `
metadata: {name: ready, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  containers:
  - name: web
    command: [APP, serve, -addr, "IP:P1"]
    ports: [{name: http, containerPort: P1}]
    readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1, failureThreshold: 2, successThreshold: 2}
---
metadata: {name: live, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: OnFailure
  containers:
  - name: web
    command: [APP, serve, -addr, "IP:P2"]
    ports: [{containerPort: P2}]
    livenessProbe: {httpGet: {path: /healthz, port: P2, httpHeaders: [{name: X-Probe, value: "1"}]}, periodSeconds: 1, failureThreshold: 2}
---
metadata: {name: kinds, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  containers:
  - name: web
    command: [APP, serve, -addr, "IP:P3"]
    ports: [{name: http, containerPort: P3}]
    readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
    livenessProbe:
      exec: {command: [sh, -c, 'if test -e $NOMAD_ALLOC_DIR/dead; then rm $NOMAD_ALLOC_DIR/dead; echo dying; exit 1; fi']}
      periodSeconds: 1
      failureThreshold: 1
  - name: deaf
    command: [sleep, "3600"]
    livenessProbe: {tcpSocket: {port: P5}, periodSeconds: 1, failureThreshold: 1}
---
metadata: {name: slowstart, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  containers:
  - name: web
    command: [APP, serve, -addr, "IP:P4"]
    ports: [{name: http, containerPort: P4}]
    startupProbe: {exec: {command: [test, -e, started]}, periodSeconds: 1, failureThreshold: 60}
    livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1, failureThreshold: 2}
`

// TestProbes runs pods whose exec tasks have readiness, liveness and
// startup probes of every kind, through a real agent, and changes the
// tasks' health from outside.
func TestProbes(t *testing.T) {
	app := buildTestapp(t)
	c, cl, ctx := startWritable(t, 120*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)

	ip := c.procs[0].gossip[:strings.LastIndex(c.procs[0].gossip, ":")]
	ports := map[string]string{}
	repl := []string{"APP", app, "IP", ip}
	free := freePorts(t, ip, 5)
	for i, k := range []string{"P1", "P2", "P3", "P4", "P5"} {
		ports[k] = itoa(free[i])
		repl = append(repl, k, ports[k])
	}
	manifests := strings.NewReplacer(repl...).Replace(probePods)
	pods := map[string]*api.Pod{}
	for _, m := range strings.Split(manifests, "\n---\n") {
		p := applyPod(ctx, t, cl, m)
		pods[p.Name] = p
	}
	url := func(port, path string) string { return "http://" + ip + ":" + ports[port] + path }
	allocFile := func(pod, name string) string {
		return filepath.Join(c.dir, "n1", "alloc", pods[pod].UID, "alloc", name)
	}

	t.Run("readiness", func(t *testing.T) {
		probeReadiness(ctx, t, cl, url("P1", "/fail"))
	})
	t.Run("liveness", func(t *testing.T) {
		probeLiveness(ctx, t, cl, url("P2", "/fail"), url("P2", "/healthz"))
	})
	t.Run("exec and tcp", func(t *testing.T) {
		probeExecAndTCP(ctx, t, cl, allocFile("kinds", "dead"))
	})
	t.Run("startup gates liveness", func(t *testing.T) {
		probeStartup(ctx, t, cl, url("P4", "/fail"), filepath.Join(c.dir, "n1", "alloc", pods["slowstart"].UID, "web", "started"))
	})
}

func podReady(p *api.Pod) bool {
	c := api.FindCondition(p.Status.Conditions, api.PodReady)
	return c != nil && c.Status == api.ConditionTrue
}

func httpGet(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
}

func firstStatus(p *api.Pod) api.ContainerStatus {
	if len(p.Status.ContainerStatuses) == 0 {
		return api.ContainerStatus{}
	}
	return p.Status.ContainerStatuses[0]
}

// probeReadiness: the pod turns Ready once /healthz passes twice, and
// unready (still running, not restarted) once it fails twice.
func probeReadiness(ctx context.Context, t *testing.T, cl *client.Client, failURL string) {
	waitPod(ctx, t, cl, "ready", "Ready", func(p *api.Pod) bool {
		c := api.FindCondition(p.Status.Conditions, api.ContainersReady)
		return podReady(p) && c != nil && c.Status == api.ConditionTrue && firstStatus(p).Ready
	})
	httpGet(t, failURL)
	p := waitPod(ctx, t, cl, "ready", "unready", func(p *api.Pod) bool { return !podReady(p) && !firstStatus(p).Ready })
	if cs := firstStatus(p); cs.State.Running == nil || cs.RestartCount != 0 {
		t.Fatalf("an unready container must keep running: %+v", cs)
	}
}

// probeLiveness: failing /healthz gets the task killed and restarted under
// OnFailure (although it exits 0 on SIGTERM), with the reason on its last
// state; the new process is healthy and stays.
func probeLiveness(ctx context.Context, t *testing.T, cl *client.Client, failURL, healthURL string) {
	waitPod(ctx, t, cl, "live", "running", func(p *api.Pod) bool { return firstStatus(p).State.Running != nil })
	httpGet(t, failURL)
	p := waitPod(ctx, t, cl, "live", "restarted", func(p *api.Pod) bool {
		cs := firstStatus(p)
		return cs.RestartCount >= 1 && cs.State.Running != nil
	})
	last := firstStatus(p).LastTerminationState.Terminated
	if last == nil || !strings.Contains(last.Message, "failed liveness probe, will be restarted") {
		t.Fatalf("last state %+v, want the liveness kill", last)
	}
	for ctx.Err() == nil {
		if resp, err := http.Get(healthURL); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	if p := waitPod(ctx, t, cl, "live", "running", func(p *api.Pod) bool { return firstStatus(p).State.Running != nil }); firstStatus(p).RestartCount != 1 {
		t.Fatalf("a healthy restarted task was killed again: restarts %d", firstStatus(p).RestartCount)
	}
}

// probeExecAndTCP: a tcp readiness probe passes on the open port; an exec
// liveness probe that fails once restarts its task once; a tcp liveness
// probe on a closed port restarts its task.
func probeExecAndTCP(ctx context.Context, t *testing.T, cl *client.Client, deadFile string) {
	waitPod(ctx, t, cl, "kinds", "web ready through tcp", func(p *api.Pod) bool {
		return len(p.Status.ContainerStatuses) == 2 && p.Status.ContainerStatuses[0].Ready
	})
	if err := os.WriteFile(deadFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := waitPod(ctx, t, cl, "kinds", "restarted by both liveness probes", func(p *api.Pod) bool {
		web, deaf := p.Status.ContainerStatuses[0], p.Status.ContainerStatuses[1]
		return web.RestartCount == 1 && web.State.Running != nil && deaf.RestartCount >= 1
	})
	for _, cs := range p.Status.ContainerStatuses {
		if last := cs.LastTerminationState.Terminated; last == nil || !strings.Contains(last.Message, "failed liveness probe") {
			t.Errorf("%s: last state %+v, want the liveness kill", cs.Name, last)
		}
	}
	waitPod(ctx, t, cl, "kinds", "web ready again", func(p *api.Pod) bool { return p.Status.ContainerStatuses[0].Ready })
}

// probeStartup: while the startup probe fails, a failing liveness probe
// does not run (no restart, not started, not ready); once it passes,
// liveness runs and restarts the task.
func probeStartup(ctx context.Context, t *testing.T, cl *client.Client, failURL, startedFile string) {
	waitPod(ctx, t, cl, "slowstart", "running", func(p *api.Pod) bool { return firstStatus(p).State.Running != nil })
	httpGet(t, failURL)
	time.Sleep(3 * time.Second) // three liveness periods
	p := waitPod(ctx, t, cl, "slowstart", "running", func(p *api.Pod) bool { return true })
	if cs := firstStatus(p); cs.RestartCount != 0 || cs.Started == nil || *cs.Started || cs.Ready || cs.State.Running == nil {
		t.Fatalf("before the startup probe passed: %+v", cs)
	}
	if err := os.WriteFile(startedFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p = waitPod(ctx, t, cl, "slowstart", "restarted by liveness after startup", func(p *api.Pod) bool {
		cs := firstStatus(p)
		return cs.RestartCount == 1 && cs.State.Running != nil && cs.Started != nil && *cs.Started && cs.Ready
	})
	if last := firstStatus(p).LastTerminationState.Terminated; last == nil || !strings.Contains(last.Message, "liveness") {
		t.Fatalf("last state %+v, want the liveness kill", last)
	}
}

const dockerProbePod = `
metadata: {name: dprobe}
spec:
  nodeName: n1
  restartPolicy: OnFailure
  containers:
  - name: web
    image: barque-testapp:latest
    args: [serve, -addr, "IP:PORT"]
    ports: [{name: http, containerPort: PORT}]
    readinessProbe: {exec: {command: [/testapp, cat, /alloc/ready]}, periodSeconds: 1, failureThreshold: 1}
    livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1, failureThreshold: 2}
`

// TestProbesDocker: the same probes for a docker task: readiness through
// docker exec, liveness over HTTP to the host-network port.
func TestProbesDocker(t *testing.T) {
	c, cl, ctx := startDockerCluster(t)
	ip := c.procs[0].gossip[:strings.LastIndex(c.procs[0].gossip, ":")]
	port := itoa(freePort(t, ip))
	pod := applyPod(ctx, t, cl, strings.NewReplacer("IP", ip, "PORT", port).Replace(dockerProbePod))
	// Whatever happens, no container outlives the test.
	ids := map[string]bool{}
	t.Cleanup(func() {
		for id := range ids {
			_ = exec.Command("docker", "rm", "-f", id).Run()
		}
	})
	seen := func(p *api.Pod) *api.Pod {
		if id := strings.TrimPrefix(firstStatus(p).ContainerID, "docker://"); id != "" {
			ids[id] = true
		}
		return p
	}

	p := seen(waitPod(ctx, t, cl, pod.Name, "running", func(p *api.Pod) bool { return firstStatus(p).State.Running != nil }))
	time.Sleep(2 * time.Second)
	if p = waitPod(ctx, t, cl, pod.Name, "running", func(*api.Pod) bool { return true }); firstStatus(p).Ready {
		t.Fatalf("ready before /alloc/ready exists: %+v", firstStatus(p))
	}
	ready := filepath.Join(c.dir, "n1", "alloc", pod.UID, "alloc", "ready")
	if err := os.WriteFile(ready, []byte("yes"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitPod(ctx, t, cl, pod.Name, "Ready", func(p *api.Pod) bool { return podReady(p) && firstStatus(p).Ready })
	httpGet(t, "http://"+ip+":"+port+"/fail")
	p = waitPod(ctx, t, cl, pod.Name, "restarted by liveness", func(p *api.Pod) bool {
		cs := firstStatus(p)
		return cs.RestartCount >= 1 && cs.State.Running != nil
	})
	seen(p)
	if last := firstStatus(p).LastTerminationState.Terminated; last == nil || !strings.Contains(last.Message, "failed liveness probe") {
		t.Fatalf("last state %+v, want the liveness kill", last)
	}
	p = seen(waitPod(ctx, t, cl, pod.Name, "Ready again", func(p *api.Pod) bool { return podReady(p) }))
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, deleteOpts()); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(firstStatus(p).ContainerID, "docker://")
	for ctx.Err() == nil {
		if out, _ := exec.Command("docker", "ps", "-aq", "--no-trunc", "--filter", "id="+id).Output(); strings.TrimSpace(string(out)) == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("container %s still exists after the pod was deleted", id)
}
