package jobspec

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// overrides are the -var values a test file is parsed with.
var overrides = map[string]map[string]string{
	"vars": {"replicas": "2", "image": "nginx:1.27"},
}

// TestGolden parses each testdata/*.nomad.hcl and compares its objects (as
// YAML, with the warnings as comments) or its error with NAME.golden.
func TestGolden(t *testing.T) {
	goldenDir(t, "testdata/*.nomad.hcl", "testdata")
}

// TestGoldenExamples holds the mapping of every job file in examples/ (with
// its default variables) in testdata/examples/NAME.golden.
func TestGoldenExamples(t *testing.T) {
	goldenDir(t, "../../examples/*.hcl", "testdata/examples")
}

func goldenDir(t *testing.T, pattern, dir string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), ".hcl"), ".nomad")
		t.Run(name, func(t *testing.T) {
			got := render(t, file, overrides[name])
			golden := filepath.Join(dir, name+".golden")
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", file, golden, got)
			}
		})
	}
}

func render(t *testing.T, file string, vars map[string]string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	job, err := Parse(file, src, vars)
	if err == nil {
		objs, oerr := job.Objects()
		if oerr == nil {
			var b strings.Builder
			for _, w := range job.Warnings {
				b.WriteString("# warning: " + w + "\n")
			}
			for _, o := range objs {
				y, err := objectYAML(o)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("---\n" + string(y))
			}
			return b.String()
		}
		err = oerr
	}
	if !strings.HasPrefix(filepath.Base(file), "err_") {
		t.Errorf("unexpected error: %v", err)
	}
	return "error: " + err.Error() + "\nunsupported: " + boolString(errors.Is(err, ErrUnsupported)) + "\n"
}

// objectYAML renders an object without its (empty) status.
func objectYAML(o api.Object) ([]byte, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	return yaml.Marshal(m)
}

func boolString(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
