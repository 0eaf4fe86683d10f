package robustness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	"github.com/barque-io/barque/internal/cluster"
)

// objectPath is the API path of an object of one of the kinds the snapshot
// test uses.
// objectPath builds an object's URL from the kind registry, so that every
// kind a snapshot may hold (Events written by the scheduler, too) is covered.
func objectPath(t testing.TB, kind, ns, name string) string {
	t.Helper()
	if _, ok := api.LookupKind(kind); !ok {
		t.Fatalf("objectPath: unknown kind %s", kind)
	}
	return collectionPath(kind, ns) + "/" + name
}

func collectionPath(kind, ns string) string {
	k, _ := api.LookupKind(kind)
	if !k.Namespaced {
		return k.PathPrefix() + "/" + k.Resource
	}
	return k.PathPrefix() + "/namespaces/" + ns + "/" + k.Resource
}

type snapObject struct {
	kind, ns, name string
	json           string // canonical
	uid, rv        string
}

// parseSnapshot decodes the operator snapshot file format: a magic line, a
// JSON metadata line, then the FSM's records.
func parseSnapshot(t *testing.T, b []byte) map[string]snapObject {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(b))
	magic, err := br.ReadString('\n')
	if err != nil || magic != "BARQUE-SNAPSHOT-1\n" {
		t.Fatalf("snapshot header %q: %v", magic, err)
	}
	if _, err := br.ReadBytes('\n'); err != nil {
		t.Fatalf("snapshot metadata: %v", err)
	}
	_, objs, err := fsm.ReadSnapshot(br)
	if err != nil {
		t.Fatalf("read snapshot: %v", err)
	}
	out := map[string]snapObject{}
	for _, obj := range objs {
		raw, _ := json.Marshal(obj)
		m := obj.GetObjectMeta()
		k := obj.GetTypeMeta().Kind
		out[k+"/"+m.Namespace+"/"+m.Name] = snapObject{kind: k, ns: m.Namespace, name: m.Name,
			json: withoutVersion(t, raw), uid: m.UID, rv: m.ResourceVersion.String()}
	}
	return out
}

