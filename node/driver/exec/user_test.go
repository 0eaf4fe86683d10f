package execdriver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunAsUser: a task with User "65534" (Kubernetes' runAsUser: a bare
// uid) runs as that uid, with its passwd group or an explicit ":gid".
func TestRunAsUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("switching users needs root")
	}
	for _, tc := range []struct{ user, want string }{
		{"65534", "65534 65534\n"},
		{"65534:4321", "65534 4321\n"},
		{"4242", "4242 4242\n"}, // no passwd entry: the gid follows the uid
	} {
		t.Run(tc.user, func(t *testing.T) {
			d := newTestDriver(t, t.TempDir())
			cfg := testTask(t, "sh", "-c", "echo $(id -u) $(id -g)")
			cfg.User = tc.user
			// The task must be able to enter its directory as that user.
			for dir := cfg.TaskDir; dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
				_ = os.Chmod(dir, 0o755)
			}
			h := startTask(t, d, cfg)
			if r := waitExit(t, d, h, 10*time.Second); !r.Successful() {
				t.Fatalf("result %+v; stderr %q", r, readLog(t, cfg, "stderr"))
			}
			if got := readLog(t, cfg, "stdout"); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("id -u, id -g printed %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCredentialParsing(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("credentials other than the caller's need root")
	}
	c, err := credential("nobody")
	if err != nil || c.Uid != 65534 {
		t.Fatalf("nobody: %+v %v", c, err)
	}
	if _, err := credential("no-such-user-barque"); err == nil {
		t.Fatal("an unknown user name was accepted")
	}
	if c, err := credential("0:0"); err != nil || c.Uid != 0 || c.Gid != 0 {
		t.Fatalf("0:0: %+v %v", c, err)
	}
}
