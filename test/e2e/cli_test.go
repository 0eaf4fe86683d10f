package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// run executes the barque binary with args and returns its combined output
// and exit code.
func run(t *testing.T, env []string, stdin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, barqueBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("barque %v: %v", args, err)
	}
	return string(out), code
}

// TestDevRunsTheExample is the README's first command, bounded: three
// in-process replicas start, the example is applied, everything stops.
func TestDevRunsTheExample(t *testing.T) {
	out, code := run(t, nil, "", "dev", "../../examples/hello.yaml", "--once")
	if code != 0 {
		t.Fatalf("barque dev exited %d:\n%s", code, out)
	}
	for _, want := range []string{"Barque dev cluster is up", "namespace/hello created", "configmap/web-config created", "secret/web-token created", "pod/hello created"} {
		if !strings.Contains(out, want) {
			t.Fatalf("barque dev output lacks %q:\n%s", want, out)
		}
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("examples/web.nomad.hcl serves with python3, which is not installed")
	}
	out, code = run(t, nil, "", "dev", "../../examples/web.nomad.hcl", "--once")
	if code != 0 || !strings.Contains(out, "ingress.networking.k8s.io/web created") || !strings.Contains(out, "Job rollout completed successfully") {
		t.Fatalf("barque dev examples/web.nomad.hcl exited %d:\n%s", code, out)
	}
}

