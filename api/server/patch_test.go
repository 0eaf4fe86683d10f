package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// TestPatchUIDPrecondition: a merge patch naming metadata.uid applies only
// to the object with that uid (an agent's late status report of a pod must
// not land on a new pod of the same name).
func TestPatchUIDPrecondition(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	cms := c.Members[0].APIURL() + cmPath
	code, body := do(t, http.MethodPost, cms, configMap("pre", "1"))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	uid := body["metadata"].(map[string]any)["uid"].(string)
	if code, body := do(t, http.MethodPatch, cms+"/pre", `{"metadata":{"uid":"someone-else"},"data":{"k":"2"}}`); code != http.StatusConflict {
		t.Fatalf("patch with another uid: %d %v, want 409", code, body)
	}
	if code, body := do(t, http.MethodPatch, cms+"/pre", `{"metadata":{"uid":"`+uid+`"},"data":{"k":"3"}}`); code != http.StatusOK ||
		body["data"].(map[string]any)["k"] != "3" {
		t.Fatalf("patch with the uid: %d %v", code, body)
	}
}
