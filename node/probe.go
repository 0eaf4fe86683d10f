package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/node/driver"
)

// Probes follow Kubernetes: a startup probe gates the other two and kills
// the task when it fails failureThreshold times in a row; a liveness probe
// kills it after failureThreshold consecutive failures, so that the worker's
// restart policy restarts it; a readiness probe turns the task ready after
// successThreshold consecutive successes and unready after failureThreshold
// consecutive failures. Each run of a task gets its own prober, started once
// the task runs and stopped when it exits, the pod stops or the agent
// detaches; init containers are not probed.

// probeKind names a probe as Kubernetes' messages do.
type probeKind string

const (
	probeStartup   probeKind = "Startup"
	probeLiveness  probeKind = "Liveness"
	probeReadiness probeKind = "Readiness"
)

// Kubernetes' defaults (in seconds), for probes that did not go through the
// API's defaulting (a pod decoded by hand, an older object).
const (
	defaultProbePeriod           = 10
	defaultProbeTimeout          = 1
	defaultProbeFailureThreshold = 3
	probeOutputLimit             = 10 << 10 // bytes of a body or command output kept for a message
)

// probeSecond is the unit of a probe's *Seconds fields; tests shrink it.
var probeSecond = time.Second

func probeDuration(n int32) time.Duration { return time.Duration(n) * probeSecond }

// execer is the part of a driver that exec probes use.
type execer interface {
	Exec(ctx context.Context, h *driver.TaskHandle, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
}

var _ execer = driver.Driver(nil)

// probeTarget is where a task's HTTP and TCP probes connect: the node's
// address (tasks use the host network) and the task's ports, so that a
// named or numbered container port resolves to the port on the host.
type probeTarget struct {
	host  string
	ports []api.ContainerPort
}

// taskProber runs the probes of one run of one task.
type taskProber struct {
	w      *podWorker
	ts     *taskState
	c      api.Container
	drv    driver.Driver
	h      *driver.TaskHandle
	target probeTarget
	grace  time.Duration // the pod's; a probe's own terminationGracePeriodSeconds wins
	policy api.RestartPolicy
	client *http.Client
	logger hclog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	killMsg string // set once a probe decided to kill the task
}

// startProbes starts the probes of container c, which has just started (or
// been recovered) as h. The result's stop must be called when the task ends;
// a nil prober (nothing to probe) is fine to stop.
func (w *podWorker) startProbes(pod *api.Pod, c api.Container, drv driver.Driver, h *driver.TaskHandle, ts *taskState) *taskProber {
	if ts.init || (c.StartupProbe == nil && c.LivenessProbe == nil && c.ReadinessProbe == nil) {
		return nil
	}
	p := &taskProber{w: w, ts: ts, c: c, drv: drv, h: h, target: probeTarget{host: w.a.probeHost(), ports: c.Ports},
		grace: 30 * time.Second, policy: pod.Spec.RestartPolicy, client: newProbeClient(),
		logger: w.a.logger.Named("probe").With("pod", pod.Name, "task", c.Name)}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		p.grace = durationSeconds(*pod.Spec.TerminationGracePeriodSeconds)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	started := make(chan struct{})
	if c.StartupProbe == nil {
		close(started)
	} else {
		p.goLoop(ctx, probeStartup, c.StartupProbe, nil, p.onStartup(started))
	}
	if c.LivenessProbe != nil {
		p.goLoop(ctx, probeLiveness, c.LivenessProbe, started, p.onLiveness)
	}
	if c.ReadinessProbe != nil {
		p.goLoop(ctx, probeReadiness, c.ReadinessProbe, started, p.onReadiness)
	}
	return p
}

// stop ends the probes and returns the message of a probe kill, if one
// happened in this run.
func (p *taskProber) stop() string {
	if p == nil {
		return ""
	}
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killMsg
}

// probeResult is one verdict with the consecutive counts so far.
type probeResult struct {
	ok         bool
	msg        string
	successes  int32
	failures   int32
	sThreshold int32
	fThreshold int32
}

func (p *taskProber) goLoop(ctx context.Context, kind probeKind, pr *api.Probe, after <-chan struct{}, on func(probeResult) bool) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.loop(ctx, kind, *pr, after, on)
	}()
}

