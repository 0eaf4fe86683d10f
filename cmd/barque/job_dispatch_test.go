package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/jobspec"
)

const dispatchJobFile = `job "render" {
  type = "batch"
  meta { size = "small" }
  parameterized {
    payload       = "required"
    meta_required = ["size"]
    meta_optional = ["format"]
  }
  group "render" {
    task "render" {
      driver = "exec"
      config { command = "cat" }
      dispatch_payload { file = "input.json" }
      artifact { source = "render.nomad.hcl" }
      template {
        data        = "x"
        destination = "local/x.conf"
      }
    }
  }
}`

// parameterizedRecord is the record "job run" keeps of dispatchJobFile.
func parameterizedRecord(t *testing.T) *api.NomadJob {
	t.Helper()
	file := filepath.Join(t.TempDir(), "render.nomad.hcl")
	if err := os.WriteFile(file, []byte(dispatchJobFile), 0o644); err != nil {
		t.Fatal(err)
	}
	job, err := jobspec.Parse(file, []byte(dispatchJobFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := job.Objects()
	if err != nil {
		t.Fatal(err)
	}
	sub := &submission{name: job.Name, namespace: "default", typ: job.Type, objs: objs, parameterized: job.Record()}
	spec, err := sub.spec()
	if err != nil {
		t.Fatal(err)
	}
	return &api.NomadJob{ObjectMeta: api.ObjectMeta{Name: "render", Namespace: "default", UID: "u1"}, Spec: spec}
}

func TestCheckDispatch(t *testing.T) {
	p := parameterizedRecord(t).Spec.Parameterized
	for _, tc := range []struct {
		name    string
		req     dispatchRequest
		wantErr string
	}{
		{"ok", dispatchRequest{meta: map[string]string{"size": "big"}, payload: []byte("{}")}, ""},
		{"no payload", dispatchRequest{meta: map[string]string{"size": "big"}}, "requires a payload"},
		{"missing meta", dispatchRequest{meta: map[string]string{}, payload: []byte("x")}, `requires meta key(s) size`},
		{"unknown meta", dispatchRequest{meta: map[string]string{"size": "1", "colour": "red"}, payload: []byte("x")},
			`meta key "colour" is not allowed by job "render" (allowed: format, size)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkDispatch("render", p, &tc.req)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
	forbidden := &api.NomadJobParameterized{Payload: api.DispatchPayloadForbidden}
	if err := checkDispatch("j", forbidden, &dispatchRequest{payload: []byte("x")}); err == nil || !strings.Contains(err.Error(), "forbids a payload") {
		t.Errorf("forbidden payload: %v", err)
	}
}

func TestReadDispatchPayloadLimit(t *testing.T) {
	big := bytes.Repeat([]byte("x"), api.DispatchPayloadMaxBytes+1)
	if _, err := readDispatch(bytes.NewReader(big), nil, []string{"-"}); err == nil || !strings.Contains(err.Error(), "16 KiB") {
		t.Errorf("error %v", err)
	}
	req, err := readDispatch(strings.NewReader("hi"), []string{"a=b=c"}, []string{"-"})
	if err != nil || string(req.payload) != "hi" || req.meta["a"] != "b=c" {
		t.Errorf("%+v, %v", req, err)
	}
	if _, err := readDispatch(nil, []string{"novalue"}, nil); err == nil {
		t.Error("a -meta without = is accepted")
	}
}

func TestChildObjects(t *testing.T) {
	rec := parameterizedRecord(t)
	id, err := dispatchID("render")
	if err != nil || !strings.HasPrefix(id, "render-dispatch-") || len(api.IsDNS1123Subdomain(id)) > 0 {
		t.Fatalf("id %q, %v", id, err)
	}
	objs, err := childObjects(rec, id, &dispatchRequest{meta: map[string]string{"size": "big"}, payload: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Fatalf("%d objects", len(objs))
	}
	cm, shipped, job := objs[0].(*api.ConfigMap), objs[1].(*api.ConfigMap), objs[2].(*api.Job)
	if arts, _ := api.DecodeArtifacts(job.Spec.Template.Annotations); shipped.Name != id+"-render-artifacts" || arts["render"][0].ConfigMap != shipped.Name {
		t.Errorf("shipped artifact: %s, %+v", shipped.Name, arts)
	}
	if cm.Name != id+"-render-0" || job.Name != id {
		t.Errorf("names %s, %s", cm.Name, job.Name)
	}
	tmpl := job.Spec.Template
	if tmpl.Labels[api.LabelNomadJob] != id || tmpl.Labels[api.LabelDispatchParent] != "render" ||
		job.Spec.Selector != nil && job.Spec.Selector.MatchLabels[api.LabelNomadJob] != id {
		t.Errorf("labels %v selector %+v", tmpl.Labels, job.Spec.Selector)
	}
	if len(job.OwnerReferences) != 1 || job.OwnerReferences[0].UID != "u1" {
		t.Errorf("owners %+v", job.OwnerReferences)
	}
	if tmpl.Spec.Volumes[0].ConfigMap.Name != cm.Name {
		t.Errorf("volume points at %s", tmpl.Spec.Volumes[0].ConfigMap.Name)
	}
	if p, _ := base64.StdEncoding.DecodeString(tmpl.Annotations[api.AnnotationDispatchPayload]); string(p) != `{"n":1}` {
		t.Errorf("payload %q", p)
	}
	env := map[string]string{}
	for _, e := range tmpl.Spec.Containers[0].Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s twice", e.Name)
		}
		env[e.Name] = e.Value
	}
	if env["NOMAD_META_size"] != "big" || env["BARQUE_META_size"] != "big" {
		t.Errorf("env %v", env)
	}
	// The record is untouched.
	var stored map[string]any
	_ = json.Unmarshal(rec.Spec.Objects[2], &stored)
	if stored["metadata"].(map[string]any)["name"] != "render" {
		t.Errorf("the record's objects changed: %v", stored["metadata"])
	}
	long, _ := dispatchID(strings.Repeat("a", 80))
	if len(long) > 63 || len(api.IsValidLabelValue(long)) > 0 {
		t.Errorf("id %q (%d)", long, len(long))
	}
}
