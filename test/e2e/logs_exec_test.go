package e2e

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

const talkerPod = `
metadata: {name: talker, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  containers:
  - name: main
    command: ["/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.2; done"]
`

// restarterPod exits after each line; its runs are numbered.
const restarterPod = `
metadata: {name: restarter, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  containers:
  - name: main
    command: ["/bin/sh", "-c", "n=$(cat $NOMAD_ALLOC_DIR/n 2>/dev/null || echo 0); echo $((n+1)) > $NOMAD_ALLOC_DIR/n; echo line $n; sleep 0.3; exit 1"]
`

var lineRE = regexp.MustCompile(`^line (\d+)$`)

// lineNumbers parses "line N" lines; anything else fails the test.
func lineNumbers(t *testing.T, out string) []int {
	t.Helper()
	var ns []int
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("unexpected log line %q in:\n%s", l, out)
		}
		n, _ := strconv.Atoi(m[1])
		ns = append(ns, n)
	}
	return ns
}

// TestLogsAndExec drives `barque logs` and `barque exec` through a server to
// the agent running the pod: whole logs, --tail, -f, exit codes, stdin, and
// the errors a user sees.
func TestLogsAndExec(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	n := waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	if !strings.HasPrefix(n.Status.Attributes["agent.api"], "http://") {
		t.Fatalf("node does not advertise its agent API: %v", n.Status.Attributes)
	}
	pod := applyPod(ctx, t, cl, talkerPod)
	waitPod(ctx, t, cl, pod.Name, "running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	// Ask a follower too: any replica proxies to the agent.
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}

	var out string
	var code int
	for ctx.Err() == nil {
		if out, code = run(t, env, "", "logs", "talker"); code == 0 && strings.Count(out, "\n") >= 4 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ns := lineNumbers(t, out); ns[0] != 1 || len(ns) < 4 {
		t.Fatalf("logs from the start: %v", ns)
	}

	out, code = run(t, env, "", "logs", "talker", "--tail", "2")
	if ns := lineNumbers(t, out); code != 0 || len(ns) != 2 || ns[1] != ns[0]+1 {
		t.Fatalf("logs --tail 2 (exit %d):\n%s", code, out)
	}
	last := lineNumbers(t, out)[1]

	followLogs(t, env, last)

	out, code = run(t, env, "", "exec", "talker", "--", "sh", "-c", "echo hi; exit 3")
	if code != 3 || strings.TrimSpace(out) != "hi" {
		t.Fatalf("exec: exit %d, output %q; want 3 and hi", code, out)
	}
	out, code = run(t, env, "hello\nworld\n", "exec", "-i", "talker", "--", "cat")
	if code != 0 || out != "hello\nworld\n" {
		t.Fatalf("exec -i cat: exit %d, output %q", code, out)
	}
	execIgnoringStdin(t, env)
	execWithoutUpgrade(t, c.addresses()[1])
	out, code = run(t, env, "", "exec", "talker", "-c", "nope", "--", "true")
	if code != 1 || !strings.Contains(out, "container nope is not valid") {
		t.Fatalf("exec in a missing container: exit %d\n%s", code, out)
	}
	previousLogs(ctx, t, cl, env)

	out, code = run(t, env, "", "logs", "ghost")
	if code != 1 || !strings.Contains(out, "not found") {
		t.Fatalf("logs of a missing pod: exit %d\n%s", code, out)
	}
}

// followLogs runs `barque logs -f` and reads until lines newer than after
// arrive, then kills it.
func followLogs(t *testing.T, env []string, after int) {
	t.Helper()
	cmd := exec.Command(barqueBin, "logs", "-f", "--tail", "1", "talker")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(15 * time.Second)
	var got []int
	for len(got) < 3 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("logs -f ended; got %v", got)
			}
			got = append(got, lineNumbers(t, l)...)
		case <-timeout:
			t.Fatalf("logs -f streamed only %v", got)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("logs -f lines out of order: %v", got)
		}
	}
	if got[2] <= after {
		t.Fatalf("logs -f did not stream new lines: %v after %d", got, after)
	}
}

// previousLogs: after a restart, logs show the current run only and
// --previous the run before.
func previousLogs(ctx context.Context, t *testing.T, cl *client.Client, env []string) {
	t.Helper()
	applyPod(ctx, t, cl, restarterPod)
	for ctx.Err() == nil {
		// Previous first: a restart between the two reads keeps prev < cur.
		prev, code2 := run(t, env, "", "logs", "restarter", "--previous")
		cur, code1 := run(t, env, "", "logs", "restarter")
		if code1 == 0 && code2 == 0 && strings.TrimSpace(cur) != "" && strings.TrimSpace(prev) != "" {
			c, p := lineNumbers(t, cur), lineNumbers(t, prev)
			if len(c) != 1 || len(p) != 1 || p[0] >= c[0] {
				t.Fatalf("current run %v, previous %v: want one line each, previous first", c, p)
			}
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatal("logs --previous never showed a previous run")
}

// execIgnoringStdin: with -i and a stdin that never ends, a command that
// does not read it still ends, with its exit code.
func execIgnoringStdin(t *testing.T, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, barqueBin, "exec", "-i", "talker", "--", "sh", "-c", "echo bye; exit 4")
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe() // held open until the end of the test
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 || string(out) != "bye\n" || ctx.Err() != nil {
		t.Fatalf("exec -i of a command ignoring stdin: %v, output %q", err, out)
	}
}

// execWithoutUpgrade: stdin as the request body, frames as the response.
func execWithoutUpgrade(t *testing.T, server string) {
	t.Helper()
	q := url.Values{"command": {"sh", "-c", "cat; exit 5"}, "stdin": {"true"}}
	u := server + "/api/v1/namespaces/default/pods/talker/exec?" + q.Encode()
	resp, err := http.Post(u, "application/octet-stream", strings.NewReader("via body\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out string
	for {
		stream, p, err := client.ReadExecFrame(resp.Body)
		if err != nil {
			t.Fatalf("plain exec: %v after %q (HTTP %d)", err, out, resp.StatusCode)
		}
		if stream == client.ExecExit {
			if out != "via body\n" || string(p) != `{"exitCode":5}` {
				t.Fatalf("plain exec: output %q, end %s", out, p)
			}
			return
		}
		out += string(p)
	}
}
