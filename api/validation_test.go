package api

import (
	"errors"
	"strings"
	"testing"
)

type validationCase struct {
	name   string
	obj    func() Object
	fields []string // every field that must be reported; nil means valid
}

func runValidationCases(t *testing.T, cases []validationCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := invalidFields(t, tc.obj())
			if tc.fields == nil && got != nil {
				t.Fatalf("want valid, got errors on %v: %v", got, Validate(tc.obj()))
			}
			for _, f := range tc.fields {
				if !hasField(got, f) {
					t.Errorf("want an error on %s, got %v (%v)", f, got, Validate(tc.obj()))
				}
			}
		})
	}
}

func pod(mut func(p *Pod)) func() Object {
	return func() Object { p := testPod(); mut(p); return p }
}

func TestValidateMetadata(t *testing.T) {
	runValidationCases(t, []validationCase{
		{"valid", pod(func(p *Pod) {}), nil},
		{"name required", pod(func(p *Pod) { p.Name = "" }), []string{"metadata.name"}},
		{"generateName instead of name", pod(func(p *Pod) { p.Name, p.GenerateName = "", "web-" }), nil},
		{"bad generateName", pod(func(p *Pod) { p.Name, p.GenerateName = "", "Web_" }), []string{"metadata.generateName"}},
		{"uppercase name", pod(func(p *Pod) { p.Name = "Web" }), []string{"metadata.name"}},
		{"subdomain name ok", pod(func(p *Pod) { p.Name = "web.v1" }), nil},
		{"namespace required", pod(func(p *Pod) { p.Namespace = "" }), []string{"metadata.namespace"}},
		{"bad label key", pod(func(p *Pod) { p.Labels = map[string]string{"a/b/c": "x"} }), []string{"metadata.labels"}},
		{"prefixed label key ok", pod(func(p *Pod) { p.Labels = map[string]string{"example.com/tier": "x"} }), nil},
		{"long label value", pod(func(p *Pod) { p.Labels = map[string]string{"a": strings.Repeat("x", 64)} }), []string{"metadata.labels"}},
		{"bad annotation key", pod(func(p *Pod) { p.Annotations = map[string]string{"-x": ""} }), []string{"metadata.annotations"}},
		{"annotations too big", pod(func(p *Pod) { p.Annotations = map[string]string{"a": strings.Repeat("x", 300<<10)} }), []string{"metadata.annotations"}},
		{"ownerReference incomplete", pod(func(p *Pod) { p.OwnerReferences = []OwnerReference{{Kind: "ReplicaSet", Name: "rs"}} }),
			[]string{"metadata.ownerReferences[0].apiVersion", "metadata.ownerReferences[0].uid"}},
		{"namespace name is a label", func() Object { return &Namespace{ObjectMeta: ObjectMeta{Name: "a.b"}} }, []string{"metadata.name"}},
		{"cluster-scoped has no namespace", func() Object { return &Namespace{ObjectMeta: ObjectMeta{Name: "ns", Namespace: "x"}} }, []string{"metadata.namespace"}},
		{"node valid", func() Object { return &Node{ObjectMeta: ObjectMeta{Name: "node-1.example"}} }, nil},
	})
}

