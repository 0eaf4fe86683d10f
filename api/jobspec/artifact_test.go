package jobspec

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestArtifactSourceRelativeToJobFile(t *testing.T) {
	dir := t.TempDir()
	src := `job "j" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "cat" }
      artifact { source = "files/app.txt" }
      artifact { source = "file://rel/dir" }
    }
  }
}`
	job, err := Parse(filepath.Join(dir, "j.nomad.hcl"), []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	arts := job.Groups[0].Tasks[0].Artifacts
	if want := filepath.Join(dir, "files", "app.txt"); arts[0].Source != want {
		t.Errorf("source %q, want %q", arts[0].Source, want)
	}
	if want := filepath.Join(dir, "rel", "dir"); arts[1].Source != want {
		t.Errorf("source %q, want %q", arts[1].Source, want)
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
