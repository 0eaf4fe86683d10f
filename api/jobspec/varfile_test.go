package jobspec

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
)

// TestParseVarFile: a variable file's values reach Parse as -var values
// would, typed by the variable blocks they fill.
func TestParseVarFile(t *testing.T) {
	vars, err := ParseVarFile("prod.hcl", []byte(`
image    = "nginx:1.27"
replicas = 3
ports    = [9090, 9091]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"image": "nginx:1.27", "replicas": "3", "ports": "[9090, 9091]"}
	if !reflect.DeepEqual(vars, want) {
		t.Fatalf("vars = %q, want %q", vars, want)
	}
	src, err := os.ReadFile("testdata/vars.nomad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	job, err := Parse("testdata/vars.nomad.hcl", src, vars)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := job.Objects()
	if err != nil {
		t.Fatal(err)
	}
	d := objs[0].(*api.Deployment)
	if *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" {
		t.Errorf("replicas %d, image %s", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
	}
	if p := d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort; p != 9090 {
		t.Errorf("port %d, want 9090", p)
	}

	for _, bad := range []string{`replicas = var.x`, `replicas = upper("a")`, `job "x" {}`, `replicas = `} {
		if _, err := ParseVarFile("bad.hcl", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.hcl") {
			t.Errorf("ParseVarFile(%q) = %v, want an error naming the file", bad, err)
		}
	}
}
