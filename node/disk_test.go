package node

import (
	"testing"

	"github.com/barque-io/barque/api"
	"github.com/hashicorp/go-hclog"
)

// TestFingerprintStorage: the data directory's filesystem is reported as
// ephemeral-storage, its size as capacity and its free space as
// allocatable, which the scheduler's claim storage check reads.
func TestFingerprintStorage(t *testing.T) {
	a := &Agent{logger: hclog.NewNullLogger(), cfg: Config{Name: "n1", DataDir: t.TempDir()}, api: &agentAPI{url: "http://127.0.0.1:1"}}
	st := a.fingerprint(t.Context())
	capacity, err := st.Capacity.Get(api.ResourceEphemeralStorage)
	if err != nil || capacity.Value() <= 0 {
		t.Fatalf("capacity ephemeral-storage %q: %v", st.Capacity[api.ResourceEphemeralStorage], err)
	}
	alloc, err := st.Allocatable.Get(api.ResourceEphemeralStorage)
	if err != nil || alloc.Value() < 0 || alloc.Value() > capacity.Value() {
		t.Fatalf("allocatable ephemeral-storage %q, capacity %q: %v", st.Allocatable[api.ResourceEphemeralStorage],
			st.Capacity[api.ResourceEphemeralStorage], err)
	}
	if st.Capacity["cpu"] == "" || st.Allocatable["cpu"] != st.Capacity["cpu"] {
		t.Errorf("cpu capacity %q allocatable %q", st.Capacity["cpu"], st.Allocatable["cpu"])
	}

	a.cfg.DataDir = t.TempDir() + "/missing"
	if st := a.fingerprint(t.Context()); st.Allocatable[api.ResourceEphemeralStorage] != "" {
		t.Errorf("an unreadable data dir reports %q", st.Allocatable[api.ResourceEphemeralStorage])
	}
}
