package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/scheduler/placement"
)

func planNode(name, mem string, cordoned bool) *api.Node {
	return &api.Node{
		ObjectMeta: api.ObjectMeta{Name: name, UID: "uid-" + name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Spec:       api.NodeSpec{Unschedulable: cordoned},
		Status: api.NodeStatus{
			Allocatable: api.ResourceList{"cpu": "4", "memory": mem, "pods": "110"},
			Conditions:  []api.Condition{{Type: api.NodeReady, Status: api.ConditionTrue}},
			Drivers:     []string{"exec"},
		},
	}
}

func planTemplate(mem string) api.PodTemplateSpec {
	return api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: map[string]string{api.LabelNomadJob: "web", api.LabelNomadGroup: "app"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Command: []string{"sleep"},
			Resources: api.ResourceRequirements{Requests: api.ResourceList{"cpu": "100m", "memory": mem}}}}},
	}
}

func TestPlanWorkload(t *testing.T) {
	nodes := []*api.Node{planNode("a", "1Gi", false), planNode("b", "1Gi", false), planNode("c", "8Gi", true)}
	three := int32(3)
	dep := &api.Deployment{TypeMeta: api.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: api.ObjectMeta{Name: "web-app", Namespace: "default", Labels: map[string]string{api.LabelNomadGroup: "app"}},
		Spec:       api.DeploymentSpec{Replicas: &three, Template: planTemplate("600Mi")}}
	ds := &api.DaemonSet{TypeMeta: api.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: api.ObjectMeta{Name: "web-agent", Namespace: "default", Labels: map[string]string{api.LabelNomadGroup: "agent"}},
		Spec:       api.DaemonSetSpec{Template: planTemplate("600Mi")}}
	cm := &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: api.ObjectMeta{Name: "cfg", Namespace: "default"}}
	snap := placement.NewSnapshot(nodes, nil)

	gp, ok := planWorkload(snap, nodes, dep)
	if !ok || gp.want != 3 || gp.fit != 2 || gp.feasible != 2 || !strings.Contains(gp.reason, "Insufficient memory") ||
		!strings.Contains(gp.reason, "unschedulable") {
		t.Fatalf("deployment: %+v", gp)
	}
	if dep.Spec.Template.Spec.Containers[0].Resources.Limits != nil || dep.Spec.Template.Spec.RestartPolicy != "" {
		t.Fatal("the preview changed the job's template")
	}
	// A daemon runs on every ready node, cordoned ones included, without
	// being charged against resources.
	if gp, ok := planWorkload(snap, nodes, ds); !ok || gp.want != 3 || gp.fit != 3 {
		t.Fatalf("daemonset: %+v", gp)
	}
	if _, ok := planWorkload(snap, nodes, cm); ok {
		t.Fatal("a ConfigMap places no pods")
	}

	var out bytes.Buffer
	printPlacement(&out, len(nodes), []groupPlan{gp})
	for _, want := range []string{"dry run over 3 nodes", `group "app" (deployment.apps/web-app): would place 2 of 3 pods; 2 nodes feasible; 0/3 nodes are available`,
		"WARNING: 1 pods cannot be placed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("preview lacks %q:\n%s", want, out.String())
		}
	}
}