func TestValidatePod(t *testing.T) {
	runValidationCases(t, []validationCase{
		{"no containers", pod(func(p *Pod) { p.Spec.Containers = nil }), []string{"spec.containers"}},
		{"container name required", pod(func(p *Pod) { p.Spec.Containers[0].Name = "" }), []string{"spec.containers[0].name"}},
		{"container name is a label", pod(func(p *Pod) { p.Spec.Containers[0].Name = "a.b" }), []string{"spec.containers[0].name"}},
		{"duplicate container names", pod(func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "web", Image: "x"}}
		}), []string{"spec.containers[0].name"}},
		{"image or command", pod(func(p *Pod) { p.Spec.Containers[0].Image = "" }), []string{"spec.containers[0].image"}},
		{"command alone ok (exec driver)", pod(func(p *Pod) {
			c := &p.Spec.Containers[0]
			c.Image, c.Command, c.Driver = "", []string{"/bin/true"}, "exec"
		}), nil},
		{"bad driver", pod(func(p *Pod) { p.Spec.Containers[0].Driver = "qemu" }), []string{"spec.containers[0].driver"}},
		{"port range", pod(func(p *Pod) {
			p.Spec.Containers[0].Ports = []ContainerPort{{ContainerPort: 70000}, {ContainerPort: 80, HostPort: -1, Protocol: "HTTP"}}
		}), []string{"spec.containers[0].ports[0].containerPort", "spec.containers[0].ports[1].hostPort", "spec.containers[0].ports[1].protocol"}},
		{"bad quantity", pod(func(p *Pod) {
			p.Spec.Containers[0].Resources.Limits = ResourceList{"cpu": "lots"}
		}), []string{"spec.containers[0].resources.limits[cpu]"}},
		{"request above limit", pod(func(p *Pod) {
			p.Spec.Containers[0].Resources = ResourceRequirements{Limits: ResourceList{"memory": "1Gi"}, Requests: ResourceList{"memory": "2Gi"}}
		}), []string{"spec.containers[0].resources.requests[memory]"}},
		{"restartPolicy", pod(func(p *Pod) { p.Spec.RestartPolicy = "Sometimes" }), []string{"spec.restartPolicy"}},
		{"duplicate volumes", pod(func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "v", VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{}}}, {Name: "v", VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{}}}}
		}), []string{"spec.volumes[1].name"}},
		{"volume needs one source", pod(func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "v"}, {Name: "w", VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{}, HostPath: &HostPathVolumeSource{Path: "/"}}}}
		}), []string{"spec.volumes[0]", "spec.volumes[1]"}},
		{"mount of undeclared volume", pod(func(p *Pod) {
			p.Spec.Containers[0].VolumeMounts = []VolumeMount{{Name: "data", MountPath: "/data"}}
		}), []string{"spec.containers[0].volumeMounts[0].name"}},
		{"mount of declared volume", pod(func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", VolumeSource: VolumeSource{ConfigMap: &ConfigMapVolumeSource{LocalObjectReference{Name: "cfg"}, nil, nil, nil}}}}
			p.Spec.Containers[0].VolumeMounts = []VolumeMount{{Name: "data", MountPath: "/data"}}
		}), nil},
		{"file modes beyond 0777", pod(func(p *Pod) {
			big, neg := int32(0o1000), int32(-1)
			p.Spec.Volumes = []Volume{
				{Name: "a", VolumeSource: VolumeSource{ConfigMap: &ConfigMapVolumeSource{LocalObjectReference{Name: "cfg"}, []KeyToPath{{Key: "k", Path: "p", Mode: &neg}}, &big, nil}}},
				{Name: "b", VolumeSource: VolumeSource{Secret: &SecretVolumeSource{SecretName: "s", DefaultMode: &big}}},
			}
		}), []string{"spec.volumes[0].configMap.items[0].mode", "spec.volumes[0].configMap.defaultMode", "spec.volumes[1].secret.defaultMode"}},
		{"probe without handler", pod(func(p *Pod) { p.Spec.Containers[0].LivenessProbe = &Probe{} }), []string{"spec.containers[0].livenessProbe"}},
		{"liveness successThreshold", pod(func(p *Pod) {
			p.Spec.Containers[0].LivenessProbe = &Probe{ProbeHandler: ProbeHandler{TCPSocket: &TCPSocketAction{Port: FromInt(80)}}, SuccessThreshold: 2}
		}), []string{"spec.containers[0].livenessProbe.successThreshold"}},
		{"probe named port", pod(func(p *Pod) {
			p.Spec.Containers[0].ReadinessProbe = &Probe{ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{Port: FromString("Not_A_Port")}}}
		}), []string{"spec.containers[0].readinessProbe.httpGet.port"}},
		{"env", pod(func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "1BAD"}, {Name: "A", Value: "x", ValueFrom: &EnvVarSource{SecretKeyRef: &KeySelector{Name: "s", Key: "k"}}}, {Name: "B", ValueFrom: &EnvVarSource{}}}
		}), []string{"spec.containers[0].env[0].name", "spec.containers[0].env[1].valueFrom", "spec.containers[0].env[2].valueFrom"}},
	})
}

