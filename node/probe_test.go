package node

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/node/driver"
)

// fakeDriver answers Exec through a function and records Stop calls; the
// rest of driver.Driver is not used by probes.
type fakeDriver struct {
	driver.Driver
	exec  func(ctx context.Context, cmd []string, out io.Writer) (int, error)
	stops atomic.Int32
}

func (f *fakeDriver) Exec(ctx context.Context, _ *driver.TaskHandle, cmd []string, _ io.Reader, stdout, _ io.Writer) (int, error) {
	return f.exec(ctx, cmd, stdout)
}

func (f *fakeDriver) Stop(context.Context, *driver.TaskHandle, string, time.Duration) error {
	f.stops.Add(1)
	return nil
}

func serverTarget(t *testing.T, srv *httptest.Server) (probeTarget, int32) {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	return probeTarget{host: host, ports: []api.ContainerPort{{Name: "http", ContainerPort: 80, HostPort: int32(n)}}}, int32(n)
}

func TestProbeHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "broken", 500) })
	mux.HandleFunc("/to-ok", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/to-bad", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/bad", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://192.0.2.1/x", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Probe") != "yes" || r.Host != "web.example" || !strings.HasPrefix(r.UserAgent(), "barque-probe/") {
			w.WriteHeader(http.StatusTeapot)
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	target, hostPort := serverTarget(t, srv)
	headers := []api.HTTPHeader{{Name: "X-Probe", Value: "yes"}, {Name: "Host", Value: "web.example"}}
	for _, tc := range []struct {
		name    string
		get     api.HTTPGetAction
		ok      bool
		message string
	}{
		{"named port", api.HTTPGetAction{Path: "/ok", Port: api.FromString("http")}, true, ""},
		{"container port maps to the host port", api.HTTPGetAction{Path: "/ok", Port: api.FromInt(80)}, true, ""},
		{"host port given directly", api.HTTPGetAction{Path: "/ok", Port: api.FromInt(int(hostPort))}, true, ""},
		{"500", api.HTTPGetAction{Path: "/bad", Port: api.FromString("http")}, false, "statuscode: 500"},
		{"redirect followed on the same host", api.HTTPGetAction{Path: "/to-ok", Port: api.FromString("http")}, true, ""},
		{"redirect to a failure", api.HTTPGetAction{Path: "/to-bad", Port: api.FromString("http")}, false, "statuscode: 500"},
		{"redirect elsewhere is a success", api.HTTPGetAction{Path: "/away", Port: api.FromString("http")}, true, ""},
		{"headers and host", api.HTTPGetAction{Path: "/headers", Port: api.FromString("http"), HTTPHeaders: headers}, true, ""},
		{"headers missing", api.HTTPGetAction{Path: "/headers", Port: api.FromString("http")}, false, "statuscode: 418"},
		{"unknown port name", api.HTTPGetAction{Path: "/ok", Port: api.FromString("metrics")}, false, "not a named port"},
		{"timeout", api.HTTPGetAction{Path: "/slow", Port: api.FromString("http")}, false, "deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			ok, msg := probeHTTP(ctx, newProbeClient(), target, tc.get)
			if ok != tc.ok || !strings.Contains(msg, tc.message) {
				t.Fatalf("probeHTTP = %v %q, want %v with %q", ok, msg, tc.ok, tc.message)
			}
		})
	}
}

func TestProbeTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	target := probeTarget{host: "127.0.0.1", ports: []api.ContainerPort{{Name: "db", ContainerPort: int32(port)}}}
	ctx := context.Background()
	if ok, msg := probeTCP(ctx, target, api.TCPSocketAction{Port: api.FromString("db")}); !ok {
		t.Fatalf("open port: %s", msg)
	}
	ln.Close()
	if ok, _ := probeTCP(ctx, target, api.TCPSocketAction{Port: api.FromInt(port)}); ok {
		t.Fatal("a closed port passed the probe")
	}
}

