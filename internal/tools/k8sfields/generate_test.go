package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFileIsFresh fails when api/k8sfields_gen.go is not what the
// generator writes from the k8s.io/api in go.mod: after a bump of that
// module, or a hand edit. Regenerate with the command in the file header.
func TestGeneratedFileIsFresh(t *testing.T) {
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "..", "api", "k8sfields_gen.go")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go run ./internal/tools/k8sfields -o api/k8sfields_gen.go", path)
	}
}

// TestGenerateIsReproducible: map order must not leak into the output.
func TestGenerateIsReproducible(t *testing.T) {
	a, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two runs of the generator differ")
	}
}
