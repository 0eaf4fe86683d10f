package main

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

func TestParseGetArgs(t *testing.T) {
	type req struct {
		kind  string
		names []string
	}
	tests := []struct {
		args []string
		want []req
		err  string
	}{
		{[]string{"pods"}, []req{{"Pod", nil}}, ""},
		{[]string{"svc,ing"}, []req{{"Service", nil}, {"Ingress", nil}}, ""},
		{[]string{"svc,ing,service", "web"}, []req{{"Service", []string{"web"}}, {"Ingress", []string{"web"}}}, ""},
		{[]string{"pod/a"}, []req{{"Pod", []string{"a"}}}, ""},
		{[]string{"pods/a", "deploy/web", "pod/b"}, []req{{"Pod", []string{"a", "b"}}, {"Deployment", []string{"web"}}}, ""},
		{[]string{"deployment.apps/web", "ingress.networking.k8s.io/web"}, []req{{"Deployment", []string{"web"}}, {"Ingress", []string{"web"}}}, ""},
		{[]string{"deployment.batch/web"}, nil, "resource type"},
		{[]string{"pods", "pod/a"}, nil, "no need to specify a resource type"},
		{[]string{"pod/"}, nil, "single resource and name"},
		{[]string{"pods,nosuch"}, nil, "resource type"},
	}
	for _, tt := range tests {
		reqs, err := parseGetArgs(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		var got []req
		for _, r := range reqs {
			got = append(got, req{r.ki.Kind, r.names})
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v = %v, %v; want %v", tt.args, got, err, tt.want)
		}
	}
}

// TestGetForms runs get against an in-process server: KIND/NAME, several
// of them, and several kinds at once.
func TestGetForms(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{DisabledControllers: []string{"scheduler"}})
	leader := c.WaitForLeader(15 * time.Second)
	cl, err := client.New(client.Config{Addresses: []string{leader.APIURL()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var created bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !created; time.Sleep(100 * time.Millisecond) {
		_, err = cl.Create(ctx, &api.Service{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
			Spec:       api.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []api.ServicePort{{Port: 80}}}})
		created = err == nil
	}
	if !created {
		t.Fatalf("service: %v", err)
	}
	prefix := api.PathTypePrefix
	for _, o := range []api.Object{
		&api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: api.ObjectMeta{Name: "a", Namespace: "default"}},
		&api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: api.ObjectMeta{Name: "b", Namespace: "default"}},
		&api.Ingress{TypeMeta: api.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"}, ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: api.IngressSpec{Rules: []api.IngressRule{{IngressRuleValue: api.IngressRuleValue{HTTP: &api.HTTPIngressRuleValue{
				Paths: []api.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: api.IngressBackend{
					Service: &api.IngressServiceBackend{Name: "web", Port: api.ServiceBackendPort{Number: 80}}}}}}}}}}},
	} {
		if _, err := cl.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	get := func(args ...string) (string, error) {
		root := newRootCmd()
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(append([]string{"--address", leader.APIURL(), "get"}, args...))
		err := root.Execute()
		return out.String() + errOut.String(), err
	}
	tests := []struct {
		args       []string
		want, miss []string
	}{
		{[]string{"configmap/a"}, []string{"NAME", "a "}, []string{"configmap/a", "b "}},
		{[]string{"cm/a", "svc/web", "-o", "name"}, []string{"configmap/a\n", "service/web\n"}, nil},
		{[]string{"configmap/b", "ingress.networking.k8s.io/web"}, []string{"configmap/b", "ingress.networking.k8s.io/web"}, nil},
		{[]string{"svc,ing"}, []string{"service/web", "ingress.networking.k8s.io/web", "CLUSTER-IP", "\n\nNAME", "HOSTS"}, []string{"configmap"}},
		{[]string{"cm,svc", "web", "a"}, []string{"service/web", "configmap/a", "not found"}, nil},
		{[]string{"cm,svc", "-o", "json"}, []string{`"kind": "List"`, `"name": "web"`, `"name": "b"`}, nil},
	}
	for _, tt := range tests {
		out, err := get(tt.args...)
		wantErr := strings.Contains(strings.Join(tt.want, ""), "not found")
		if (err != nil) != wantErr {
			t.Errorf("get %v: error %v\n%s", tt.args, err, out)
		}
		if err != nil {
			out += err.Error()
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("get %v: no %q in\n%s", tt.args, w, out)
			}
		}
		for _, m := range tt.miss {
			if strings.Contains(out, m) {
				t.Errorf("get %v: %q in\n%s", tt.args, m, out)
			}
		}
	}
	// Blocks come in the order asked, each with its header.
	out, _ := get("ing,svc")
	if i, j := strings.Index(out, "ingress.networking.k8s.io/web"), strings.Index(out, "service/web"); i < 0 || j < i || strings.Count(out, "NAME") != 2 {
		t.Errorf("get ing,svc:\n%s", out)
	}
}

func TestPodStreams(t *testing.T) {
	pod := func(name string, init []string, cs ...string) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name}}
		for _, c := range init {
			p.Spec.InitContainers = append(p.Spec.InitContainers, api.Container{Name: c})
		}
		for _, c := range cs {
			p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: c})
		}
		return p
	}
	pods := []*api.Pod{pod("a", []string{"setup"}, "web", "side"), pod("b", nil, "web")}
	tests := []struct {
		o    logsOpts
		want []logStream
	}{
		{logsOpts{}, []logStream{{"a", "web"}, {"b", "web"}}},
		{logsOpts{allContainers: true}, []logStream{{"a", "setup"}, {"a", "web"}, {"a", "side"}, {"b", "web"}}},
		{logsOpts{LogOptions: client.LogOptions{Container: "side"}}, []logStream{{"a", "side"}}},
		{logsOpts{LogOptions: client.LogOptions{Container: "setup"}}, []logStream{{"a", "setup"}}},
	}
	for _, tt := range tests {
		if got := podStreams(pods, tt.o); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: %v, want %v", tt.o, got, tt.want)
		}
	}
	if p := logPrefix(logStream{"a", "web"}); p != "[pod/a/web] " {
		t.Errorf("prefix %q", p)
	}
}