// TestCLIAgainstACluster drives the CLI verbs against three server processes:
// apply, get (table, yaml, selectors), delete, and bad input that must exit 1
// with a message naming the field, leaving stored data untouched.
func TestCLIAgainstACluster(t *testing.T) {
	c := startProcCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.leader(ctx, c.client(t))
	waitWritable(ctx, t, c.client(t))
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}

	out, code := run(t, env, "", "apply", "-f", "../../examples/hello.yaml")
	if code != 0 || !strings.Contains(out, "configmap/web-config created") {
		t.Fatalf("apply: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "apply", "-f", "../../examples/hello.yaml"); code != 0 || !strings.Contains(out, "configmap/web-config unchanged") {
		t.Fatalf("second apply: %d\n%s", code, out)
	}
	out, code = run(t, env, "", "get", "cm", "-n", "hello", "-l", "app=web")
	if code != 0 || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "web-config") {
		t.Fatalf("get: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "get", "cm", "web-config", "-n", "hello", "-o", "yaml"); code != 0 || !strings.Contains(out, "greeting: Hello from Barque") {
		t.Fatalf("get -o yaml: %d\n%s", code, out)
	}
	// kubectl's forms: several kinds, and the names -o name prints read back.
	out, code = run(t, env, "", "get", "cm,secret", "-n", "hello", "-o", "name")
	if code != 0 || !strings.Contains(out, "configmap/web-config\n") || !strings.Contains(out, "secret/web-token\n") {
		t.Fatalf("get cm,secret -o name: %d\n%s", code, out)
	}
	out, code = run(t, env, "", append([]string{"get", "-n", "hello"}, strings.Fields(out)...)...)
	if code != 0 || strings.Count(out, "NAME") != 2 || !strings.Contains(out, "configmap/web-config ") || !strings.Contains(out, "secret/web-token ") {
		t.Fatalf("get KIND/NAME of two kinds: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "get", "pod/hello", "-n", "hello"); code != 0 || !strings.Contains(out, "\nhello ") {
		t.Fatalf("get pod/hello: %d\n%s", code, out)
	}
	// patch, as kubectl patch: strategic (the default), YAML accepted, and json.
	if out, code = run(t, env, "", "patch", "cm", "web-config", "-n", "hello", "-p", "data: {extra: one}"); code != 0 || !strings.Contains(out, "configmap/web-config patched") {
		t.Fatalf("patch: %d\n%s", code, out)
	}
	out, code = run(t, env, "", "patch", "cm", "web-config", "-n", "hello", "--type", "json", "-o", "yaml",
		"-p", `[{"op":"replace","path":"/data/extra","value":"two"}]`)
	if code != 0 || !strings.Contains(out, "extra: two") || !strings.Contains(out, "greeting: Hello from Barque") {
		t.Fatalf("patch --type json -o yaml: %d\n%s", code, out)
	}
	// A bad -o is refused before anything is written.
	if out, code = run(t, env, "", "patch", "cm/web-config", "-n", "hello", "-p", `{"data":{"extra":"three"}}`, "-o", "jsn"); code != 1 {
		t.Fatalf("patch -o jsn: exit %d, want 1:\n%s", code, out)
	}
	if out, _ = run(t, env, "", "get", "cm", "web-config", "-n", "hello", "-o", "yaml"); !strings.Contains(out, "extra: two") {
		t.Fatalf("a patch refused for its -o was applied:\n%s", out)
	}
	for _, bad := range [][]string{{"--type", "apply", "-p", "{}"}, {"-p", "{not json"}, {}} {
		args := append([]string{"patch", "cm", "web-config", "-n", "hello"}, bad...)
		if out, code = run(t, env, "", args...); code != 1 {
			t.Fatalf("barque %v: exit %d, want 1:\n%s", args, code, out)
		}
	}
	// scale, as kubectl scale, through the scale subresource.
	deploy := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"hello"},
"spec":{"replicas":1,"selector":{"matchLabels":{"app":"scaled"}},"template":{"metadata":{"labels":{"app":"scaled"}},
"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}`
	if out, code = run(t, env, deploy, "apply", "-f", "-"); code != 0 {
		t.Fatalf("apply deployment: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "scale", "deployment", "web", "-n", "hello", "--replicas", "3", "--current-replicas", "1"); code != 0 || !strings.Contains(out, "deployment.apps/web scaled") {
		t.Fatalf("scale: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "get", "deploy", "web", "-n", "hello", "-o", "yaml"); code != 0 || !strings.Contains(out, "\n  replicas: 3\n") {
		t.Fatalf("get after scale: %d\n%s", code, out)
	}
	out, code = run(t, env, "", "patch", "deploy/web", "-n", "hello", "--subresource", "scale", "--type", "merge", "-p", `{"spec":{"replicas":2}}`, "-o", "yaml")
	if code != 0 || !strings.Contains(out, "kind: Scale") || !strings.Contains(out, "replicas: 2") {
		t.Fatalf("patch --subresource scale: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "scale", "deploy/web", "-n", "hello", "--replicas", "3"); code != 0 || !strings.Contains(out, "deployment.apps/web scaled") {
		t.Fatalf("scale deploy/web: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "scale", "deployment", "web", "-n", "hello", "--replicas", "5", "--current-replicas", "1"); code != 1 || !strings.Contains(out, "expected 1 replicas, found 3") {
		t.Fatalf("scale with a wrong --current-replicas: %d, want 1 with the counts:\n%s", code, out)
	}
	if out, code = run(t, env, "", "scale", "configmap", "web-config", "-n", "hello", "--replicas", "2"); code != 1 {
		t.Fatalf("scale of a ConfigMap: %d, want 1:\n%s", code, out)
	}
	// Lists in pages of one object: every object, one table.
	out, code = run(t, env, "", "get", "ns", "--chunk-size", "1", "-o", "name")
	if code != 0 || !strings.Contains(out, "namespace/barque-system\nnamespace/default\nnamespace/hello\n") {
		t.Fatalf("get --chunk-size 1: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "get", "cm", "-n", "hello", "--chunk-size", "-1"); code != 1 || !strings.Contains(out, "--chunk-size") {
		t.Fatalf("get --chunk-size -1: %d, want 1 and a message naming the flag:\n%s", code, out)
	}
	// No node runs here: the scheduler reports the pod unschedulable in an
	// Event, which describe lists, as kubectl does.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, code = run(t, env, "", "describe", "pod", "hello", "-n", "hello")
		if code == 0 && strings.Contains(out, "Events:\n") && strings.Contains(out, "FailedScheduling") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("describe pod hello: %d, no FailedScheduling event within 20 s:\n%s", code, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if out, code = run(t, env, "", "delete", "cm", "-l", "app=none", "-n", "hello"); code != 0 || !strings.Contains(out, "No resources found in hello namespace.") {
		t.Fatalf("delete -l matching nothing: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "logs", "-l", "app=none", "-n", "hello", "--prefix"); code != 0 || !strings.Contains(out, "No resources found") {
		t.Fatalf("logs -l matching nothing: %d\n%s", code, out)
	}

	bad := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: hello\ndata:\n  bad key!: x\n"
	out, code = run(t, env, bad, "apply", "-f", "-")
	if code != 1 || !strings.Contains(out, "data") {
		t.Fatalf("invalid apply must exit 1 naming the field: %d\n%s", code, out)
	}
	typo := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: hello\ndatta:\n  a: b\n"
	if out, code = run(t, env, typo, "apply", "-f", "-"); code != 1 || !strings.Contains(out, "datta") {
		t.Fatalf("unknown field must exit 1 naming it: %d\n%s", code, out)
	}
	// A manifest written for Kubernetes: fields Barque does not implement
	// are ignored with a warning, and the apply succeeds.
	k8s := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: k8s, namespace: hello}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: k8s}}\n  template:\n    metadata: {labels: {app: k8s}}\n    spec:\n      containers:\n      - name: c\n        image: busybox\n        lifecycle: {preStop: {exec: {command: [sleep, '5']}}}\n" +
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: k8s, namespace: hello}\nspec:\n  selector: {app: k8s}\n  ports: [{port: 80}]\n  trafficDistribution: PreferClose\n"
	for _, want := range []string{"deployment.apps/k8s created", "deployment.apps/k8s unchanged"} {
		out, code = run(t, env, k8s, "apply", "-f", "-")
		if code != 0 || !strings.Contains(out, want) ||
			!strings.Contains(out, "Warning: deployment.apps/k8s: fields not implemented by Barque were ignored: spec.template.spec.containers[0].lifecycle.preStop\n") ||
			!strings.Contains(out, "Warning: service/k8s: fields not implemented by Barque were ignored: spec.trafficDistribution\n") {
			t.Fatalf("apply of a Kubernetes manifest must warn and exit 0 (%s): %d\n%s", want, code, out)
		}
	}
	if out, code = run(t, env, strings.Replace(k8s, "image:", "imagee:", 1), "apply", "-f", "-"); code != 1 || !strings.Contains(out, `unknown field "spec.template.spec.containers[0].imagee"`) {
		t.Fatalf("a typo beside ignored fields must exit 1 naming it: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "get", "cm", "web-config", "-n", "hello", "-o", "jsonpath"); code != 1 {
		t.Fatalf("bad output format must exit 1: %d\n%s", code, out)
	}
	// The failed applies changed nothing.
	if out, _ = run(t, env, "", "get", "cm", "web-config", "-n", "hello", "-o", "yaml"); strings.Contains(out, "bad key") {
		t.Fatalf("a rejected apply changed stored data:\n%s", out)
	}
	if out, code = run(t, env, "", "delete", "-f", "../../examples/hello.yaml"); code != 0 || !strings.Contains(out, `pod "hello" deleted`) || !strings.HasSuffix(strings.TrimSpace(out), `namespace "hello" deleted`) {
		t.Fatalf("delete -f: %d\n%s", code, out)
	}
	if out, code = run(t, env, "", "get", "cm", "web-config", "-n", "hello"); code != 1 || !strings.Contains(out, "not found") {
		t.Fatalf("get after delete: %d\n%s", code, out)
	}
}
