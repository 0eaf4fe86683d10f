package e2e

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/barque-io/barque/api/client"
)

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func itoa(n int) string { return strconv.Itoa(n) }

func deleteOpts() client.DeleteOptions { return client.DeleteOptions{} }

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

// testImages builds the docker test images once per test binary: several
// tests need them, and each build costs seconds.
var testImages struct {
	once sync.Once
	out  []byte
	err  error
}

// requireDockerImages skips the test when no Docker engine answers, and
// builds the test images (once) when one does.
func requireDockerImages(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine answers: %v: %s", err, tail(string(out), 200))
	}
	testImages.once.Do(func() {
		testImages.out, testImages.err = exec.Command("sh", "../../scripts/build-test-images.sh").CombinedOutput()
	})
	if testImages.err != nil {
		t.Fatalf("building the test image: %v\n%s", testImages.err, testImages.out)
	}
}