func TestValidatePodScheduling(t *testing.T) {
	runValidationCases(t, []validationCase{
		{"enums", pod(func(p *Pod) {
			p.Spec.DNSPolicy, p.Spec.PreemptionPolicy = "Sometimes", Ptr("Always")
			p.Spec.Containers[0].ImagePullPolicy = "Maybe"
		}), []string{"spec.dnsPolicy", "spec.preemptionPolicy", "spec.containers[0].imagePullPolicy"}},
		{"envFrom", pod(func(p *Pod) {
			p.Spec.Containers[0].EnvFrom = []EnvFromSource{{}, {Prefix: "1X", ConfigMapRef: &LocalObjectOptional{}}}
		}), []string{"spec.containers[0].envFrom[0]", "spec.containers[0].envFrom[1].prefix", "spec.containers[0].envFrom[1].configMapRef.name"}},
		{"docker needs image", pod(func(p *Pod) {
			c := &p.Spec.Containers[0]
			c.Image, c.Command, c.Driver = "", []string{"sleep"}, "docker"
		}), []string{"spec.containers[0].image"}},
		{"init container path", pod(func(p *Pod) { p.Spec.InitContainers = []Container{{Name: "init"}} }), []string{"spec.initContainers[0].image"}},
		{"tolerations", pod(func(p *Pod) {
			p.Spec.Tolerations = []Toleration{{Operator: "Equal"}, {Key: "k", Operator: "Exists", Value: "v"}, {Key: "k", Effect: "Sometimes"}}
		}), []string{"spec.tolerations[0].operator", "spec.tolerations[1].operator", "spec.tolerations[2].effect"}},
		{"affinity", pod(func(p *Pod) {
			p.Spec.Affinity = &Affinity{
				NodeAffinity:    &NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &NodeSelector{NodeSelectorTerms: []NodeSelectorTerm{{MatchExpressions: []NodeSelectorRequirement{{Key: "zone", Operator: "Near"}}}}}},
				PodAntiAffinity: &PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []PodAffinityTerm{{}}},
			}
		}), []string{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator",
			"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"}},
		{"topology spread", pod(func(p *Pod) {
			p.Spec.TopologySpreadConstraints = []TopologySpreadConstraint{{MaxSkew: 0, WhenUnsatisfiable: "Whatever"}}
		}), []string{"spec.topologySpreadConstraints[0].maxSkew", "spec.topologySpreadConstraints[0].topologyKey", "spec.topologySpreadConstraints[0].whenUnsatisfiable"}},
	})
}

