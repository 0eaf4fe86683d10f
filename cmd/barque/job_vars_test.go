package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestJobFileVariables: variable files merge in order, then -var wins.
func TestJobFileVariables(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.hcl"), filepath.Join(dir, "b.hcl")
	if err := os.WriteFile(a, []byte("image = \"a\"\nreplicas = 2\nregion = \"eu\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("image = \"b\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := jobFileOpts{varFiles: []string{a, b}, vars: []string{"region=us"}}
	got, err := o.variables()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"image": "b", "replicas": "2", "region": "us"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("variables = %v, want %v", got, want)
	}
	if _, err := (jobFileOpts{varFiles: []string{filepath.Join(dir, "missing.hcl")}}).variables(); err == nil {
		t.Error("a missing variable file is not an error")
	}
}