// loop waits for after (the startup probe's success), then for the task's
// start plus the initial delay, then probes every period until on says
// stop or ctx ends.
func (p *taskProber) loop(ctx context.Context, kind probeKind, pr api.Probe, after <-chan struct{}, on func(probeResult) bool) {
	if after != nil {
		select {
		case <-after:
		case <-ctx.Done():
			return
		}
	}
	start := p.h.StartedAt
	if start.IsZero() {
		start = time.Now()
	}
	if !sleepUntil(ctx, start.Add(probeDuration(pr.InitialDelaySeconds))) {
		return
	}
	period := probeDuration(pr.PeriodSeconds)
	if period <= 0 {
		period = probeDuration(defaultProbePeriod)
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	r := probeResult{sThreshold: max(pr.SuccessThreshold, 1), fThreshold: max(pr.FailureThreshold, 1)}
	if pr.FailureThreshold == 0 {
		r.fThreshold = defaultProbeFailureThreshold
	}
	for {
		r.ok, r.msg = p.check(ctx, pr)
		if ctx.Err() != nil {
			return
		}
		if r.ok {
			r.successes, r.failures = r.successes+1, 0
		} else {
			r.successes, r.failures = 0, r.failures+1
			p.logger.Debug("probe failed", "probe", string(kind), "failures", r.failures, "message", r.msg)
		}
		if !on(r) {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

func (p *taskProber) onStartup(started chan struct{}) func(probeResult) bool {
	return func(r probeResult) bool {
		switch {
		case r.ok:
			p.setProbeState(func(ts *taskState) bool { ch := !ts.started; ts.started = true; return ch })
			close(started)
			return false
		case r.failures >= r.fThreshold:
			p.kill(probeStartup, r.msg)
			return false
		}
		return true
	}
}

func (p *taskProber) onLiveness(r probeResult) bool {
	if !r.ok && r.failures >= r.fThreshold {
		p.kill(probeLiveness, r.msg)
		return false
	}
	return true
}

func (p *taskProber) onReadiness(r probeResult) bool {
	switch {
	case r.ok && r.successes >= r.sThreshold:
		p.setReady(true, "")
	case !r.ok && r.failures >= r.fThreshold:
		p.setReady(false, r.msg)
	}
	return true
}

// setReady records the readiness verdict; a change is reported at once.
func (p *taskProber) setReady(ready bool, msg string) {
	if p.setProbeState(func(ts *taskState) bool { ch := ts.ready != ready; ts.ready = ready; return ch }) {
		p.logger.Info("readiness changed", "ready", ready, "message", msg)
		if !ready && msg != "" {
			p.w.event(p.c.Name, "Warning", "Unhealthy", "Readiness probe failed: "+msg)
		}
	}
}

// setProbeState changes the task's probe state under the worker's lock and
// asks for a status report when f says something changed.
func (p *taskProber) setProbeState(f func(ts *taskState) bool) bool {
	p.w.mu.Lock()
	changed := f(p.ts)
	p.w.mu.Unlock()
	if changed {
		p.w.notify()
	}
	return changed
}

// kill stops the task with the grace period (the probe's own, else the
// pod's); the worker sees it exit and applies the restart policy, which
// treats a probe kill as a failure. Stop runs on its own so that stopping
// the prober never waits for the grace period.
func (p *taskProber) kill(kind probeKind, msg string) {
	text := fmt.Sprintf("Container %s failed %s probe", p.c.Name, strings.ToLower(string(kind)))
	if p.policy != api.RestartNever {
		text += ", will be restarted"
	}
	p.mu.Lock()
	if p.killMsg != "" {
		p.mu.Unlock()
		return
	}
	p.killMsg = text
	p.mu.Unlock()
	p.setReady(false, "")
	p.logger.Info("killing the task", "probe", string(kind), "message", msg)
	p.w.event(p.c.Name, "Warning", "Unhealthy", string(kind)+" probe failed: "+msg)
	p.w.event(p.c.Name, "Normal", "Killing", text)
	grace := p.grace
	pr := p.c.LivenessProbe
	if kind == probeStartup {
		pr = p.c.StartupProbe
	}
	if pr != nil && pr.TerminationGracePeriodSeconds != nil {
		grace = durationSeconds(*pr.TerminationGracePeriodSeconds)
	}
	go func() {
		if err := p.drv.Stop(context.Background(), p.h, p.h.KillSignal, grace); err != nil {
			p.logger.Warn("stopping the task after a failed probe failed", "error", err)
		}
	}()
}

// check runs one probe within its timeout.
func (p *taskProber) check(ctx context.Context, pr api.Probe) (bool, string) {
	timeout := probeDuration(pr.TimeoutSeconds)
	if timeout <= 0 {
		timeout = probeDuration(defaultProbeTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case pr.HTTPGet != nil:
		return probeHTTP(ctx, p.client, p.target, *pr.HTTPGet)
	case pr.TCPSocket != nil:
		return probeTCP(ctx, p.target, *pr.TCPSocket)
	case pr.Exec != nil:
		return probeExec(ctx, p.drv, p.h, pr.Exec.Command, timeout)
	}
	return false, "the probe has no handler"
}

// probeHost is the address probes connect to when they name no host: the
// node's, or loopback when the agent listens on all addresses.
func (a *Agent) probeHost() string {
	ip := net.ParseIP(a.hostIP())
	if ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return ip.String()
}

// addr resolves a probe's host and port: a port name or a container port
// number becomes the port on the host, as taskConfig maps it.
func (t probeTarget) addr(host string, ref api.IntOrString) (string, error) {
	if host == "" {
		host = t.host
	}
	port := 0
	for _, p := range t.ports {
		if ref.IsString && p.Name == ref.StrVal || !ref.IsString && p.ContainerPort == ref.IntVal {
			port = int(p.HostPort)
			if port == 0 {
				port = int(p.ContainerPort)
			}
			break
		}
	}
	switch {
	case port != 0:
	case ref.IsString:
		n, err := strconv.Atoi(ref.StrVal)
		if err != nil {
			return "", fmt.Errorf("port %q is not a named port of the container", ref.StrVal)
		}
		port = n
	default:
		port = int(ref.IntVal)
	}
	if port <= 0 || port > 65535 {
		return "", fmt.Errorf("invalid port %s", ref.String())
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// newProbeClient is Kubernetes' prober client: no keep-alives (a probe
// must not hold connections open), no proxy, HTTPS without verification,
// and redirects followed only on the same host (a redirect elsewhere
// counts as its 3xx answer: success).
func newProbeClient() *http.Client {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // probes check liveness, not identity
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if req.URL.Host != via[0].URL.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// probeHTTP sends GET and succeeds on a status from 200 to 399.
func probeHTTP(ctx context.Context, hc *http.Client, t probeTarget, g api.HTTPGetAction) (bool, string) {
	addr, err := t.addr(g.Host, g.Port)
	if err != nil {
		return false, err.Error()
	}
	scheme := strings.ToLower(g.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+path, nil)
	if err != nil {
		return false, err.Error()
	}
	for _, h := range g.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "barque-probe/1.0")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "*/*")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, probeOutputLimit))
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return true, ""
	}
	msg := fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	if b := strings.TrimSpace(string(body)); b != "" {
		msg += ": " + b
	}
	return false, msg
}

// probeTCP succeeds when a connection opens.
func probeTCP(ctx context.Context, t probeTarget, a api.TCPSocketAction) (bool, string) {
	addr, err := t.addr(a.Host, a.Port)
	if err != nil {
		return false, err.Error()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err.Error()
	}
	_ = conn.Close()
	return true, ""
}

// probeExec runs the command in the task's context; exit 0 is success.
func probeExec(ctx context.Context, ex execer, h *driver.TaskHandle, cmd []string, timeout time.Duration) (bool, string) {
	out := &limitedBuffer{max: probeOutputLimit}
	code, err := ex.Exec(ctx, h, cmd, nil, out, out)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return false, fmt.Sprintf("command %q timed out after %v", strings.Join(cmd, " "), timeout)
	case err != nil:
		return false, err.Error()
	case code != 0:
		msg := fmt.Sprintf("command %q exited with %d", strings.Join(cmd, " "), code)
		if o := strings.TrimSpace(out.String()); o != "" {
			msg += ": " + o
		}
		return false, msg
	}
	return true, ""
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// sleepUntil waits for t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// event records a Kubernetes event about one of the worker's containers,
// best effort and off the probe's path.
func (w *podWorker) event(container, typ, reason, msg string) {
	pod := w.currentPod()
	now := api.NewTime(time.Now())
	ev := &api.Event{
		ObjectMeta: api.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name + "." + strconv.FormatInt(time.Now().UnixNano(), 16)},
		InvolvedObject: api.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			APIVersion: "v1", FieldPath: "spec.containers{" + container + "}"},
		Reason: reason, Message: msg, Type: typ, Count: 1, FirstTimestamp: now, LastTimestamp: now,
		Source: api.EventSource{Component: "barque-agent", Host: w.a.cfg.Name},
	}
	if w.a.client == nil {
		return // an agent without servers (tests)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := w.a.client.Create(ctx, ev); err != nil {
			w.a.logger.Debug("recording an event failed", "pod", pod.Name, "reason", reason, "error", err)
		}
	}()
}
