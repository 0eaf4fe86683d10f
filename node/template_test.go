package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/tmpl"
	"github.com/barque-io/barque/node/driver"
)

func templateCM(data map[string]string, opts map[string]tmpl.Options) *templateSet {
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "t", Annotations: map[string]string{tmpl.Annotation: "true"}}, Data: data}
	return &templateSet{cm: cm, opts: opts}
}

func TestRenderTemplatesIntoTask(t *testing.T) {
	a := &Agent{}
	d := podDirs{root: t.TempDir()}
	c := api.Container{Name: "web", VolumeMounts: []api.VolumeMount{{Name: "template-web-0", MountPath: "/local", ReadOnly: true}}}
	pod := &api.Pod{Spec: api.PodSpec{Containers: []api.Container{c}}}
	if err := d.create(pod); err != nil {
		t.Fatal(err)
	}
	tc := &driver.TaskConfig{TaskName: "web", TaskDir: d.task("web"), AllocDir: d.alloc(), Args: []string{"--greet=${GREETING}"},
		Env: map[string]string{"NOMAD_PORT_http": "8123", "NOMAD_ALLOC_INDEX": "0", "LEVEL": "debug"}}
	tt := &taskTemplates{
		files: map[string]*templateSet{"template-web-0": templateCM(
			map[string]string{"app.conf": "port={{ env \"NOMAD_PORT_http\" }} greeting=<< env \"GREETING\" >>\n"},
			map[string]tmpl.Options{"app.conf": {Destination: "local/app.conf", Perms: "0600", LeftDelimiter: "<<", RightDelimiter: ">>"}})},
		env: []*templateSet{templateCM(map[string]string{"app.env": "GREETING=hello-{{ env \"NOMAD_ALLOC_INDEX\" }}\nLEVEL=info\n"},
			map[string]tmpl.Options{"app.env": {Destination: "local/app.env", Env: true}})},
	}
	if err := a.renderTemplates(tt, c, d, tc); err != nil {
		t.Fatal(err)
	}
	if tc.Env["GREETING"] != "hello-0" || tc.Env["LEVEL"] != "info" {
		t.Errorf("env: GREETING=%q LEVEL=%q", tc.Env["GREETING"], tc.Env["LEVEL"])
	}
	if tc.Args[0] != "--greet=hello-0" {
		t.Errorf("args %q: a template's variable is not interpolated", tc.Args)
	}
	// exec: the rendered file appears in the task's local/ directory.
	b, err := os.ReadFile(filepath.Join(d.task("web"), "local", "app.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "port={{ env \"NOMAD_PORT_http\" }} greeting=hello-0\n"; string(b) != want {
		t.Errorf("rendered %q, want %q", b, want)
	}
	fi, err := os.Stat(filepath.Join(d.task("web"), "local", "app.conf"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
	// docker: the rendered file is bind-mounted at its destination.
	if len(tc.Mounts) != 1 || tc.Mounts[0].Target != "/local/app.conf" || !tc.Mounts[0].ReadOnly ||
		!strings.HasPrefix(tc.Mounts[0].Source, filepath.Join(d.root, "templates", "web")) {
		t.Errorf("mounts %+v", tc.Mounts)
	}
}

func TestRenderTemplatesFailure(t *testing.T) {
	d := podDirs{root: t.TempDir()}
	c := api.Container{Name: "web", VolumeMounts: []api.VolumeMount{{Name: "v", MountPath: "/local"}}}
	tc := &driver.TaskConfig{TaskName: "web", TaskDir: d.task("web"), Env: map[string]string{}}
	tt := &taskTemplates{files: map[string]*templateSet{"v": templateCM(map[string]string{"a.conf": "x\n{{ service \"db\" }}"},
		map[string]tmpl.Options{"a.conf": {Destination: "local/a.conf"}})}}
	err := (&Agent{}).renderTemplates(tt, c, d, tc)
	if !errors.Is(err, tmpl.ErrTemplate) || !strings.Contains(err.Error(), "local/a.conf:2") || !strings.Contains(err.Error(), `function "service"`) {
		t.Fatalf("got %v", err)
	}
	if r := startFailureReason(err); r != "TemplateError" {
		t.Errorf("reason %q", r)
	}
}
