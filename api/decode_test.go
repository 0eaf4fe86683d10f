package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const deploymentYAML = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: "50%"
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        resources:
          limits: {cpu: 500m, memory: 128Mi}
        readinessProbe:
          httpGet: {path: /healthz, port: http}
`

func TestDecodeObjectYAML(t *testing.T) {
	obj, err := DecodeObject([]byte(deploymentYAML))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := obj.(*Deployment)
	if !ok {
		t.Fatalf("decoded %T", obj)
	}
	if *d.Spec.Replicas != 2 || d.Spec.Strategy.RollingUpdate.MaxSurge.IntVal != 1 || d.Spec.Strategy.RollingUpdate.MaxUnavailable.StrVal != "50%" {
		t.Errorf("spec = %+v", d.Spec)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Resources.Limits["memory"] != "128Mi" || c.ReadinessProbe.HTTPGet.Port != FromString("http") {
		t.Errorf("container = %+v", c)
	}
	if err := Validate(d); err != nil {
		t.Errorf("decoded manifest invalid: %v", err)
	}
}

func TestDecodeObjectJSON(t *testing.T) {
	obj, err := DecodeObject([]byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"d"},"data":{"k":"aGk="}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := obj.(*Secret); string(s.Data["k"]) != "hi" {
		t.Errorf("data = %q", s.Data["k"])
	}
}

func TestDecodeObjectErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no kind", `{"apiVersion":"v1"}`, "'Kind' is missing"},
		{"no apiVersion", "kind: Pod\n", "'apiVersion' is missing"},
		{"unknown kind", "apiVersion: v1\nkind: Widget\n", `no kind "Widget"`},
		{"wrong apiVersion", "apiVersion: extensions/v1beta1\nkind: Deployment\n", `served at apiVersion "apps/v1", not "extensions/v1beta1"`},
		{"unknown top-level field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatta: {a: b}\n", `unknown field "datta"`},
		{"field name in the wrong case", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nDATA: {a: b}\n", `unknown field "DATA"`},
		{"unknown nested field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    imagee: x\n", `unknown field "spec.containers[0].imagee"`},
		{"wrong type", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 3}\n", "spec.containers"},
		{"bad yaml", "apiVersion: v1\nkind: [\n", "YAML"},
		{"duplicate key", "apiVersion: v1\nkind: Pod\nkind: Pod\n", "YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeObject([]byte(tt.in))
			if err == nil {
				t.Fatal("want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) || AsStatus(err).Code() != 400 {
				t.Errorf("want a 400 StatusError, got %v", err)
			}
		})
	}
}

func TestDecodeManifests(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		kinds []string
	}{
		{"multi-doc yaml", "---\n" + deploymentYAML + "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n--- # trailing\n", []string{"Deployment", "Service"}},
		{"empty docs skipped", "---\n---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", []string{"Namespace"}},
		{"yaml list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: batch/v1, kind: Job, metadata: {name: b}}\n", []string{"ConfigMap", "Job"}},
		{"json list", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}]}`, []string{"Pod"}},
		{"json array", `[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}},{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"}}]`, []string{"Pod", "Node"}},
		{"exported service", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ipFamilies: [IPv4]\n  ipFamilyPolicy: SingleStack\n  internalTrafficPolicy: Cluster\n  ports: [{port: 80, appProtocol: http}]\n", []string{"Service"}},
		{"typed list", `{"apiVersion":"v1","kind":"PodList","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}]}`, []string{"Pod"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := DecodeManifests([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				k, _ := KindOf(o)
				kinds = append(kinds, k.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
				t.Errorf("kinds = %v, want %v", kinds, tt.kinds)
			}
		})
	}
}

func TestDecodeManifestsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"second doc bad", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nspecc: {}\n", `document 2: strict decoding error: Pod: unknown field "specc"`},
		{"list item bad", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v2, kind: Pod}\n", "items[0]"},
		{"scalar doc", "just a string\n", "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeManifests([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDecodeStrictness(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"field names are case-sensitive", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nSpec: {}\n", `unknown field "Spec"`},
		{"two documents", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n", "found 2 documents"},
		{"unknown field in map value", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpression: []}]}}}\n",
			`unknown field "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpression"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeObject([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
	// Inlined structs (probe handlers, volume sources) are known fields.
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, emptyDir: {}}]\n  containers:\n  - name: a\n    image: x\n    livenessProbe: {exec: {command: [/bin/true]}, periodSeconds: 5}\n"
	if _, err := DecodeObject([]byte(in)); err != nil {
		t.Errorf("inline fields refused: %v", err)
	}
	objs, err := DecodeManifests([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"}}`))
	if err != nil || len(objs) != 2 {
		t.Errorf("JSON stream: %d objects, %v", len(objs), err)
	}
}