func TestValidateWorkloads(t *testing.T) {
	dep := func(mut func(d *Deployment)) func() Object {
		return func() Object { d := testDeployment(); mut(d); return d }
	}
	job := func(mut func(j *Job)) func() Object {
		return func() Object { j := testJob(); mut(j); return j }
	}
	runValidationCases(t, []validationCase{
		{"deployment valid", dep(func(d *Deployment) {}), nil},
		{"deployment defaulted valid", dep(func(d *Deployment) { Default(d) }), nil},
		{"selector required", dep(func(d *Deployment) { d.Spec.Selector = nil }), []string{"spec.selector"}},
		{"selector must match template", dep(func(d *Deployment) { d.Spec.Template.Labels = map[string]string{"app": "db"} }), []string{"spec.template.metadata.labels"}},
		{"negative replicas", dep(func(d *Deployment) { d.Spec.Replicas = Ptr(int32(-1)) }), []string{"spec.replicas"}},
		{"template container path", dep(func(d *Deployment) { d.Spec.Template.Spec.Containers[0].Name = "" }), []string{"spec.template.spec.containers[0].name"}},
		{"template restartPolicy", dep(func(d *Deployment) { d.Spec.Template.Spec.RestartPolicy = RestartNever }), []string{"spec.template.spec.restartPolicy"}},
		{"bad percent", dep(func(d *Deployment) {
			d.Spec.Strategy = DeploymentStrategy{Type: "RollingUpdate", RollingUpdate: &RollingUpdateDeployment{MaxSurge: Ptr(FromString("lots")), MaxUnavailable: Ptr(FromString("150%"))}}
		}), []string{"spec.strategy.rollingUpdate.maxSurge", "spec.strategy.rollingUpdate.maxUnavailable"}},
		{"both zero", dep(func(d *Deployment) {
			d.Spec.Strategy.RollingUpdate = &RollingUpdateDeployment{MaxSurge: Ptr(FromInt(0)), MaxUnavailable: Ptr(FromString("0%"))}
		}), []string{"spec.strategy.rollingUpdate.maxUnavailable"}},
		{"recreate with rollingUpdate", dep(func(d *Deployment) {
			d.Spec.Strategy = DeploymentStrategy{Type: "Recreate", RollingUpdate: &RollingUpdateDeployment{}}
		}), []string{"spec.strategy.rollingUpdate"}},
		{"strategy type", dep(func(d *Deployment) { d.Spec.Strategy.Type = "BlueGreen" }), []string{"spec.strategy.type"}},
		{"canary valid", dep(func(d *Deployment) { d.Spec.Strategy.Canary = &DeploymentCanary{Replicas: 1, AutoPromote: true} }), nil},
		{"canary above replicas valid (blue/green)", dep(func(d *Deployment) { d.Spec.Strategy.Canary = &DeploymentCanary{Replicas: 10} }), nil},
		{"canary off valid", dep(func(d *Deployment) { d.Spec.Strategy.Canary = &DeploymentCanary{} }), nil},
		{"canary defaulted valid", dep(func(d *Deployment) { d.Spec.Strategy.Canary = &DeploymentCanary{Replicas: 2}; Default(d) }), nil},
		{"negative canary", dep(func(d *Deployment) { d.Spec.Strategy.Canary = &DeploymentCanary{Replicas: -1} }), []string{"spec.strategy.canary.replicas"}},
		{"autoPromote without canaries", dep(func(d *Deployment) { d.Spec.Strategy.Canary = &DeploymentCanary{AutoPromote: true} }), []string{"spec.strategy.canary.autoPromote"}},
		{"autoRevert without canaries", dep(func(d *Deployment) { d.Spec.Strategy.Canary = &DeploymentCanary{AutoRevert: true} }), []string{"spec.strategy.canary.autoRevert"}},
		{"recreate with canary", dep(func(d *Deployment) {
			d.Spec.Strategy = DeploymentStrategy{Type: "Recreate", Canary: &DeploymentCanary{Replicas: 1}}
		}), []string{"spec.strategy.canary"}},
		{"replicaset", func() Object {
			return &ReplicaSet{ObjectMeta: ObjectMeta{Name: "rs", Namespace: "d"}, Spec: ReplicaSetSpec{Replicas: Ptr(int32(-2)), Template: testTemplate()}}
		}, []string{"spec.replicas", "spec.selector"}},
		{"daemonset strategy", func() Object {
			return &DaemonSet{ObjectMeta: ObjectMeta{Name: "ds", Namespace: "d"}, Spec: DaemonSetSpec{
				Selector: &LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: testTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{Type: "Sometimes"}}}
		}, []string{"spec.updateStrategy.type"}},
		{"statefulset", func() Object {
			return &StatefulSet{ObjectMeta: ObjectMeta{Name: "db", Namespace: "d"}, Spec: StatefulSetSpec{
				Selector: &LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: testTemplate(),
				ServiceName: "1db", PodManagementPolicy: "Random"}}
		}, []string{"spec.serviceName", "spec.podManagementPolicy"}},
		{"job valid", job(func(j *Job) {}), nil},
		{"job counts", job(func(j *Job) {
			j.Spec.Completions, j.Spec.Parallelism, j.Spec.BackoffLimit = Ptr(int32(-1)), Ptr(int32(-1)), Ptr(int32(-1))
			j.Spec.ActiveDeadlineSeconds = Ptr(int64(0))
		}), []string{"spec.completions", "spec.parallelism", "spec.backoffLimit", "spec.activeDeadlineSeconds"}},
		{"job restartPolicy Always", job(func(j *Job) { j.Spec.Template.Spec.RestartPolicy = RestartAlways }), []string{"spec.template.spec.restartPolicy"}},
		{"job completionMode", job(func(j *Job) { j.Spec.CompletionMode = Ptr("Sorted") }), []string{"spec.completionMode"}},
	})
}

