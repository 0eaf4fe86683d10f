package node

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/api/tmpl"
	"github.com/hashicorp/go-hclog"
)

// objectServer answers GETs of the given objects by their last two path
// segments ("configmaps/NAME", "secrets/NAME"), and 404 otherwise.
func objectServer(t *testing.T, objs map[string]api.Object) *client.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := path.Base(path.Dir(r.URL.Path)) + "/" + path.Base(r.URL.Path)
		obj, ok := objs[key]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(obj)
	}))
	t.Cleanup(srv.Close)
	cl, err := client.New(client.Config{Addresses: []string{srv.URL}, Timeout: 2 * time.Second, RetryFor: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestTaskConfigTemplatesAndEnvFrom: a task's template volume is rendered
// and mounted, its env template and plain envFrom sources fill its
// environment (the env block over plain sources, templates over both).
func TestTaskConfigTemplatesAndEnvFrom(t *testing.T) {
	cm := func(name string, ann map[string]string, data map[string]string) *api.ConfigMap {
		return &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Annotations: ann}, Data: data}
	}
	tmplAnn := func(o map[string]tmpl.Options) map[string]string {
		return map[string]string{tmpl.Annotation: "true", tmpl.OptionsAnnotation: tmpl.Encode(o)}
	}
	objs := map[string]api.Object{
		"configmaps/files": cm("files", tmplAnn(map[string]tmpl.Options{"app.conf": {Destination: "local/app.conf"}}),
			map[string]string{"app.conf": `port={{ env "NOMAD_PORT_http" }} mode={{ env "MODE" }}`}),
		"configmaps/envt": cm("envt", tmplAnn(map[string]tmpl.Options{"app.env": {Destination: "local/app.env", Env: true}}),
			map[string]string{"app.env": "GREETING=hello-{{ env \"NOMAD_ALLOC_INDEX\" }}\nMODE=templated\n"}),
		"configmaps/plain": cm("plain", nil, map[string]string{"MODE": "plain", "COLOR": "blue", "SIZE": "L"}),
		"secrets/creds": &api.Secret{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: api.ObjectMeta{Name: "creds", Namespace: "default"}, Data: map[string][]byte{"TOKEN": []byte("s3cret")}},
	}
	a := &Agent{logger: hclog.NewNullLogger(), client: objectServer(t, objs), cfg: Config{Name: "n1", BindAddr: "127.0.0.1", DataDir: t.TempDir()}}
	yes, no := true, false
	c := api.Container{Name: "web",
		Ports:        []api.ContainerPort{{Name: "http", ContainerPort: 8123}},
		Env:          []api.EnvVar{{Name: "SIZE", Value: "XL"}},
		VolumeMounts: []api.VolumeMount{{Name: "tpl", MountPath: "/local", ReadOnly: true}},
		EnvFrom: []api.EnvFromSource{
			{ConfigMapRef: &api.LocalObjectOptional{Name: "plain"}},
			{Prefix: "APP_", SecretRef: &api.LocalObjectOptional{Name: "creds"}},
			{ConfigMapRef: &api.LocalObjectOptional{Name: "missing", Optional: &yes}},
			{ConfigMapRef: &api.LocalObjectOptional{Name: "envt"}},
		}}
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default", UID: "u1"},
		Spec: api.PodSpec{EnableServiceLinks: &no, Containers: []api.Container{c},
			Volumes: []api.Volume{{Name: "tpl", VolumeSource: api.VolumeSource{ConfigMap: &api.ConfigMapVolumeSource{
				LocalObjectReference: api.LocalObjectReference{Name: "files"}}}}}}}
	ctx := context.Background()
	d := a.podDirs(pod.UID)
	if err := d.create(pod); err != nil {
		t.Fatal(err)
	}
	vols, err := a.prepareVolumes(ctx, pod, d)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := a.taskConfig(ctx, pod, c, d, vols)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"GREETING": "hello-0", "MODE": "templated", "COLOR": "blue", "SIZE": "XL", "APP_TOKEN": "s3cret"}
	for k, v := range want {
		if tc.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, tc.Env[k], v)
		}
	}
	b, err := os.ReadFile(filepath.Join(d.task("web"), "local", "app.conf"))
	if err != nil || string(b) != "port=8123 mode=templated" {
		t.Errorf("local/app.conf: %q, %v", b, err)
	}
	if len(tc.Mounts) != 1 || tc.Mounts[0].Target != "/local/app.conf" {
		t.Errorf("mounts: %+v", tc.Mounts)
	}

	// A required source that is missing, and a template that cannot render.
	c.EnvFrom = []api.EnvFromSource{{ConfigMapRef: &api.LocalObjectOptional{Name: "missing"}}}
	if _, err := a.taskConfig(ctx, pod, c, d, vols); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing envFrom source: %v", err)
	}
	objs["configmaps/files"].(*api.ConfigMap).Data["app.conf"] = "{{ nomadVar \"x\" }}"
	c.EnvFrom = nil
	_, err = a.taskConfig(ctx, pod, c, d, vols)
	if startFailureReason(err) != "TemplateError" || !strings.Contains(err.Error(), `function "nomadVar"`) ||
		!strings.Contains(err.Error(), "local/app.conf:1") {
		t.Errorf("unrenderable template: %v", err)
	}
}
