package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestCompletionScripts: cobra's completion command stays enabled.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil {
			t.Fatalf("completion %s: %v", shell, err)
		}
		if !strings.Contains(out.String(), "barque") || out.Len() < 1000 {
			t.Fatalf("completion %s printed no script:\n%s", shell, out.String())
		}
	}
}
