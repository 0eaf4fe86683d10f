// Package arch holds tests of the code's shape: the one-way import rules of
// DESIGN.md, and the FSM's determinism rules that imports alone can't show.
package arch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/barque-io/barque"

// allowed lists, for each package (prefix), the Barque packages it may
// import. Anything not listed here may import freely (cmd, internal, tests).
var allowed = map[string][]string{
	"api":              {},
	"api/client":       {"api"},
	"api/jobspec":      {"api", "api/tmpl"},
	"api/tmpl":         {},
	"api/table":        {"api"},
	"api/server":       {"api", "api/table", "consensus", "fsm", "fsm/state", "gossip", "scheduler", "internal/netutil"},
	"fsm":              {"api", "fsm/state"},
	"fsm/state":        {"api"},
	"gossip":           {},
	"consensus":        {"api", "fsm", "fsm/state", "internal/netutil"},
	"scheduler":        {"api", "fsm/state"},
	"node":             {"api", "api/client", "api/tmpl", "gossip", "internal/netutil"},
	"proxy":            {"api", "api/client", "internal/netutil"},
	"internal/netutil": {},
}

// forbiddenStd are standard packages the FSM must not use: no network, no
// disk, no randomness inside Apply.
var forbiddenStd = map[string][]string{
	"fsm":       {"net", "net/http", "os", "math/rand", "math/rand/v2", "crypto/rand", "github.com/hashicorp/raft"},
	"fsm/state": {"net", "net/http", "os", "math/rand", "math/rand/v2", "crypto/rand", "github.com/hashicorp/raft"},
}

func listImports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	res := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		res[strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")] = f[1:]
	}
	return res
}

func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..")
}

// ruleFor finds the most specific rule for a package.
func ruleFor(pkg string) (string, bool) {
	best := ""
	found := false
	for p := range allowed {
		if (pkg == p || strings.HasPrefix(pkg, p+"/")) && len(p) >= len(best) {
			best, found = p, true
		}
	}
	return best, found
}

func TestImportRules(t *testing.T) {
	for pkg, imports := range listImports(t) {
		rule, ok := ruleFor(pkg)
		if !ok {
			continue
		}
		ok2 := map[string]bool{rule: true}
		for _, a := range allowed[rule] {
			ok2[a] = true
		}
		for _, imp := range imports {
			if strings.HasPrefix(imp, module+"/") {
				dep := strings.TrimPrefix(imp, module+"/")
				if !ok2[dep] && !strings.HasPrefix(dep, rule+"/") {
					t.Errorf("%s imports %s; DESIGN.md allows only %v", pkg, dep, allowed[rule])
				}
			}
			for _, bad := range forbiddenStd[pkg] {
				if imp == bad {
					t.Errorf("%s imports %s: the FSM must stay deterministic", pkg, imp)
				}
			}
		}
	}
}

// TestFSMReadsNoClock: Apply must not read a clock or draw random numbers;
// the leader stamps times into commands. Imports can't show a time.Now call.
func TestFSMReadsNoClock(t *testing.T) {
	for _, dir := range []string{"fsm", "fsm/state"} {
		files, _ := filepath.Glob(filepath.Join(repoRoot(t), dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"time.Now(", "time.Since(", "time.Sleep(", "go func", "uuid."} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s contains %q: not allowed in the FSM", f, bad)
				}
			}
		}
	}
}
