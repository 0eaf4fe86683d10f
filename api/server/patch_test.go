package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// TestPatchUIDPrecondition: a merge patch that names metadata.uid applies
// only to the object with that uid. A node agent's late status report of a
// deleted pod must fail, not land on a new pod of the same name.
func TestPatchUIDPrecondition(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	pod := c.Members[0].APIURL() + "/api/v1/namespaces/default/pods/p"
	create := func() string {
		code, body := do(t, http.MethodPost, c.Members[0].APIURL()+"/api/v1/namespaces/default/pods",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`)
		if code != http.StatusCreated {
			t.Fatalf("create: %d %v", code, body)
		}
		return body["metadata"].(map[string]any)["uid"].(string)
	}
	old := create()
	status := func(uid, phase string) (int, map[string]any) {
		return do(t, http.MethodPatch, pod+"/status", fmt.Sprintf(`{"metadata":{"uid":%q},"status":{"phase":%q}}`, uid, phase))
	}
	if code, body := status(old, "Running"); code != http.StatusOK {
		t.Fatalf("status patch with the pod's uid: %d %v", code, body)
	}
	if code, body := do(t, http.MethodDelete, pod+"?gracePeriodSeconds=0", ""); code != http.StatusOK {
		t.Fatalf("delete: %d %v", code, body)
	}
	create()
	if code, body := status(old, "Failed"); code != http.StatusConflict || body["reason"] != "Conflict" {
		t.Fatalf("status patch with the deleted pod's uid: %d %v, want 409 Conflict", code, body)
	}
	if code, body := do(t, http.MethodPatch, pod, fmt.Sprintf(`{"metadata":{"uid":%q,"labels":{"a":"b"}}}`, old)); code != http.StatusConflict {
		t.Fatalf("patch with the deleted pod's uid: %d %v, want 409", code, body)
	}
	if _, body := do(t, http.MethodGet, pod, ""); body["status"].(map[string]any)["phase"] == "Failed" {
		t.Fatalf("the new pod took the old pod's status: %v", body["status"])
	}
}