func TestValidateCronJob(t *testing.T) {
	cj := func(schedule string, mut func(c *CronJob)) func() Object {
		return func() Object {
			c := &CronJob{ObjectMeta: ObjectMeta{Name: "nightly", Namespace: "d"}, Spec: CronJobSpec{
				Schedule: schedule, JobTemplate: JobTemplateSpec{Spec: testJob().Spec}}}
			mut(c)
			return c
		}
	}
	none := func(*CronJob) {}
	runValidationCases(t, []validationCase{
		{"valid", cj("*/5 0-6 * jan,FEB mon-fri", none), nil},
		{"descriptor", cj("@daily", none), nil},
		{"four fields", cj("* * * *", none), []string{"spec.schedule"}},
		{"six fields", cj("0 * * * * *", none), []string{"spec.schedule"}},
		{"out of range", cj("61 * * * *", none), []string{"spec.schedule"}},
		{"junk", cj("a b c d e", none), []string{"spec.schedule"}},
		{"required", cj("", none), []string{"spec.schedule"}},
		{"policy and limits", cj("0 0 * * *", func(c *CronJob) {
			c.Spec.ConcurrencyPolicy = "Sometimes"
			c.Spec.SuccessfulJobsHistoryLimit = Ptr(int32(-1))
		}), []string{"spec.concurrencyPolicy", "spec.successfulJobsHistoryLimit"}},
		{"job template path", cj("0 0 * * *", func(c *CronJob) { c.Spec.JobTemplate.Spec.Template.Spec.Containers = nil }),
			[]string{"spec.jobTemplate.spec.template.spec.containers"}},
	})
}