func TestProbeExec(t *testing.T) {
	drv := &fakeDriver{exec: func(ctx context.Context, cmd []string, out io.Writer) (int, error) {
		switch cmd[0] {
		case "true":
			return 0, nil
		case "false":
			_, _ = io.WriteString(out, "not yet\n")
			return 1, nil
		}
		<-ctx.Done()
		return -1, ctx.Err()
	}}
	for _, tc := range []struct {
		cmd     string
		ok      bool
		message string
	}{{"true", true, ""}, {"false", false, `"false" exited with 1: not yet`}, {"hang", false, "timed out"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		ok, msg := probeExec(ctx, drv, &driver.TaskHandle{}, []string{tc.cmd}, 50*time.Millisecond)
		cancel()
		if ok != tc.ok || !strings.Contains(msg, tc.message) {
			t.Errorf("%s: probeExec = %v %q, want %v with %q", tc.cmd, ok, msg, tc.ok, tc.message)
		}
	}
}

// probeHarness runs a prober over a fake driver with 20 ms "seconds".
type probeHarness struct {
	w   *podWorker
	ts  *taskState
	c   api.Container
	drv *fakeDriver
}

func newProbeHarness(t *testing.T, c api.Container, drv *fakeDriver) *probeHarness {
	t.Helper()
	old := probeSecond
	probeSecond = 20 * time.Millisecond
	t.Cleanup(func() { probeSecond = old })
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default"}, Spec: api.PodSpec{Containers: []api.Container{c}}}
	a := &Agent{logger: hclog.NewNullLogger(), cfg: Config{Name: "n1", BindAddr: "127.0.0.1"}}
	w := a.newWorker(pod, nil)
	ts := w.tasks[c.Name]
	ts.setRunning(drv, &driver.TaskHandle{StartedAt: time.Now()})
	return &probeHarness{w: w, ts: ts, c: c, drv: drv}
}

func (h *probeHarness) status() api.ContainerStatus {
	st := h.w.podStatus()
	return st.ContainerStatuses[0]
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func execProbe(cmd string, failures int32) *api.Probe {
	return &api.Probe{ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: []string{cmd}}},
		PeriodSeconds: 1, TimeoutSeconds: 1, FailureThreshold: failures, SuccessThreshold: 1}
}

func TestProberReadiness(t *testing.T) {
	var healthy atomic.Bool
	drv := &fakeDriver{exec: func(context.Context, []string, io.Writer) (int, error) {
		if healthy.Load() {
			return 0, nil
		}
		return 1, nil
	}}
	ready := execProbe("check", 3)
	ready.SuccessThreshold = 2
	h := newProbeHarness(t, api.Container{Name: "web", ReadinessProbe: ready}, drv)
	p := h.w.startProbes(h.w.pod, h.c, drv, h.ts.handle, h.ts)
	defer p.stop()
	if cs := h.status(); cs.Ready || !*cs.Started {
		t.Fatalf("before the probe passed: ready %v started %v", cs.Ready, *cs.Started)
	}
	time.Sleep(5 * probeSecond)
	if h.status().Ready {
		t.Fatal("ready although the probe fails")
	}
	healthy.Store(true)
	eventually(t, "ready", func() bool { return h.status().Ready })
	st := h.w.podStatus()
	if c := api.FindCondition(st.Conditions, api.PodReady); c == nil || c.Status != api.ConditionTrue {
		t.Fatalf("pod Ready condition %+v", c)
	}
	healthy.Store(false)
	eventually(t, "unready", func() bool { return !h.status().Ready })
	if c := api.FindCondition(h.w.podStatus().Conditions, api.ContainersReady); c == nil || c.Status != api.ConditionFalse {
		t.Fatalf("ContainersReady condition %+v", c)
	}
	if msg := p.stop(); msg != "" || drv.stops.Load() != 0 {
		t.Fatalf("a readiness probe killed the task: %q", msg)
	}
}

