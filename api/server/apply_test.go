package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// deployConfig is an applied configuration of the Deployment "web":
// replicas (omitted when 0), labels, and containers as name=image.
func deployConfig(replicas int, labels string, containers ...string) string {
	var cs []string
	for _, c := range containers {
		name, image, _ := strings.Cut(c, "=")
		cs = append(cs, fmt.Sprintf("{name: %s, image: %q}", name, image))
	}
	r := ""
	if replicas > 0 {
		r = fmt.Sprintf("replicas: %d\n  ", replicas)
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {%s}}
spec:
  %sselector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [%s]}
`, labels, r, strings.Join(cs, ", "))
}

// TestServerSideApply: PATCH with application/apply-patch+yaml creates
// the object, records the manager's fields in managedFields, refuses (409,
// a cause per field) to change a field another manager set unless forced,
// lets two managers own one value, merges containers by name, and removes
// what a manager no longer applies unless another one owns it.
func TestServerSideApply(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{DisabledControllers: []string{"deployment", "replicaset", "scheduler"}})
	base := c.WaitForLeader(10*time.Second).APIURL() + "/apis/apps/v1/namespaces/default/deployments/web"
	apply := func(manager, force, config string) (int, map[string]any) {
		t.Helper()
		q := "?fieldManager=" + manager
		if force != "" {
			q += "&force=" + force
		}
		return patchAs(t, base+q, "application/apply-patch+yaml", config)
	}
	state := func() (replicas float64, labels map[string]any, images string, managers map[string]string) {
		t.Helper()
		_, obj := do(t, http.MethodGet, base, "")
		spec := obj["spec"].(map[string]any)
		replicas, _ = spec["replicas"].(float64)
		md := obj["metadata"].(map[string]any)
		labels, _ = md["labels"].(map[string]any)
		var imgs []string
		for _, c := range spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any) {
			c := c.(map[string]any)
			imgs = append(imgs, fmt.Sprint(c["name"], "=", c["image"]))
		}
		managers = map[string]string{}
		for _, e := range md["managedFields"].([]any) {
			e := e.(map[string]any)
			managers[e["manager"].(string)] = fmt.Sprint(e["operation"], " ", e["fieldsV1"])
		}
		return replicas, labels, strings.Join(imgs, ","), managers
	}

	if code, body := apply("alice", "", deployConfig(2, "tier: fe, team: a", "web=nginx:1")); code != http.StatusCreated {
		t.Fatalf("the first apply: %d %v", code, body)
	}
	r, labels, images, managers := state()
	if r != 2 || labels["team"] != "a" || images != "web=nginx:1" || !strings.HasPrefix(managers["alice"], "Apply ") ||
		!strings.Contains(managers["alice"], "f:replicas") || !strings.Contains(managers["alice"], `k:{"name":"web"}`) {
		t.Fatalf("after the first apply: replicas %v labels %v images %s managers %v", r, labels, images, managers)
	}
	if code, _ := apply("alice", "", deployConfig(2, "tier: fe, team: a", "web=nginx:1")); code != http.StatusOK {
		t.Fatalf("applying the same again: %d", code)
	}

	code, body := apply("bob", "", deployConfig(3, "", "web=nginx:1"))
	details, _ := body["details"].(map[string]any)
	if code != http.StatusConflict || !strings.Contains(fmt.Sprint(body["message"]), `conflict with "alice": .spec.replicas`) ||
		details == nil || len(details["causes"].([]any)) != 1 {
		t.Fatalf("bob changing alice's replicas: %d %v", code, body)
	}
	if code, body := apply("bob", "true", deployConfig(3, "", "web=nginx:1", "log=busybox")); code != http.StatusOK {
		t.Fatalf("bob forcing: %d %v", code, body)
	}
	r, _, images, managers = state()
	if r != 3 || images != "web=nginx:1,log=busybox" || strings.Contains(managers["alice"], "f:replicas") || !strings.Contains(managers["bob"], "f:replicas") {
		t.Fatalf("after bob forced: replicas %v images %s managers %v", r, images, managers)
	}

	// Alice drops replicas (bob owns them now: they stay) and the label
	// team (hers alone: it goes); carol sets replicas to the value they
	// have: no conflict, both own it.
	if code, body := apply("alice", "", deployConfig(0, "tier: fe", "web=nginx:1")); code != http.StatusOK {
		t.Fatalf("alice dropping fields: %d %v", code, body)
	}
	if code, body := apply("carol", "", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n"); code != http.StatusOK {
		t.Fatalf("carol applying the same replicas: %d %v", code, body)
	}
	r, labels, images, managers = state()
	if _, has := labels["team"]; r != 3 || has || labels["tier"] != "fe" || images != "web=nginx:1,log=busybox" || !strings.Contains(managers["carol"], "f:replicas") {
		t.Fatalf("after alice dropped fields: replicas %v labels %v images %s managers %v", r, labels, images, managers)
	}
	// Bob drops his sidecar: it goes, alice's container stays.
	if code, body := apply("bob", "", deployConfig(3, "", "web=nginx:1")); code != http.StatusOK {
		t.Fatalf("bob dropping his sidecar: %d %v", code, body)
	}
	if _, _, images, _ = state(); images != "web=nginx:1" {
		t.Fatalf("after bob dropped his sidecar: %s", images)
	}

	for _, bad := range []struct{ name, q, body string }{
		{"a name other than the URL's", "fieldManager=x", strings.Replace(deployConfig(1, "", "web=a"), "{name: web,", "{name: other,", 1)},
		{"a patch directive", "fieldManager=x", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {$patch: replace}\n"},
		{"no fieldManager", "", deployConfig(1, "", "web=a")},
		{"a bad force", "fieldManager=x&force=maybe", deployConfig(1, "", "web=a")},
	} {
		if code, body := patchAs(t, base+"?"+bad.q, "application/apply-patch+yaml", bad.body); code != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", bad.name, code, body)
		}
	}
	if code, _ := patchAs(t, base+"?fieldManager=dave&force=true&dryRun=All", "application/apply-patch+yaml", deployConfig(7, "", "web=nginx:9")); code != http.StatusOK {
		t.Fatalf("a dry run: %d", code)
	}
	if r, _, images, managers = state(); r != 3 || images != "web=nginx:1" || managers["dave"] != "" {
		t.Fatalf("a dry run changed the object: replicas %v images %s managers %v", r, images, managers)
	}
	// A plain update that leaves managedFields out keeps them.
	_, obj := do(t, http.MethodGet, base, "")
	delete(obj["metadata"].(map[string]any), "managedFields")
	obj["spec"].(map[string]any)["replicas"] = 4
	b, _ := json.Marshal(obj)
	if code, body := do(t, http.MethodPut, base, string(b)); code != http.StatusOK {
		t.Fatalf("a PUT: %d %v", code, body)
	}
	if r, _, _, managers = state(); r != 4 || len(managers) != 3 {
		t.Fatalf("after a PUT without managedFields: replicas %v managers %v", r, managers)
	}
}

// TestServerSideApplyEdges: what a manager stops applying goes with its
// empty parents (a probe); ports are told apart by number and protocol;
// an empty list claims nothing; a claim on a field an update removed is
// stale, not a conflict; applying what is there writes nothing; a
// resourceVersion is a precondition; the status and scale subresources
// are refused (415).
func TestServerSideApplyEdges(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{DisabledControllers: []string{"deployment", "replicaset", "scheduler"}})
	api := c.WaitForLeader(10 * time.Second).APIURL()
	svc := api + "/api/v1/namespaces/default/services/dns"
	dep := api + "/apis/apps/v1/namespaces/default/deployments/web"
	apply := func(url, manager, config string) (int, map[string]any) {
		t.Helper()
		return patchAs(t, url+"?fieldManager="+manager, "application/apply-patch+yaml", config)
	}
	svcConfig := func(extra string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: dns" + extra + "}\nspec:\n  selector: {app: dns}\n" +
			"  ports: [{name: udp, port: 53, protocol: UDP}, {name: tcp, port: 53, protocol: TCP}]\n"
	}
	for i := range 2 {
		if code, body := apply(svc, "helm", svcConfig("")); code != http.StatusOK && code != http.StatusCreated {
			t.Fatalf("apply %d of a Service with 53/UDP and 53/TCP: %d %v", i, code, body)
		}
	}
	_, obj := do(t, http.MethodGet, svc, "")
	rv := obj["metadata"].(map[string]any)["resourceVersion"]
	if ports := fmt.Sprint(obj["spec"].(map[string]any)["ports"]); !strings.Contains(ports, "UDP") || strings.Count(ports, "port:53") != 2 {
		t.Fatalf("the Service's ports after two applies: %s", ports)
	}
	if code, _ := apply(svc, "helm", svcConfig("")); code != http.StatusOK {
		t.Fatalf("applying the same again: %d", code)
	}
	if _, obj = do(t, http.MethodGet, svc, ""); obj["metadata"].(map[string]any)["resourceVersion"] != rv {
		t.Fatalf("applying what is there wrote a new version: %v, was %v", obj["metadata"].(map[string]any)["resourceVersion"], rv)
	}
	if code, _ := apply(svc, "helm", svcConfig(", resourceVersion: \"1\"")); code != http.StatusConflict {
		t.Fatalf("an apply naming an old resourceVersion: %d, want 409", code)
	}

	probe := "\n      livenessProbe: {httpGet: {path: /, port: 80}}\n      env: [{name: A, value: \"1\"}]"
	depConfig := func(container string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {x: \"1\"}}\nspec:\n" +
			"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n" +
			"      containers:\n      - name: web\n        image: nginx" + strings.ReplaceAll(container, "\n      ", "\n        ") + "\n"
	}
	if code, body := apply(dep, "alice", depConfig(probe)); code != http.StatusCreated {
		t.Fatalf("alice's Deployment with a probe: %d %v", code, body)
	}
	// Bob's empty env claims nothing: no conflict with alice's A.
	if code, body := apply(dep, "bob", depConfig("\n      env: []")); code != http.StatusOK {
		t.Fatalf("bob applying env: []: %d %v", code, body)
	}
	if code, body := apply(dep, "alice", depConfig("\n      env: []")); code != http.StatusOK {
		t.Fatalf("alice dropping her probe and env: %d %v", code, body)
	}
	_, obj = do(t, http.MethodGet, dep, "")
	container := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	if container["livenessProbe"] != nil || container["env"] != nil {
		t.Fatalf("alice's probe and env after she dropped them: %v", container)
	}
	// An update removes alice's label x; bob setting x is no conflict.
	delete(obj["metadata"].(map[string]any)["labels"].(map[string]any), "x")
	b, _ := json.Marshal(obj)
	if code, body := do(t, http.MethodPut, dep, string(b)); code != http.StatusOK {
		t.Fatalf("a PUT removing label x: %d %v", code, body)
	}
	if code, body := apply(dep, "bob", strings.Replace(depConfig(""), `x: "1"`, `x: "2"`, 1)); code != http.StatusOK {
		t.Fatalf("bob setting the label an update removed: %d %v", code, body)
	}

	if code, _ := apply(dep+"/status", "alice", depConfig("")); code != http.StatusUnsupportedMediaType {
		t.Fatalf("apply to /status: %d, want 415", code)
	}
	if code, _ := apply(dep+"/scale", "alice", "{\"spec\":{\"replicas\":3}}"); code != http.StatusUnsupportedMediaType {
		t.Fatalf("apply to /scale: %d, want 415", code)
	}
}
