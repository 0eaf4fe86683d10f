package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestAgentJoinFlag: -join may be repeated and may list several addresses,
// as the server's; the flags' addresses replace the config file's.
func TestAgentJoinFlag(t *testing.T) {
	file := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(file, []byte(`join = ["10.0.0.9"]`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-join", "10.0.0.1", "-join", "10.0.0.2,10.0.0.3"}, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
		{[]string{"-config", file}, []string{"10.0.0.9"}},
		{[]string{"-config", file, "-join", "10.0.0.1"}, []string{"10.0.0.1"}},
	} {
		c, err := parseAgentFlags(append([]string{"-data-dir", t.TempDir()}, tc.args...))
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !slices.Equal(c.Join, tc.want) {
			t.Errorf("%v: join %v, want %v", tc.args, c.Join, tc.want)
		}
	}
}
