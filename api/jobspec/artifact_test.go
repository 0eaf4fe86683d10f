package jobspec

import (
	"os"

	"errors"
	"github.com/barque-io/barque/api"
	"path/filepath"
	"strings"
	"testing"
)

func TestArtifactSourceRelativeToJobFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "files", "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "app.txt"), []byte("app"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `job "j" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "cat" }
      artifact { source = "files/app.txt" }
      artifact { source = "file://ARTDIR" }
    }
  }
}`
	file := filepath.Join(dir, "j.nomad.hcl")
	job, err := Parse(file, []byte(strings.ReplaceAll(src, "ARTDIR", dir+"/files/d")), nil)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := job.Objects()
	if err != nil {
		t.Fatal(err)
	}
	cm, ok := objs[0].(*api.ConfigMap)
	if !ok || cm.Name != "j-g-t-artifacts" || string(cm.BinaryData["0-app.txt"]) != "app" {
		t.Fatalf("shipped ConfigMap: %+v", objs[0])
	}
	arts, err := api.DecodeArtifacts(objs[1].(*api.Job).Spec.Template.Annotations)
	if err != nil || arts["t"][0].ConfigMap != cm.Name || arts["t"][0].Key != "0-app.txt" || arts["t"][1].Source != dir+"/files/d" {
		t.Fatalf("annotation %+v %v", arts, err)
	}
	for name, tc := range map[string]struct{ source, want string }{
		"directory": {"files/d", "must be a file"},
		"missing":   {"files/nope.txt", "no such file"},
	} {
		_, err := Parse(file, []byte(strings.Replace(src, "files/app.txt", tc.source, 1)), nil)
		if err == nil || !strings.Contains(err.Error(), "j.nomad.hcl:7:27") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := make([]byte, api.ShippedArtifactMaxBytes+1)
	if err := os.WriteFile(filepath.Join(dir, "files", "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Parse(file, []byte(strings.Replace(src, "files/app.txt", "files/big.bin", 1)), nil)
	if err == nil || !strings.Contains(err.Error(), "256 KiB") {
		t.Errorf("a file over the limit: %v", err)
	}
}

func TestArtifactNetworkSourcesRefused(t *testing.T) {
	for _, s := range []string{"http://x/y", "https://x/y.tgz", "git::https://github.com/a/b", "s3::https://b/k",
		"github.com/hashicorp/nomad", "gcs://b/o", "git@github.com:a/b.git"} {
		_, err := localSource(s, "/jobs")
		if err == nil || !strings.Contains(err.Error(), "no network fetches") || !strings.Contains(err.Error(), s) {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := localSource("/srv/a.tgz", "/jobs"); err != nil {
		t.Error(err)
	}
}

func TestDispatchPayloadNeedsParameterized(t *testing.T) {
	src := `job "j" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "cat" }
      dispatch_payload { file = "in.txt" }
    }
  }
}`
	_, err := Parse("j.nomad.hcl", []byte(src), nil)
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "j.nomad.hcl:7:7") || !strings.Contains(err.Error(), "parameterized") {
		t.Fatalf("error %v", err)
	}
}
