package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"sigs.k8s.io/yaml"
)

// startAgent runs `barque agent` as a process that joins the cluster through
// one server's gossip address.
func (c *procCluster) startAgent(name string) *proc {
	c.t.Helper()
	return c.startAgentEnv(name)
}

// startAgentEnv is startAgent with variables added to the agent's
// environment (DOCKER_HOST…).
func (c *procCluster) startAgentEnv(name string, env ...string) *proc {
	c.t.Helper()
	return c.startAgentWith(name, env)
}

// startAgentWith is startAgentEnv with flags appended to the agent's
// command line; flags with a -join join through those addresses instead
// of the first server (-join adds up when repeated).
func (c *procCluster) startAgentWith(name string, env []string, flags ...string) *proc {
	c.t.Helper()
	ip := c.procs[0].gossip[:strings.LastIndex(c.procs[0].gossip, ":")]
	ports := freePorts(c.t, ip, 2)
	args := []string{"agent", "-name", name, "-data-dir", filepath.Join(c.dir, name), "-bind", ip,
		"-gossip-port", fmt.Sprint(ports[0]), "-api-port", fmt.Sprint(ports[1]), "-log-level", "debug"}
	if !slices.Contains(flags, "-join") {
		args = append(args, "-join", c.procs[0].gossip)
	}
	p := &proc{name: name, logPath: filepath.Join(c.dir, name+".log"), gossip: fmt.Sprintf("%s:%d", ip, ports[0]),
		args: append(args, flags...), env: env}
	c.agents = append(c.agents, p)
	c.start(p)
	return p
}

func applyPod(ctx context.Context, t *testing.T, cl *client.Client, manifest string) *api.Pod {
	t.Helper()
	var pod api.Pod
	if err := yaml.UnmarshalStrict([]byte(manifest), &pod); err != nil {
		t.Fatal(err)
	}
	pod.Namespace = "default"
	obj, err := cl.Create(ctx, &pod)
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	return obj.(*api.Pod)
}

// waitPod polls a pod until cond holds.
func waitPod(ctx context.Context, t *testing.T, cl *client.Client, name, what string, cond func(*api.Pod) bool) *api.Pod {
	t.Helper()
	var last *api.Pod
	for ctx.Err() == nil {
		if obj, err := cl.Get(ctx, "Pod", "default", name, client.GetOptions{}); err == nil {
			last = obj.(*api.Pod)
			if cond(last) {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := yaml.Marshal(last)
	t.Fatalf("pod %s never %s; last seen:\n%s", name, what, b)
	return nil
}

func waitNodeReady(ctx context.Context, t *testing.T, cl *client.Client, name string, want api.ConditionStatus) *api.Node {
	t.Helper()
	for ctx.Err() == nil {
		if obj, err := cl.Get(ctx, "Node", "", name, client.GetOptions{}); err == nil {
			n := obj.(*api.Node)
			if c := api.FindCondition(n.Status.Conditions, api.NodeReady); c != nil && c.Status == want {
				return n
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("node %s never became Ready=%s", name, want)
	return nil
}

const twoTaskPod = `
metadata: {name: pair, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: OnFailure
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - name: writer
    command: ["sh", "-c", "echo $NOMAD_ALLOC_ID > $NOMAD_ALLOC_DIR/shared.txt; sleep 30"]
  - name: flaky
    command: ["sh", "-c", "n=$(cat $NOMAD_ALLOC_DIR/count 2>/dev/null || echo 0); echo $((n+1)) > $NOMAD_ALLOC_DIR/count; [ $n -ge 1 ] && sleep 30; exit 1"]
`

// TestAgentRunsPodsAndReattaches: an agent process joins through gossip and
// registers its node; a pod with two exec tasks runs (one restarted under
// OnFailure); the agent is SIGKILLed and restarted and reattaches to the same
// processes; then it dies for good and the leader marks the node and its pod
// lost.
func TestAgentRunsPodsAndReattaches(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	agent := c.startAgent("n1")
	n := waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	if !strings.Contains(strings.Join(n.Status.Drivers, ","), "exec") || n.Status.Capacity["cpu"] == "" {
		t.Fatalf("node fingerprint: drivers %v capacity %v", n.Status.Drivers, n.Status.Capacity)
	}

	pod := applyPod(ctx, t, cl, twoTaskPod)
	running := waitPod(ctx, t, cl, pod.Name, "ran both tasks with one restart", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && len(p.Status.ContainerStatuses) == 2 &&
			p.Status.ContainerStatuses[0].State.Running != nil && p.Status.ContainerStatuses[1].State.Running != nil &&
			p.Status.ContainerStatuses[1].RestartCount == 1
	})
	pids := taskPIDs(running)
	shared := filepath.Join(c.dir, "n1", "alloc", pod.UID, "alloc", "shared.txt")
	if b, err := os.ReadFile(shared); err != nil || strings.TrimSpace(string(b)) != pod.UID {
		t.Fatalf("the task did not see its alloc dir and identity: %q %v", b, err)
	}

	// SIGKILL the agent: tasks keep running; the restarted agent reattaches.
	c.kill(agent)
	for _, pid := range pids {
		if syscall.Kill(pid, 0) != nil {
			t.Fatalf("task pid %d died with the agent", pid)
		}
	}
	c.start(agent)
	time.Sleep(3 * time.Second) // a few heartbeats and a status report
	after := waitPod(ctx, t, cl, pod.Name, "still running after the agent restart", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && p.Status.ContainerStatuses[0].State.Running != nil
	})
	if got := taskPIDs(after); fmt.Sprint(got) != fmt.Sprint(pids) {
		t.Fatalf("tasks after the agent restart have pids %v, want the same %v (no duplicates)", got, pids)
	}
	// What the drivers cannot tell comes back from the agent's local state:
	// the restart count, the last termination and the pod's start time.
	flaky := after.Status.ContainerStatuses[1]
	if flaky.RestartCount != 1 {
		t.Fatalf("restart count after reattach: %d, want 1 (kept across the agent restart)", flaky.RestartCount)
	}
	if lt := flaky.LastTerminationState.Terminated; lt == nil || lt.ExitCode != 1 {
		t.Fatalf("last state after reattach: %+v, want the exit 1 before the restart", flaky.LastTerminationState)
	}
	if a, b := after.Status.StartTime, running.Status.StartTime; a == nil || b == nil || !a.Equal(b.Time) {
		t.Fatalf("pod start time changed across the agent restart: %v, was %v", after.Status.StartTime, running.Status.StartTime)
	}

	// The agent dies for good: gossip or the missing heartbeats tell the leader.
	c.kill(agent)
	waitNodeReady(ctx, t, cl, "n1", api.ConditionUnknown)
	waitPod(ctx, t, cl, pod.Name, "marked lost", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodFailed && p.Status.Reason == "NodeLost"
	})
	for _, pid := range pids {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// taskPIDs reads the task pids from the container IDs ("exec://PID").
func taskPIDs(p *api.Pod) []int {
	var out []int
	for _, cs := range p.Status.ContainerStatuses {
		pid, err := strconv.Atoi(strings.TrimPrefix(cs.ContainerID, "exec://"))
		if err == nil {
			out = append(out, pid)
		}
	}
	return out
}