func TestValidateCoreKinds(t *testing.T) {
	svc := func(mut func(s *Service)) func() Object {
		return func() Object { s := testService(); mut(s); return s }
	}
	runValidationCases(t, []validationCase{
		{"service valid", svc(func(s *Service) {}), nil},
		{"service name is DNS-1035", svc(func(s *Service) { s.Name = "1web" }), []string{"metadata.name"}},
		{"service ports required", svc(func(s *Service) { s.Spec.Ports = nil }), []string{"spec.ports"}},
		{"service port names", svc(func(s *Service) {
			s.Spec.Ports = []ServicePort{{Port: 80}, {Name: "b", Port: 0, TargetPort: FromString("no--pe")}}
		}), []string{"spec.ports[0].name", "spec.ports[1].port", "spec.ports[1].targetPort"}},
		{"service duplicate port", svc(func(s *Service) {
			s.Spec.Ports = []ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 80, Protocol: ProtocolTCP}}
		}), []string{"spec.ports[1]"}},
		{"service duplicate name", svc(func(s *Service) {
			s.Spec.Ports = []ServicePort{{Name: "a", Port: 80}, {Name: "a", Port: 81}}
		}), []string{"spec.ports[1].name"}},
		{"nodePort on ClusterIP", svc(func(s *Service) { s.Spec.Ports[0].NodePort = 30080 }), []string{"spec.ports[0].nodePort"}},
		{"service type", svc(func(s *Service) { s.Spec.Type = "Magic"; s.Spec.ClusterIP = "300.1.1.1" }), []string{"spec.type", "spec.clusterIP"}},
		{"configmap keys", func() Object {
			return &ConfigMap{ObjectMeta: ObjectMeta{Name: "c", Namespace: "d"}, Data: map[string]string{"ok.key": "", "bad key": ""},
				BinaryData: map[string][]byte{"ok.key": nil}}
		}, []string{"data[bad key]", "binaryData[ok.key]"}},
		{"secret keys", func() Object {
			return &Secret{ObjectMeta: ObjectMeta{Name: "s", Namespace: "d"}, Data: map[string][]byte{"..": nil}, StringData: map[string]string{"a/b": ""}}
		}, []string{"data[..]", "stringData[a/b]"}},
		{"tls secret keys", func() Object {
			return &Secret{ObjectMeta: ObjectMeta{Name: "s", Namespace: "d"}, Type: SecretTypeTLS, Data: map[string][]byte{"tls.crt": nil}}
		}, []string{"data[tls.key]"}},
		{"endpoints", func() Object {
			return &Endpoints{ObjectMeta: ObjectMeta{Name: "web", Namespace: "d"}, Subsets: []EndpointSubset{{
				Addresses: []EndpointAddress{{IP: "10.0.0.1"}, {IP: "nope"}}, Ports: []EndpointPort{{Port: 0}}}}}
		}, []string{"subsets[0].addresses[1].ip", "subsets[0].ports[0].port"}},
		{"event", func() Object {
			return &Event{ObjectMeta: ObjectMeta{Name: "e", Namespace: "d"}, Type: "Loud", InvolvedObject: ObjectReference{Namespace: "other"}}
		}, []string{"involvedObject.kind", "involvedObject.namespace", "type"}},
		{"node taints", func() Object {
			return &Node{ObjectMeta: ObjectMeta{Name: "n"}, Spec: NodeSpec{PodCIDR: "10.0.0.0/33", Taints: []Taint{{Key: "k", Effect: "Maybe"}, {Key: "", Effect: TaintNoSchedule}}}}
		}, []string{"spec.podCIDR", "spec.taints[0].effect", "spec.taints[1].key"}},
		{"ingress", func() Object {
			return &Ingress{ObjectMeta: ObjectMeta{Name: "i", Namespace: "d"}, Spec: IngressSpec{Rules: []IngressRule{{
				Host: "10.0.0.1", IngressRuleValue: IngressRuleValue{HTTP: &HTTPIngressRuleValue{Paths: []HTTPIngressPath{
					{Path: "/", Backend: IngressBackend{Service: &IngressServiceBackend{Name: "web", Port: ServiceBackendPort{Number: 80}}}},
					{Path: "api", PathType: Ptr(PathTypePrefix), Backend: IngressBackend{Service: &IngressServiceBackend{Name: "web"}}},
				}}}}}}}
		}, []string{"spec.rules[0].host", "spec.rules[0].http.paths[0].pathType", "spec.rules[0].http.paths[1].path", "spec.rules[0].http.paths[1].backend.service.port"}},
		{"ingress empty", func() Object { return &Ingress{ObjectMeta: ObjectMeta{Name: "i", Namespace: "d"}} }, []string{"spec"}},
	})
}

func TestValidateMessages(t *testing.T) {
	p := testPod()
	p.Spec.RestartPolicy = "Sometimes"
	p.Spec.Containers = append(p.Spec.Containers, Container{Name: "web", Image: "x"}, Container{Image: "x"})
	err := Validate(p)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ErrInvalid, got %v", err)
	}
	for field, want := range map[string]string{
		"spec.restartPolicy":      `Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"`,
		"spec.containers[1].name": `Duplicate value: "web"`,
		"spec.containers[2].name": "Required value",
	} {
		if got := causeMessage(t, err, field); got != want {
			t.Errorf("%s: message %q, want %q", field, got, want)
		}
	}
	var se *StatusError
	errors.As(err, &se)
	types := map[string]string{}
	for _, c := range se.Status.Details.Causes {
		types[c.Field] = c.Type
	}
	if types["spec.restartPolicy"] != "FieldValueNotSupported" || types["spec.containers[2].name"] != "FieldValueRequired" {
		t.Errorf("cause types = %v", types)
	}
	if !strings.HasPrefix(err.Error(), `Pod "web-1" is invalid: `) {
		t.Errorf("message %q", err)
	}
}

func TestValidateTooLarge(t *testing.T) {
	cm := &ConfigMap{ObjectMeta: ObjectMeta{Name: "big", Namespace: "d"}, Data: map[string]string{"k": strings.Repeat("x", MaxObjectBytes)}}
	var se *StatusError
	if err := Validate(cm); !errors.As(err, &se) || se.Code() != 413 {
		t.Fatalf("want 413, got %v", err)
	}
}
