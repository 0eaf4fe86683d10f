package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A Deployment as written for Kubernetes, with fields Barque lacks.
const k8sDeploymentYAML = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity:
        podAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: db}}
            topologyKey: kubernetes.io/hostname
            matchLabelKeys: [version]
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, nodeTaintsPolicy: Honor}
      hostAliases: [{ip: 10.0.0.1, hostnames: [db]}]
      containers:
      - name: web
        image: nginx:1.27
        lifecycle: {preStop: {exec: {command: [sleep, "5"]}}}
        ports: [{containerPort: 80}]
`

func TestDecodeLenient(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ignored []string
	}{
		{"deployment", k8sDeploymentYAML, []string{
			"spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys",
			"spec.template.spec.containers[0].lifecycle.preStop",
			"spec.template.spec.hostAliases",
			"spec.template.spec.topologySpreadConstraints[0].nodeTaintsPolicy",
		}},
		{"service", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10}}\n  trafficDistribution: PreferClose\n",
			[]string{"spec.sessionAffinityConfig", "spec.trafficDistribution"}},
		{"cronjob, deep in the job template", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '@hourly'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: a, image: x}, {name: b, image: busybox, lifecycle: {postStart: {}}}]\n",
			[]string{"spec.jobTemplate.spec.template.spec.containers[1].lifecycle.postStart"}},
		{"JSON, map value of a struct", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","env":[{"name":"A","valueFrom":{"fileKeyRef":{"path":"p","key":"k","volumeName":"v"}}}]}]}}`,
			[]string{"spec.containers[0].env[0].valueFrom.fileKeyRef"}},
		{"nothing to ignore", deploymentYAML, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeLenient([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(d.Ignored, "\n") != strings.Join(tt.ignored, "\n") {
				t.Errorf("ignored:\n%s\nwant:\n%s", strings.Join(d.Ignored, "\n"), strings.Join(tt.ignored, "\n"))
			}
			// What is left decodes strictly, and the object is re-encoded
			// without the ignored fields.
			if _, err := DecodeObject(d.JSON); err != nil {
				t.Errorf("the JSON left does not decode strictly: %v", err)
			}
			out, _ := json.Marshal(d.Object)
			for _, p := range tt.ignored {
				leaf := p[strings.LastIndex(p, ".")+1:]
				if strings.Contains(string(out), `"`+leaf+`"`) || strings.Contains(string(d.JSON), `"`+leaf+`"`) {
					t.Errorf("%s survived decoding", leaf)
				}
			}
			// DecodeObject stays strict about them.
			if _, err := DecodeObject([]byte(tt.in)); (err == nil) != (len(tt.ignored) == 0) {
				t.Errorf("DecodeObject: %v", err)
			}
		})
	}
}

func TestDecodeLenientKeepsTheRest(t *testing.T) {
	obj, ignored, err := DecodeObjectWarn([]byte(k8sDeploymentYAML))
	if err != nil || len(ignored) != 4 {
		t.Fatalf("%v, ignored %v", err, ignored)
	}
	d := obj.(*Deployment)
	ps := d.Spec.Template.Spec
	if *d.Spec.Replicas != 2 || ps.Containers[0].Image != "nginx:1.27" || ps.Containers[0].Ports[0].ContainerPort != 80 ||
		ps.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != "kubernetes.io/hostname" ||
		ps.TopologySpreadConstraints[0].MaxSkew != 1 {
		t.Errorf("spec = %+v", d.Spec)
	}
	if err := Validate(d); err != nil {
		t.Errorf("invalid: %v", err)
	}
}

func TestDecodeLenientRefusesTypos(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"container field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    imagee: x\n    lifecycle: {}\n",
			`strict decoding error: Pod: unknown field "spec.containers[0].imagee"`},
		{"top level", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatta: {a: b}\n", `unknown field "datta"`},
		{"wrong case", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x, Lifecycle: {}}]\n", `unknown field "spec.containers[0].Lifecycle"`},
		{"inside an unimplemented-looking place", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: z, matchLabelKey: [x]}]}}\n      containers: [{name: a, image: x}]\n",
			`unknown field "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKey"`},
		{"map value", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpression: []}]}}}\n",
			`unknown field "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpression"`},
		{"a kind Kubernetes lacks", "apiVersion: barque.io/v1\nkind: NomadJob\nmetadata: {name: j}\nspecc: {}\n", `unknown field "specc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ignored, err := DecodeObjectWarn([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v (ignored %v), want it to mention %q", err, ignored, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("want a 400, got %v", err)
			}
		})
	}
}

func TestDecodeKindWarn(t *testing.T) {
	js := []byte(`{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","lifecycle":{"preStop":{"sleep":{"seconds":5}}}}],"activeDeadlineSeconds":9007199254740993}}`)
	obj, ignored, err := DecodeKindWarn("Pod", js)
	if err != nil {
		t.Fatal(err)
	}
	if len(ignored) != 1 || ignored[0] != "spec.containers[0].lifecycle.preStop" {
		t.Errorf("ignored = %v", ignored)
	}
	p := obj.(*Pod)
	if p.Spec.ActiveDeadlineSeconds == nil || *p.Spec.ActiveDeadlineSeconds != 9007199254740993 || p.Spec.Containers[0].Image != "x" {
		t.Errorf("spec = %+v", p.Spec)
	}
	if _, ignored, err := DecodeKindWarn("Pod", []byte(`{"metadata":{"name":"p"}}`)); err != nil || ignored != nil {
		t.Errorf("plain pod: %v %v", ignored, err)
	}
	for in, want := range map[string]string{
		`{"spec":{"containers":[{"imagee":"x","lifecycle":{}}]}}`: `unknown field "spec.containers[0].imagee"`,
		`{"spec":{"containers":[{"image":3,"lifecycle":{}}]}}`:    "spec.containers.image",
	} {
		if _, _, err := DecodeKindWarn("Pod", []byte(in)); err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want a 400 naming %s", in, err, want)
		}
	}
	if got := UnimplementedWarning("spec.x"); got != `unknown field "spec.x" is not implemented by Barque and was ignored` {
		t.Errorf("warning = %s", got)
	}
}

// TestK8sGraphRoots: every kind Barque serves at a Kubernetes apiVersion
// has its Kubernetes type in the generated graph.
func TestK8sGraphRoots(t *testing.T) {
	for _, k := range Kinds() {
		if k.Group == "barque.io" {
			continue
		}
		r := k8sRoot(k.Kind)
		if _, ok := r.field("metadata"); !ok {
			t.Errorf("%s: no Kubernetes type in k8sfields_gen.go (add it to internal/tools/k8sfields)", k.Kind)
		}
	}
}
