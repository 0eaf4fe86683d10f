package e2e

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

const dockerPod = `
metadata: {name: web}
spec:
  nodeName: n1
  restartPolicy: Always
  containers:
  - name: web
    image: barque-testapp:latest
    args: ["serve", "-addr", "127.0.0.1:PORT"]
    ports: [{name: http, containerPort: PORT}]
`

// TestAgentRunsDockerPod: a pod whose container has an image runs with the
// docker driver through the agent, on the host network, and answers HTTP;
// deleting the pod removes the container.
func TestAgentRunsDockerPod(t *testing.T) {
	_, cl, ctx := startDockerCluster(t)
	port := freePort(t, "127.0.0.1")
	manifest := strings.ReplaceAll(dockerPod, "PORT", itoa(port))
	pod := applyPod(ctx, t, cl, manifest)
	running := waitPod(ctx, t, cl, pod.Name, "running", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && p.Status.ContainerStatuses[0].State.Running != nil
	})
	id := strings.TrimPrefix(running.Status.ContainerStatuses[0].ContainerID, "docker://")
	if id == "" {
		t.Fatalf("no container id in status: %+v", running.Status.ContainerStatuses[0])
	}
	var body string
	for ctx.Err() == nil {
		if resp, err := http.Get("http://127.0.0.1:" + itoa(port) + "/"); err == nil {
			b := make([]byte, 64)
			k, _ := resp.Body.Read(b)
			resp.Body.Close()
			body = string(b[:k])
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.HasPrefix(body, "ok") {
		t.Fatalf("the container's server answered %q", body)
	}
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, deleteOpts()); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		if out, _ := exec.Command("docker", "ps", "-aq", "--no-trunc", "--filter", "id="+id).Output(); strings.TrimSpace(string(out)) == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("container %s still exists after the pod was deleted", id)
}
