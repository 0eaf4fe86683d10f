package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"sigs.k8s.io/yaml"
)

// kvSet's pod records its own uid in its claim on the first run, and a
// later pod of the same ordinal copies what it finds there to data/seen.
const kvSet = `
metadata: {name: kv, namespace: default}
spec:
  replicas: 1
  serviceName: kv
  selector: {matchLabels: {app: kv}}
  template:
    metadata: {labels: {app: kv}, annotations: {barque.io/driver: exec}}
    spec:
      containers:
      - name: kv
        command: ["sh", "-c", "if [ -s data/first ]; then cat data/first > data/seen; else echo $BARQUE_ALLOC_ID > $BARQUE_VOLUME_DATA/first; fi; exec sleep 300"]
        volumeMounts: [{name: data, mountPath: data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 64Mi}}}
`

// TestStatefulSetClaimSurvivesItsPod: a StatefulSet pod writes into its
// claim's directory; the pod is deleted, and its replacement (same
// ordinal, pinned to the claim's node) reads the file. Scaled to zero, the
// claim and its directory stay (Retain); once the claim is deleted the
// agent removes the directory.
func TestStatefulSetClaimSurvivesItsPod(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)

	var set api.StatefulSet
	if err := yaml.UnmarshalStrict([]byte(kvSet), &set); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Create(ctx, &set); err != nil {
		t.Fatalf("create statefulset: %v", err)
	}
	running := func(p *api.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Running != nil
	}
	first := waitPod(ctx, t, cl, "kv-0", "running", running)
	claim := waitClaim(ctx, t, cl, "data-kv-0", "bound to n1", func(c *api.PersistentVolumeClaim) bool {
		return c.ClaimNode() == "n1" && c.Status.Phase == api.ClaimBound
	})
	dir := filepath.Join(c.dir, "n1", "volumes", "default", "data-kv-0", claim.UID)
	waitFileContent(ctx, t, filepath.Join(dir, "first"), first.UID)

	if err := cl.Delete(ctx, "Pod", "default", "kv-0", client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	second := waitPod(ctx, t, cl, "kv-0", "replaced and running", func(p *api.Pod) bool { return p.UID != first.UID && running(p) })
	if second.Spec.NodeName != "n1" || second.Spec.Affinity == nil {
		t.Fatalf("replacement kv-0 on %q with affinity %+v, want pinned to n1", second.Spec.NodeName, second.Spec.Affinity)
	}
	waitFileContent(ctx, t, filepath.Join(dir, "seen"), first.UID)

	// Scale to zero: the claim and its data stay.
	for {
		obj, err := cl.Get(ctx, "StatefulSet", "default", "kv", client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := obj.(*api.StatefulSet)
		s.Spec.Replicas = api.Ptr(int32(0))
		if _, err = cl.Update(ctx, s); err == nil {
			break
		} else if !errors.Is(err, api.ErrConflict) {
			t.Fatal(err)
		}
	}
	waitGone(ctx, t, cl, "Pod", "kv-0")
	time.Sleep(time.Second)
	if _, err := os.Stat(filepath.Join(dir, "first")); err != nil {
		t.Fatalf("claim data gone after scale-down under Retain: %v", err)
	}

	// Deleting the claim deletes its directory.
	if err := cl.Delete(ctx, "PersistentVolumeClaim", "default", "data-kv-0", client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the directory of deleted claim data-kv-0 is still there: %s", dir)
}

func waitClaim(ctx context.Context, t *testing.T, cl *client.Client, name, what string, cond func(*api.PersistentVolumeClaim) bool) *api.PersistentVolumeClaim {
	t.Helper()
	var last *api.PersistentVolumeClaim
	for ctx.Err() == nil {
		if obj, err := cl.Get(ctx, "PersistentVolumeClaim", "default", name, client.GetOptions{}); err == nil {
			if last = obj.(*api.PersistentVolumeClaim); cond(last) {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("claim %s never %s; last seen %+v", name, what, last)
	return nil
}

func waitFileContent(ctx context.Context, t *testing.T, path, want string) {
	t.Helper()
	var got string
	for ctx.Err() == nil {
		b, _ := os.ReadFile(path)
		if got = strings.TrimSpace(string(b)); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s holds %q, want %q", path, got, want)
}

func waitGone(ctx context.Context, t *testing.T, cl *client.Client, kind, name string) {
	t.Helper()
	for ctx.Err() == nil {
		if _, err := cl.Get(ctx, kind, "default", name, client.GetOptions{}); errors.Is(err, api.ErrNotFound) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s %s never gone", kind, name)
}
