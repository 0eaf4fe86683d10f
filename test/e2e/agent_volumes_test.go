package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

const emptyDirPod = `
metadata: {name: sharing, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: Never
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: writer
    command: ["sh", "-c", "echo hello > data/msg; sleep 30"]
    volumeMounts: [{name: scratch, mountPath: data}]
  - name: reader
    command: ["sh", "-c", "for i in $(seq 50); do [ -s $BARQUE_VOLUME_SCRATCH/msg ] && exit 0; sleep 0.1; done; exit 1"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
`

// TestEmptyDirSharedAndOrphansStopped: two exec tasks share an emptyDir
// (one through a relative mountPath, one through BARQUE_VOLUME_<NAME>); then
// the agent is killed, the pod deleted while it is down, and the restarted
// agent stops the pod's remaining task and removes the pod's files.
func TestEmptyDirSharedAndOrphansStopped(t *testing.T) {
	c, cl, ctx := startWritable(t, 60*time.Second)
	agent := c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	pod := applyPod(ctx, t, cl, emptyDirPod)
	p := waitPod(ctx, t, cl, pod.Name, "reader done, writer running", func(p *api.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 2 && cs[0].State.Running != nil && cs[1].State.Terminated != nil
	})
	if code := p.Status.ContainerStatuses[1].State.Terminated.ExitCode; code != 0 {
		t.Fatalf("the reader did not see the writer's file through the emptyDir: exit %d", code)
	}
	writer := taskPIDs(p)[0]

	c.kill(agent)
	if err := cl.Delete(ctx, "Pod", "default", pod.Name, client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	podDir := filepath.Join(c.dir, "n1", "alloc", pod.UID)
	if _, err := os.Stat(podDir); err != nil {
		t.Fatalf("the pod's directory %s: %v", podDir, err)
	}
	c.start(agent)
	for ctx.Err() == nil && syscall.Kill(writer, 0) == nil {
		time.Sleep(100 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatalf("task %d of a pod deleted while the agent was down still runs", writer)
	}
	for ctx.Err() == nil {
		if _, err := os.Stat(podDir); os.IsNotExist(err) {
			return // removed by the restarted agent
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the files of a pod deleted while the agent was down are still in %s", podDir)
}

const projectedPod = `
metadata: {name: projected, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: Never
  volumes:
  - {name: token, secret: {secretName: api-token}}
  - {name: conf, configMap: {name: app-config, items: [{key: app.conf, path: conf/app.txt}]}}
  - {name: host, hostPath: {path: %q, type: Directory}}
  - {name: made, hostPath: {path: %q, type: DirectoryOrCreate}}
  - {name: modes, configMap: {name: app-config, defaultMode: 256, items: [{key: app.conf, path: a}, {key: unselected, path: b, mode: 384}]}}
  - {name: absent, configMap: {name: no-such-config, optional: true}}
  - {name: partial, configMap: {name: app-config, optional: true, items: [{key: app.conf, path: here}, {key: nope, path: gone}]}}
  containers:
  - name: reader
    command: ["sh", "-c", "cat secrets/api/token; cat cfg/conf/app.txt; cat $BARQUE_VOLUME_HOST/hello.txt; ls cfg; echo written > $BARQUE_VOLUME_MADE/out.txt; stat -c %%a modes/a modes/b; ls absent | wc -l; ls partial"]
    volumeMounts:
    - {name: token, mountPath: /secrets/api, readOnly: true}
    - {name: conf, mountPath: cfg}
    - {name: host, mountPath: /host}
    - {name: made, mountPath: /made}
    - {name: modes, mountPath: modes}
    - {name: absent, mountPath: absent}
    - {name: partial, mountPath: partial}
`

// missingKeyPod selects a key its (not optional) ConfigMap lacks.
const missingKeyPod = `
metadata: {name: missing-key, labels: {app: missing-key}, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  restartPolicy: Never
  volumes:
  - {name: conf, configMap: {name: app-config, items: [{key: nope, path: x}]}}
  containers:
  - name: reader
    command: ["true"]
    volumeMounts:
    - {name: conf, mountPath: cfg}
`

// TestProjectedAndHostPathVolumes: an exec task reads a Secret projected
// under its secrets/ directory, the one ConfigMap key its items select
// (at a nested path), and a file of a hostPath directory; it writes into a
// hostPath that the agent creates (DirectoryOrCreate). Projected files
// take the item's mode, else the volume's defaultMode; an optional source
// that is missing, or lacks a key, projects what it has; a key missing
// from a source that is not optional keeps the pod from starting, naming
// the key.
func TestProjectedAndHostPathVolumes(t *testing.T) {
	_, cl, ctx, _ := startWithAgents(t, "n1")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	host, made := t.TempDir(), filepath.Join(t.TempDir(), "made", "here")
	if err := writeFile(filepath.Join(host, "hello.txt"), "from-host\n"); err != nil {
		t.Fatal(err)
	}
	for _, o := range []api.Object{
		&api.Secret{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: api.ObjectMeta{Name: "api-token", Namespace: "default"},
			Data: map[string][]byte{"token": []byte("s3cr3t\n")}},
		&api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: api.ObjectMeta{Name: "app-config", Namespace: "default"},
			Data: map[string]string{"app.conf": "mode=e2e\n", "unselected": "x\n"}},
	} {
		if _, err := cl.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	pod := applyPod(ctx, t, cl, fmt.Sprintf(projectedPod, host, made))
	p := waitPod(ctx, t, cl, pod.Name, "finished", func(p *api.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Terminated != nil
	})
	logs := podLogs(ctx, t, cl, pod.Name)
	want := "s3cr3t\nmode=e2e\nfrom-host\nconf\n" + "400\n600\n" + "0\n" + "here\n"
	if code := p.Status.ContainerStatuses[0].State.Terminated.ExitCode; code != 0 || logs != want {
		t.Fatalf("exit %d, output %q; want 0 and %q: the secret, the selected key, the host file, only conf/ in the configMap volume, modes 400 (default) and 600 (item), an empty optional volume, the one key the optional source has", code, logs, want)
	}
	applyPod(ctx, t, cl, missingKeyPod)
	waitPodWaiting(ctx, t, cl, "app=missing-key", "CreateContainerConfigError", `configmap "app-config" has no key "nope"`)
	if got, err := readFile(filepath.Join(made, "out.txt")); err != nil || got != "written\n" {
		t.Fatalf("the task's file in the DirectoryOrCreate hostPath: %q, %v", got, err)
	}
}

// podLogs is the whole output of a pod's only container.
func podLogs(ctx context.Context, t *testing.T, cl *client.Client, name string) string {
	t.Helper()
	rc, err := cl.PodLogs(ctx, "default", name, client.LogOptions{})
	if err != nil {
		t.Fatalf("logs of %s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("logs of %s: %v", name, err)
	}
	return string(b)
}
