package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/barque-io/barque/api"
)

// TestKubernetesExecProtocol: pods/exec speaks Kubernetes' remote command
// protocol over a WebSocket (v5.channel.k8s.io), through a follower to the
// agent: stdout and stderr on their channels, stdin closed with the v5
// close message, and the result on the error channel as a Status (Success,
// or NonZeroExitCode with the code as a cause). kubectl exec, exec -i,
// exec -t and cp then work, where kubectl is installed.
func TestKubernetesExecProtocol(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	pod := applyPod(ctx, t, cl, talkerPod)
	waitPod(ctx, t, cl, pod.Name, "running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	server := c.addresses()[1]

	out, status := wsExec(t, server, "stdin=true", []string{"sh", "-c", "cat; echo oops >&2; exit 3"}, "piped\n")
	if out[1] != "piped\n" || out[2] != "oops\n" || status["status"] != "Failure" || status["reason"] != "NonZeroExitCode" ||
		status["details"].(map[string]any)["causes"].([]any)[0].(map[string]any)["message"] != "3" {
		t.Fatalf("exec: stdout %q stderr %q status %v", out[1], out[2], status)
	}
	if out, status := wsExec(t, server, "", []string{"echo", "hi"}, ""); out[1] != "hi\n" || status["status"] != "Success" {
		t.Fatalf("exec echo: stdout %q status %v", out[1], status)
	}
	if _, status := wsExec(t, server, "", []string{"sh", "-c", "kill -9 $$"}, ""); status["reason"] != "NonZeroExitCode" ||
		status["details"].(map[string]any)["causes"].([]any)[0].(map[string]any)["message"] != "137" {
		t.Fatalf("a command killed by SIGKILL: status %v, want exit code 137", status)
	}
	// A GET without the upgrade runs nothing.
	resp, err := http.Get(server + "/api/v1/namespaces/default/pods/talker/exec?command=true")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("exec by a plain GET: %d, want 405", resp.StatusCode)
	}
	execClientGoesAway(t, server)

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed on this machine; the protocol was checked")
	}
	dir := t.TempDir()
	kc := func(stdin string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, kubectl, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+writeKubeconfig(t, dir, server), "HOME="+dir)
		cmd.Stdin = strings.NewReader(stdin)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if out, err := kc("", "exec", "talker", "--", "sh", "-c", "echo hi; exit 3"); !strings.Contains(out, "hi\\n") && (err == nil || !strings.HasPrefix(out, "hi\n")) {
		t.Fatalf("kubectl exec: %v\n%s", err, out)
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("kubectl exec exit: %v\n%s", err, out)
	}
	if out, err := kc("hello\nworld\n", "exec", "-i", "talker", "--", "cat"); err != nil || out != "hello\nworld\n" {
		t.Fatalf("kubectl exec -i cat: %v %q", err, out)
	}
	if err := os.WriteFile(dir+"/f", []byte("copied\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := kc("", "cp", dir+"/f", "talker:"+dir+"/g"); err != nil {
		t.Fatalf("kubectl cp: %v\n%s", err, out)
	}
	if out, err := kc("", "exec", "talker", "--", "cat", dir+"/g"); err != nil || out != "copied\n" {
		t.Fatalf("the copied file: %v %q", err, out)
	}
	if script, err := exec.LookPath("script"); err == nil {
		// A terminal of 37 rows and 101 columns: exec -it passes its size
		// (kubectl gives no terminal without -i, as Kubernetes).
		cmd := exec.CommandContext(ctx, script, "-qc", "stty rows 37 cols 101; "+kubectl+" exec -it talker -- stty size", "/dev/null")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+dir+"/config", "HOME="+dir)
		b, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(b), "37 101") {
			t.Fatalf("kubectl exec -it stty size: %v %q", err, b)
		}
	}
}

// execClientGoesAway: a client that sends stdin to a command that takes
// none, then goes away, has the command killed at once: the agent keeps
// reading the connection whatever the command does with its input.
func execClientGoesAway(t *testing.T, server string) {
	t.Helper()
	conn := wsOpen(t, server, "", []string{"sh", "-c", "echo $$; sleep 30"})
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil || len(msg) < 2 || msg[0] != 1 {
		t.Fatalf("the command's pid: %q %v", msg, err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(msg[1:])))
	if err := conn.WriteMessage(websocket.BinaryMessage, append([]byte{0}, make([]byte, 200<<10)...)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the command (pid %d) still runs 5 s after its client went away", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wsExec runs cmd in the talker pod over a v5.channel.k8s.io WebSocket,
// sends stdin then closes it, and answers what came on each channel and
// the final Status.
func wsExec(t *testing.T, server, query string, cmd []string, stdin string) (map[byte]string, map[string]any) {
	t.Helper()
	conn := wsOpen(t, server, query, cmd)
	defer conn.Close()
	if stdin != "" {
		if err := conn.WriteMessage(websocket.BinaryMessage, append([]byte{0}, stdin...)); err != nil {
			t.Fatal(err)
		}
		if err := conn.WriteMessage(websocket.BinaryMessage, []byte{255, 0}); err != nil {
			t.Fatal(err)
		}
	}
	out := map[byte]string{}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no status before the end (%v); got %q", err, out)
		}
		if len(msg) == 0 {
			continue
		}
		if msg[0] == 3 {
			var st map[string]any
			if err := json.Unmarshal(msg[1:], &st); err != nil {
				t.Fatalf("status %q: %v", msg[1:], err)
			}
			return out, st
		}
		out[msg[0]] += string(msg[1:])
	}
}

// wsOpen opens an exec WebSocket to the talker pod for cmd.
func wsOpen(t *testing.T, server, query string, cmd []string) *websocket.Conn {
	t.Helper()
	u, _ := url.Parse(server)
	u.Scheme = "ws"
	u.Path = "/api/v1/namespaces/default/pods/talker/exec"
	q := url.Values{"command": cmd, "stdout": {"true"}, "stderr": {"true"}}
	if query != "" {
		extra, _ := url.ParseQuery(query)
		for k, v := range extra {
			q[k] = v
		}
	}
	u.RawQuery = q.Encode()
	d := websocket.Dialer{Subprotocols: []string{"v5.channel.k8s.io"}, HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial(u.String(), nil)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", u, err, code)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || conn.Subprotocol() != "v5.channel.k8s.io" {
		conn.Close()
		t.Fatalf("handshake: %d, subprotocol %q", resp.StatusCode, conn.Subprotocol())
	}
	return conn
}
