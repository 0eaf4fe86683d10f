// Command k8sfields writes api/k8sfields_gen.go: the field names of the
// Kubernetes API types behind each kind Barque serves, as a type graph
// read from k8s.io/api by reflection. Barque's strict decoder looks a
// field its own types lack up in that graph, to tell a valid Kubernetes
// field it does not implement (accepted with a warning) from a typo
// (refused). Only this program imports k8s.io: package api stays free of it.
//
//	go run ./internal/tools/k8sfields -o api/k8sfields_gen.go
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "api/k8sfields_gen.go", "file to write")
	flag.Parse()
	src, err := generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8sfields:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "k8sfields:", err)
		os.Exit(1)
	}
}