// An object as `kubectl get -o yaml` prints it, with the server-filled
// fields, must decode strictly and validate.
const exportedPodYAML = `
apiVersion: v1
kind: Pod
metadata:
  name: web-7d4b9c
  namespace: default
  labels: {app: web, pod-template-hash: 7d4b9c}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c, uid: 1f2e, controller: true, blockOwnerDeletion: true}
spec:
  containers:
  - name: web
    image: nginx:1.27
    imagePullPolicy: IfNotPresent
    envFrom: [{configMapRef: {name: cfg}}]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}}
    resources: {}
    securityContext: {runAsNonRoot: true, capabilities: {drop: [ALL]}}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  preemptionPolicy: PreemptLowerPriority
  priority: 0
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  serviceAccount: default
  serviceAccountName: default
  terminationGracePeriodSeconds: 30
  tolerations:
  - {effect: NoExecute, key: node.kubernetes.io/not-ready, operator: Exists, tolerationSeconds: 300}
status:
  phase: Running
  hostIP: 10.0.0.5
  podIP: 10.244.1.7
  startTime: "2024-05-06T07:08:09Z"
  conditions:
  - {type: Ready, status: "True", lastProbeTime: null, lastTransitionTime: "2024-05-06T07:08:19Z"}
  containerStatuses:
  - name: web
    image: nginx:1.27
    imageID: docker-pullable://nginx@sha256:abc
    ready: true
    restartCount: 0
    started: true
    state: {running: {startedAt: "2024-05-06T07:08:12Z"}}
    lastState: {}
`

func TestDecodeExportedPod(t *testing.T) {
	obj, err := DecodeObject([]byte(exportedPodYAML))
	if err != nil {
		t.Fatal(err)
	}
	p := obj.(*Pod)
	if p.Status.Phase != PodRunning || p.Status.ContainerStatuses[0].State.Running == nil || p.Status.StartTime == nil {
		t.Errorf("status = %+v", p.Status)
	}
	if err := Validate(p); err != nil {
		t.Errorf("exported pod invalid: %v", err)
	}
	before, _ := json.Marshal(p)
	Default(p)
	after, _ := json.Marshal(p)
	if string(before) != string(after) {
		t.Errorf("an exported (already defaulted) pod changed when defaulted:\n%s\n%s", before, after)
	}
}

// A value that is not base64 in a Secret's data or a ConfigMap's
// binaryData is refused naming its key (encoding/json names no field).
func TestBadBase64NamesTheKey(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"ok":"aGk=","pw":"!!!"}}`, "data[pw]"},
		{`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"binaryData":{"bin":"not base64"}}`, "binaryData[bin]"},
	} {
		_, err := DecodeObject([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "base64") {
			t.Errorf("%s: error %v, want one naming %s", c.doc, err, c.want)
		}
		_, _, err = DecodeKindValidated(map[bool]string{true: "Secret", false: "ConfigMap"}[strings.Contains(c.doc, "Secret")], []byte(c.doc), FieldStrict)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (validated): error %v, want one naming %s", c.doc, err, c.want)
		}
	}
}