func TestProberLivenessKills(t *testing.T) {
	var calls atomic.Int32
	drv := &fakeDriver{exec: func(context.Context, []string, io.Writer) (int, error) {
		if calls.Add(1) > 2 {
			return 1, nil
		}
		return 0, nil
	}}
	h := newProbeHarness(t, api.Container{Name: "web", LivenessProbe: execProbe("check", 3)}, drv)
	p := h.w.startProbes(h.w.pod, h.c, drv, h.ts.handle, h.ts)
	eventually(t, "stopped the task", func() bool { return drv.stops.Load() == 1 })
	msg := p.stop()
	if msg != "Container web failed liveness probe, will be restarted" {
		t.Fatalf("kill message %q", msg)
	}
	if n := calls.Load(); n != 5 {
		t.Fatalf("%d probes before the kill, want 2 successes and 3 failures", n)
	}
	h.w.update(h.ts, func() { h.ts.recordExit(driver.ExitResult{}, time.Now(), msg) })
	if !h.w.killedByProbe(h.ts) || h.status().State.Terminated.Message != msg {
		t.Fatalf("exit not recorded as a probe kill: %+v", h.status().State.Terminated)
	}
	if !shouldRestart(api.RestartOnFailure, false, !h.w.killedByProbe(h.ts)) {
		t.Fatal("OnFailure would not restart a task killed by its liveness probe")
	}
	// The task handled the stop signal and exited 0. Until the restart
	// begins, the pod must not look Succeeded: a terminal phase, once
	// reported, is final, and the pod would never run again (a CI failure).
	h.w.pod.Spec.RestartPolicy = api.RestartOnFailure
	if ph := h.w.podStatus().Phase; ph != api.PodRunning {
		t.Fatalf("phase %s between a probe kill and the restart, want Running", ph)
	}
}

func TestProberStartupGatesLiveness(t *testing.T) {
	var mu sync.Mutex
	var order []string
	startupOK := atomic.Bool{}
	drv := &fakeDriver{exec: func(_ context.Context, cmd []string, _ io.Writer) (int, error) {
		mu.Lock()
		order = append(order, cmd[0])
		mu.Unlock()
		if cmd[0] == "startup" && !startupOK.Load() {
			return 1, nil
		}
		return 0, nil
	}}
	c := api.Container{Name: "web", StartupProbe: execProbe("startup", 30), LivenessProbe: execProbe("live", 1),
		ReadinessProbe: execProbe("ready", 1)}
	h := newProbeHarness(t, c, drv)
	p := h.w.startProbes(h.w.pod, h.c, drv, h.ts.handle, h.ts)
	defer p.stop()
	time.Sleep(5 * probeSecond)
	if cs := h.status(); *cs.Started || cs.Ready {
		t.Fatalf("started %v ready %v before the startup probe passed", *cs.Started, cs.Ready)
	}
	startupOK.Store(true)
	eventually(t, "started and ready", func() bool { cs := h.status(); return *cs.Started && cs.Ready })
	eventually(t, "probed liveness", func() bool { mu.Lock(); defer mu.Unlock(); return order[len(order)-1] != "startup" })
	mu.Lock()
	defer mu.Unlock()
	seenOther := false
	for _, o := range order {
		if o != "startup" {
			seenOther = true
		} else if seenOther {
			t.Fatalf("the startup probe ran after it passed: %v", order)
		}
	}
	if order[0] != "startup" {
		t.Fatalf("probe order %v", order)
	}
}

func TestProberStartupFailureKills(t *testing.T) {
	drv := &fakeDriver{exec: func(context.Context, []string, io.Writer) (int, error) { return 1, nil }}
	c := api.Container{Name: "web", StartupProbe: execProbe("startup", 2), LivenessProbe: execProbe("live", 1)}
	h := newProbeHarness(t, c, drv)
	h.w.pod.Spec.RestartPolicy = api.RestartNever
	p := h.w.startProbes(h.w.pod, h.c, drv, h.ts.handle, h.ts)
	eventually(t, "stopped the task", func() bool { return drv.stops.Load() == 1 })
	if msg := p.stop(); msg != "Container web failed startup probe" {
		t.Fatalf("kill message %q (restart policy Never: no restart promised)", msg)
	}
}

func TestProbeStatusWithoutProbes(t *testing.T) {
	h := newProbeHarness(t, api.Container{Name: "web"}, &fakeDriver{})
	if p := h.w.startProbes(h.w.pod, h.c, h.drv, h.ts.handle, h.ts); p != nil {
		t.Fatal("a prober for a container without probes")
	}
	if cs := h.status(); !cs.Ready || !*cs.Started {
		t.Fatalf("a running container without probes: ready %v started %v", cs.Ready, *cs.Started)
	}
}