// withoutVersion is the canonical JSON of an object without its
// resourceVersion, which a restore moves (docs/ARCHITECTURE.md).
func withoutVersion(t *testing.T, raw []byte) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("object %s: %v", raw, err)
	}
	if m, ok := v["metadata"].(map[string]any); ok {
		delete(m, "resourceVersion")
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestSnapshotSaveRestore(t *testing.T) { onEachLogStore(t, testSnapshotSaveRestore) }

func testSnapshotSaveRestore(t *testing.T, opts cluster.Options) {
	// This test checks that a restore reproduces the snapshot exactly, so
	// nothing else writes meanwhile: the controllers would act on the
	// restored state (the scheduler marking the unschedulable pod again).
	opts.DisabledControllers = []string{"nodelifecycle", "scheduler",
		"replicaset", "deployment", "job", "cronjob", "daemonset", "gc", "statefulset"}
	c := cluster.New(t, 3, opts)
	leader := c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	var follower *cluster.Member
	for _, m := range c.Members {
		if m != leader {
			follower = m
			break
		}
	}
	url := func(i int) string { return c.Members[i%3].APIURL() }
	must := func(code int, r result, what string) result {
		t.Helper()
		if r.code != code {
			t.Fatalf("%s: %s", what, r)
		}
		return r
	}
	post := func(i int, path, body string) {
		t.Helper()
		must(http.StatusCreated, hc.do(http.MethodPost, url(i)+path, []byte(body)), "create at "+path)
	}

	post(0, "/api/v1/namespaces", `{"metadata":{"name":"snap","labels":{"team":"a"}}}`)
	post(1, "/api/v1/namespaces/snap/configmaps", `{"metadata":{"name":"cm-a"},"data":{"k":"a1"}}`)
	post(2, "/api/v1/namespaces/snap/configmaps", `{"metadata":{"name":"cm-b"},"data":{"k":"b1"}}`)
	post(0, cmPath, `{"metadata":{"name":"cm-c","labels":{"x":"y"}},"data":{"k":"c1"}}`)
	post(1, "/api/v1/namespaces/snap/secrets", `{"metadata":{"name":"sec-a"},"type":"Opaque","stringData":{"token":"s3cret"}}`)
	post(2, "/api/v1/namespaces/snap/pods", `{"metadata":{"name":"pod-a","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","driver":"docker"}]}}`)
	post(0, "/api/v1/namespaces/snap/services", `{"metadata":{"name":"svc-a"},"spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}`)

	r := must(http.StatusOK, hc.do(http.MethodGet, follower.APIURL()+"/v1/operator/snapshot", nil), "save snapshot")
	snapshot := r.body
	want := parseSnapshot(t, snapshot)
	for _, k := range []string{"Namespace//snap", "Namespace//default", "ConfigMap/snap/cm-a", "ConfigMap/snap/cm-b",
		"ConfigMap/default/cm-c", "Secret/snap/sec-a", "Pod/snap/pod-a", "Service/snap/svc-a"} {
		if _, ok := want[k]; !ok {
			t.Fatalf("snapshot lacks %s (has %d objects)", k, len(want))
		}
	}
	t.Logf("snapshot: %d bytes, %d objects", len(snapshot), len(want))

	// Change things after the snapshot.
	cmA := decodeObject(t, must(http.StatusOK, hc.do(http.MethodGet, url(1)+"/api/v1/namespaces/snap/configmaps/cm-a", nil), "get cm-a").body)
	must(http.StatusOK, hc.do(http.MethodPut, url(2)+"/api/v1/namespaces/snap/configmaps/cm-a",
		[]byte(`{"metadata":{"name":"cm-a","resourceVersion":"`+cmA.Metadata.ResourceVersion+`"},"data":{"k":"a2"}}`)), "update cm-a")
	must(http.StatusOK, hc.do(http.MethodDelete, url(0)+"/api/v1/namespaces/snap/configmaps/cm-b", nil), "delete cm-b")
	must(http.StatusOK, hc.do(http.MethodDelete, url(1)+"/api/v1/namespaces/snap/secrets/sec-a", nil), "delete sec-a")
	must(http.StatusOK, hc.doCtx(t.Context(), http.MethodPatch, url(2)+"/api/v1/namespaces/snap/pods/pod-a",
		[]byte(`{"metadata":{"labels":{"app":"web","patched":"yes"}}}`), "application/merge-patch+json"), "patch pod-a")
	post(0, "/api/v1/namespaces", `{"metadata":{"name":"later"}}`)
	post(1, "/api/v1/namespaces/later/configmaps", `{"metadata":{"name":"cm-later"},"data":{"k":"l"}}`)
	post(2, "/api/v1/namespaces/snap/configmaps", `{"metadata":{"name":"cm-new"},"data":{"k":"n"}}`)
	post(0, "/api/v1/namespaces/snap/services", `{"metadata":{"name":"svc-later"},"spec":{"selector":{"app":"web"},"ports":[{"port":81}]}}`)
	later := []string{"Namespace//later", "ConfigMap/later/cm-later", "ConfigMap/snap/cm-new", "Service/snap/svc-later"}

	// Restore through a follower (forwarded to the leader).
	r = must(http.StatusOK, hc.do(http.MethodPut, follower.APIURL()+"/v1/operator/snapshot", snapshot), "restore snapshot")
	t.Logf("restore answered %s", bytes.TrimSpace(r.body))

	// Right away, linearizable reads through every replica see exactly
	// the snapshot's objects.
	kinds := map[string]bool{}
	for _, o := range want {
		kinds[o.kind] = true
	}
	var idx []uint64
	for _, m := range c.Members {
		idx = append(idx, m.Server().Node().Store().Index())
	}
	t.Logf("store indexes right after the restore: %v (leader s%d)", idx, leader.Index+1)
	// get is a linearizable GET bounded to a few seconds, so that a replica
	// that never catches up fails the test quickly.
	get := func(url string) result {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		return hc.doCtx(ctx, http.MethodGet, url, nil, "")
	}
	for i, m := range c.Members {
		if r := get(m.APIURL() + collectionPath("Namespace", "")); r.code != http.StatusOK {
			t.Errorf("s%d: linearizable read after restore: %s; skipping this replica", i+1, r)
			continue
		}
		for key, o := range want {
			r := get(m.APIURL() + objectPath(t, o.kind, o.ns, o.name))
			if r.code != http.StatusOK {
				t.Errorf("s%d: %s after restore: %s", i+1, key, r)
				continue
			}
			if got := withoutVersion(t, r.body); got != o.json {
				t.Errorf("s%d: %s after restore:\n got %s\nwant %s", i+1, key, got, o.json)
			}
			// Every restored object moves to a version newer than anything
			// read before the restore.
			if rv := decodeObject(t, r.body).rv(t); rv <= cmA.rv(t) {
				t.Errorf("s%d: %s restored at resourceVersion %d, not above %d", i+1, key, rv, cmA.rv(t))
			}
		}
		for _, key := range later {
			var kind, ns, name string
			parts := bytes.SplitN([]byte(key), []byte("/"), 3)
			kind, ns, name = string(parts[0]), string(parts[1]), string(parts[2])
			if r := get(m.APIURL() + objectPath(t, kind, ns, name)); r.code != http.StatusNotFound {
				t.Errorf("s%d: %s, created after the snapshot, after restore: %s", i+1, key, r)
			}
		}
		// Lists hold nothing else.
		for kind := range kinds {
			for _, ns := range []string{"snap", "default", "later"} {
				if kind == "Namespace" && ns != "snap" {
					continue
				}
				r := get(m.APIURL() + collectionPath(kind, ns))
				var list objectList
				if r.code != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
					t.Errorf("s%d: list %s in %s: %s", i+1, kind, ns, r)
					continue
				}
				for _, raw := range list.Items {
					var o object
					_ = json.Unmarshal(raw, &o)
					key := kind + "/" + o.Metadata.Namespace + "/" + o.Metadata.Name
					if _, ok := want[key]; !ok {
						t.Errorf("s%d: list has %s, which is not in the snapshot", i+1, key)
					}
				}
			}
		}
	}

	// A compare-and-swap decided before the restore, against the version
	// the snapshot holds, is refused.
	must(http.StatusConflict, hc.do(http.MethodPut, url(1)+"/api/v1/namespaces/snap/configmaps/cm-a",
		[]byte(`{"metadata":{"name":"cm-a","resourceVersion":"`+cmA.Metadata.ResourceVersion+`"},"data":{"k":"stale"}}`)), "update cm-a from before the restore")

	// The cluster keeps working after a restore: a write gets a
	// resourceVersion above everything before it.
	r = must(http.StatusCreated, hc.do(http.MethodPost, url(2)+cmPath, configMapJSON("after-restore", "x")), "create after restore")
	after := decodeObject(t, r.body)
	if rv := after.rv(t); rv <= cmA.rv(t) {
		t.Errorf("write after restore got resourceVersion %d, not above %d", rv, cmA.rv(t))
	}
	c.WaitForIndex(after.rv(t), 10*time.Second)
	for i, m := range c.Members {
		if obj, _ := m.Server().Node().Store().Get("ConfigMap", "default", "after-restore"); obj == nil {
			t.Errorf("s%d: store lacks the write made after the restore", i+1)
		}
	}
}
