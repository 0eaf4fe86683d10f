package docker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// freePort asks the OS for a port that is free on 127.0.0.1 now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func httpGet(url string) (int, string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// expectOK waits until url answers 200 with a body starting with prefix.
func expectOK(t *testing.T, url, prefix string) {
	t.Helper()
	eventually(t, 20*time.Second, "GET "+url, func() error {
		code, body, err := httpGet(url)
		if err != nil {
			return err
		}
		if code != http.StatusOK || !strings.HasPrefix(body, prefix) {
			return fmt.Errorf("%d %q", code, body)
		}
		return nil
	})
}

func TestServerPublishedPort(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t, "serve")
	host := freePort(t)
	cfg.Ports = []driver.Port{{Name: "http", Host: host, Container: 8080, Protocol: "TCP"}}
	cfg.Env = map[string]string{"PORT": "8080"}
	h := start(t, d, cfg)
	base := "http://127.0.0.1:" + strconv.Itoa(host)
	expectOK(t, base+"/", "ok ")
	expectOK(t, base+"/healthz", "healthy")
	if _, _, err := httpGet(base + "/fail"); err != nil {
		t.Fatal(err)
	}
	if code, _, err := httpGet(base + "/healthz"); err != nil || code != http.StatusInternalServerError {
		t.Fatalf("healthz after /fail = %d, %v; want 500", code, err)
	}
	// The task exits with the code it is told; Wait reports it.
	if _, _, err := httpGet(base + "/exit?code=7"); err != nil {
		t.Fatal(err)
	}
	if r := waitExit(t, d, h, 30*time.Second); r.ExitCode != 7 {
		t.Fatalf("exit = %+v, want 7", r)
	}
}

func TestServerHostNetwork(t *testing.T) {
	d := newTestDriver(t)
	port := freePort(t)
	cfg := taskConfig(t, "serve")
	cfg.HostNetwork = true
	cfg.Env = map[string]string{"NOMAD_PORT_http": strconv.Itoa(port)}
	h := start(t, d, cfg)
	expectOK(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/", "ok ")
	if err := d.Stop(testCtx(t), h, "SIGTERM", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// A task that handles SIGTERM stops cleanly within its grace, logging it;
// a second Stop is a no-op.
func TestStopWithGrace(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t, "sleep")
	h := start(t, d, cfg)
	ch, err := d.Wait(testCtx(t), h)
	if err != nil {
		t.Fatal(err)
	}
	// A signal that arrives before the app installs its handler is ignored
	// by PID 1; wait until it says it is ready.
	eventually(t, 10*time.Second, "testapp ready", func() error {
		if !strings.Contains(readLog(t, cfg, "stdout"), "testapp: sleeping") {
			return errors.New("not yet")
		}
		return nil
	})
	began := time.Now()
	if err := d.Stop(testCtx(t), h, "SIGTERM", 20*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Fatalf("Stop took %v: the grace period was used up, not the signal", took)
	}
	select {
	case r := <-ch:
		if !r.Successful() {
			t.Fatalf("exit = %+v, want a clean exit on SIGTERM", r)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after Stop")
	}
	if got := readLog(t, cfg, "stdout"); !strings.Contains(got, "stopping on terminated") {
		t.Fatalf("stdout = %q, want the task's own shutdown line", got)
	}
	if err := d.Stop(testCtx(t), h, "SIGTERM", time.Second); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := d.Destroy(testCtx(t), h); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if err := d.Destroy(testCtx(t), h); err != nil {
		t.Fatalf("second Destroy: %v", err)
	}
}

// A signal the task ignores (SIGWINCH: Go ignores it by default) runs out the grace, then the engine kills it.
func TestStopKillsAfterGrace(t *testing.T) {
	d := newTestDriver(t)
	h := start(t, d, taskConfig(t, "sleep"))
	began := time.Now()
	if err := d.Stop(testCtx(t), h, "SIGWINCH", time.Second); err != nil {
		t.Fatal(err)
	}
	r := waitExit(t, d, h, 30*time.Second)
	if r.ExitCode != 137 || time.Since(began) < time.Second {
		t.Fatalf("exit = %+v after %v, want 137 (killed) after the 1 s grace", r, time.Since(began))
	}
}

func TestOOMKilled(t *testing.T) {
	d := newTestDriver(t)
	cfg := taskConfig(t, "alloc", "200")
	cfg.Resources.MemoryBytes = 32 << 20
	r := waitExit(t, d, start(t, d, cfg), 60*time.Second)
	if !r.OOMKilled || r.Successful() {
		t.Fatalf("exit = %+v, want OOMKilled", r)
	}
	if strings.Contains(readLog(t, cfg, "stdout"), "holding") {
		t.Fatal("the task allocated all 200 MiB under a 32 MiB limit")
	}
}

func TestExec(t *testing.T) {
	d := newTestDriver(t)
	h := start(t, d, taskConfig(t, "sleep"))
	var out, errOut strings.Builder
	code, err := d.Exec(testCtx(t), h, []string{"/testapp", "echo", "hi"}, nil, &out, &errOut)
	if err != nil || code != 0 || out.String() != "hi\n" {
		t.Fatalf("exec echo = %d, %v, stdout %q", code, err, out.String())
	}
	code, err = d.Exec(testCtx(t), h, []string{"/testapp", "exit", "4"}, nil, nil, nil)
	if err != nil || code != 4 {
		t.Fatalf("exec exit 4 = %d, %v", code, err)
	}
	out.Reset()
	code, err = d.Exec(testCtx(t), h, []string{"/testapp", "echo-err", "to stderr"}, strings.NewReader(""), &out, &errOut)
	if err != nil || code != 0 || errOut.String() != "to stderr\n" || out.String() != "" {
		t.Fatalf("exec echo-err = %d, %v, stdout %q stderr %q", code, err, out.String(), errOut.String())
	}
	// The engine reports a binary it cannot run as an error or a non-zero
	// code (126/127, depending on its version), never as success.
	if code, err := d.Exec(testCtx(t), h, []string{"/no/such/binary"}, nil, nil, nil); err == nil && code == 0 {
		t.Fatal("exec of a missing binary succeeded")
	}
}
