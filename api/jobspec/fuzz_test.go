package jobspec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse or Objects panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.nomad.hcl")
	examples, _ := filepath.Glob("../../examples/*.hcl")
	for _, file := range append(files, examples...) {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte(`job "x" { group "g" { task "t" { driver = "exec" config { command = "${attr.x}" } } } }`))
	f.Add([]byte(`locals { a = local.b, b = local.a } job "x" {}`))
	f.Add([]byte(`variable "v" { type = list(string) } job "j" { type = var.v }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		job, err := Parse("testdata/fuzz.nomad.hcl", src, map[string]string{"v": "[1]"})
		if err == nil {
			_, _ = job.Objects()
		}
	})
}
