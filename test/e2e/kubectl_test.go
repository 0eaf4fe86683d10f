package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestKubectlAgainstBarque drives an unmodified kubectl, where the machine
// has one, against a Barque cluster: discovery, apply (client-side, with
// its three-way strategic merge patch on the second apply), get, scale
// (the scale subresource), patch (strategic), rollout restart and delete;
// get prints the server's Table columns. kubectl finds fieldValidation in
// Barque's OpenAPI v3 and lets the server validate: a misspelt field is
// refused with its path, without --validate=false.
func TestKubectlAgainstBarque(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed on this machine")
	}
	c := startProcCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c.leader(ctx, c.client(t))
	waitWritable(ctx, t, c.client(t))
	dir := t.TempDir()
	kubeconfig := writeKubeconfig(t, dir, c.addresses()[0])
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, kubectl, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+dir, "EDITOR=sed -i s/replicas:.1$/replicas:\\ 2/")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	kc := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	manifest := filepath.Join(dir, "web.yaml")
	write := func(replicas int, value string) {
		t.Helper()
		if err := os.WriteFile(manifest, []byte(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: %q}
`, replicas, value)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out := kc("api-resources"); !strings.Contains(out, "deployments") || !strings.Contains(out, "deploy") {
		t.Fatalf("kubectl api-resources:\n%s", out)
	}
	write(2, "1")
	if out := kc("apply", "-f", manifest); !strings.Contains(out, "deployment.apps/web created") {
		t.Fatalf("first apply:\n%s", out)
	}
	write(3, "2")
	if out := kc("apply", "-f", manifest); !strings.Contains(out, "configmap/cfg configured") {
		t.Fatalf("second apply:\n%s", out)
	}
	if out := kc("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); out != "3" {
		t.Fatalf("replicas after the second apply: %q, want 3", out)
	}
	if out := kc("scale", "deploy", "web", "--replicas=1"); !strings.Contains(out, "scaled") {
		t.Fatalf("scale:\n%s", out)
	}
	kc("patch", "cm", "cfg", "-p", `{"data":{"b":"x"}}`)
	if out := kc("get", "cm", "cfg", "-o", "jsonpath={.data.a}{.data.b}"); out != "2x" {
		t.Fatalf("configmap after apply and patch: %q, want 2x", out)
	}
	if out := kc("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); out != "1" {
		t.Fatalf("replicas after scale: %q, want 1", out)
	}
	// The server's Table: kubectl prints its columns as they come, and
	// adds NAMESPACE from each row's metadata with -A.
	if out := kc("get", "deploy", "web"); !regexp.MustCompile(`(?m)^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n` +
		`web\s+\d/1\s+\d\s+\d\s+\d+s$`).MatchString(strings.TrimSpace(out)) {
		t.Fatalf("kubectl get deploy web:\n%s", out)
	}
	if out := kc("get", "cm", "-A"); !regexp.MustCompile(`(?m)^NAMESPACE\s+NAME\s+DATA\s+AGE$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^default\s+cfg\s+2\s+\d+s$`).MatchString(out) {
		t.Fatalf("kubectl get cm -A:\n%s", out)
	}
	kc("rollout", "restart", "deploy", "web")
	kc("edit", "deploy", "web") // $EDITOR sets replicas: 2
	if out := kc("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); out != "2" {
		t.Fatalf("replicas after kubectl edit: %q, want 2", out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndatta: {a: b}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run("create", "-f", bad); err == nil || !strings.Contains(out, `unknown field "datta"`) {
		t.Fatalf("kubectl create with a misspelt field: %v\n%s", err, out)
	}
	// A List (what `kubectl get -o yaml` saves) is validated by the server
	// too, item by item.
	list := filepath.Join(dir, "list.yaml")
	if err := os.WriteFile(list, []byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1}, data: {a: b}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := kc("apply", "-f", list); !strings.Contains(out, "configmap/l1 created") {
		t.Fatalf("kubectl apply of a List:\n%s", out)
	}
	serverSideApply(t, dir, kc, run)
	if out := kc("get", "deploy", "web", "-o", "jsonpath={.spec.template.metadata.annotations}"); !strings.Contains(out, "kubectl.kubernetes.io/restartedAt") {
		t.Fatalf("annotations after rollout restart: %q", out)
	}
	kc("delete", "-f", manifest)
	if out := kc("get", "deploy,cm", "-o", "name"); strings.Contains(out, "deployment.apps/web") || strings.Contains(out, "configmap/cfg") {
		t.Fatalf("after kubectl delete:\n%s", out)
	}
}

// writeKubeconfig writes a kubeconfig for server into dir and returns its
// path.
func writeKubeconfig(t *testing.T, dir, server string) string {
	t.Helper()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: b, cluster: {server: %q}}]
contexts: [{name: b, context: {cluster: b, namespace: default}}]
current-context: b
users: []
`, server)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverSideApply: kubectl apply --server-side creates and updates as its
// field manager; another manager changing the same field conflicts until
// it forces.
func serverSideApply(t *testing.T, dir string, kc func(...string) string, run func(...string) (string, error)) {
	t.Helper()
	cm := filepath.Join(dir, "ssa.yaml")
	write := func(v string) {
		t.Helper()
		if err := os.WriteFile(cm, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {k: \""+v+"\"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1")
	if out := kc("apply", "--server-side", "-f", cm); !strings.Contains(out, "configmap/ssa serverside-applied") {
		t.Fatalf("kubectl apply --server-side:\n%s", out)
	}
	write("2")
	if out, err := run("apply", "--server-side", "--field-manager", "other", "-f", cm); err == nil || !strings.Contains(out, "conflict") {
		t.Fatalf("another manager changing the field: %v\n%s", err, out)
	}
	kc("apply", "--server-side", "--field-manager", "other", "--force-conflicts", "-f", cm)
	if out := kc("get", "cm", "ssa", "-o", "jsonpath={.data.k}"); out != "2" {
		t.Fatalf("after the forced apply: %q, want 2", out)
	}
}
