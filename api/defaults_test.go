package api

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDefaultValues(t *testing.T) {
	d := testDeployment()
	d.Spec.Replicas = nil
	d.Spec.Template.Spec.Containers[0].ReadinessProbe = &Probe{ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{Port: FromInt(80)}}}
	d.Spec.Template.Spec.Containers[0].Ports = []ContainerPort{{ContainerPort: 80}}
	Default(d)
	s := d.Spec
	if *s.Replicas != 1 || *s.RevisionHistoryLimit != 10 || *s.ProgressDeadlineSeconds != 600 {
		t.Errorf("replicas/history/deadline = %d/%d/%d", *s.Replicas, *s.RevisionHistoryLimit, *s.ProgressDeadlineSeconds)
	}
	if s.Strategy.Type != "RollingUpdate" || s.Strategy.RollingUpdate.MaxSurge.String() != "25%" || s.Strategy.RollingUpdate.MaxUnavailable.String() != "25%" {
		t.Errorf("strategy = %+v", s.Strategy)
	}
	if s.Template.Spec.RestartPolicy != RestartAlways {
		t.Errorf("restartPolicy = %q", s.Template.Spec.RestartPolicy)
	}
	c := s.Template.Spec.Containers[0]
	if c.Ports[0].Protocol != ProtocolTCP {
		t.Errorf("port protocol = %q", c.Ports[0].Protocol)
	}
	p := c.ReadinessProbe
	if p.PeriodSeconds != 10 || p.TimeoutSeconds != 1 || p.FailureThreshold != 3 || p.SuccessThreshold != 1 || p.HTTPGet.Path != "/" {
		t.Errorf("probe = %+v", p)
	}

	svc := testService()
	svc.Spec.Ports = append(svc.Spec.Ports, ServicePort{Name: "b", Port: 443})
	Default(svc)
	if svc.Spec.Type != ServiceTypeClusterIP || svc.Spec.Ports[0].Protocol != ProtocolTCP {
		t.Errorf("service = %+v", svc.Spec)
	}
	if svc.Spec.Ports[0].TargetPort != FromInt(8080) || svc.Spec.Ports[1].TargetPort != FromInt(443) {
		t.Errorf("targetPorts = %v, %v", svc.Spec.Ports[0].TargetPort, svc.Spec.Ports[1].TargetPort)
	}

	j := testJob()
	Default(j)
	if *j.Spec.Completions != 1 || *j.Spec.Parallelism != 1 || *j.Spec.BackoffLimit != 6 {
		t.Errorf("job = %+v", j.Spec)
	}
	wq := testJob()
	wq.Spec.Parallelism = Ptr(int32(4))
	Default(wq)
	if wq.Spec.Completions != nil {
		t.Errorf("work-queue job got completions %d", *wq.Spec.Completions)
	}

	ns := &Namespace{ObjectMeta: ObjectMeta{Name: "x"}}
	Default(ns)
	if ns.Status.Phase != NamespaceActive {
		t.Errorf("namespace phase = %q", ns.Status.Phase)
	}

	sec := &Secret{Data: map[string][]byte{"a": []byte("old"), "b": []byte("keep")}, StringData: map[string]string{"a": "new"}}
	Default(sec)
	if sec.Type != SecretTypeOpaque || string(sec.Data["a"]) != "new" || string(sec.Data["b"]) != "keep" || sec.StringData != nil {
		t.Errorf("secret = %+v", sec)
	}
}

// TestDefaultIdempotent defaults every kind twice and requires the second
// pass to change nothing.
func TestDefaultIdempotent(t *testing.T) {
	objs := []Object{
		testPod(), testDeployment(), testJob(), testService(),
		&Namespace{}, &Secret{StringData: map[string]string{"k": "v"}},
		&ReplicaSet{Spec: ReplicaSetSpec{Template: testTemplate()}},
		&DaemonSet{Spec: DaemonSetSpec{Template: testTemplate()}},
		&StatefulSet{Spec: StatefulSetSpec{Template: testTemplate()}},
		&CronJob{Spec: CronJobSpec{Schedule: "@daily", JobTemplate: JobTemplateSpec{Spec: testJob().Spec}}},
		&Ingress{Spec: IngressSpec{Rules: []IngressRule{{IngressRuleValue: IngressRuleValue{HTTP: &HTTPIngressRuleValue{Paths: []HTTPIngressPath{{Path: "/"}}}}}}}},
		&Endpoints{Subsets: []EndpointSubset{{Ports: []EndpointPort{{Port: 80}}}}},
		&Event{}, &Node{}, &ConfigMap{},
	}
	for _, obj := range objs {
		t.Run(reflect.TypeOf(obj).Elem().Name(), func(t *testing.T) {
			Default(obj)
			once, _ := json.Marshal(obj)
			Default(obj)
			twice, _ := json.Marshal(obj)
			if string(once) != string(twice) {
				t.Errorf("second Default changed the object:\n%s\n%s", once, twice)
			}
		})
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	tests := map[string]string{
		"nginx":                       PullAlways,
		"nginx:latest":                PullAlways,
		"nginx:1.27":                  PullIfNotPresent,
		"registry.local:5000/app":     PullAlways,
		"registry.local:5000/app:v2":  PullIfNotPresent,
		"nginx@sha256:0123456789abcd": PullIfNotPresent,
	}
	for image, want := range tests {
		t.Run(image, func(t *testing.T) {
			if got := defaultPullPolicy(image); got != want {
				t.Errorf("pull policy = %q, want %q", got, want)
			}
		})
	}
}
