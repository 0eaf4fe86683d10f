package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

// TestCoalescedStatusPatches: concurrent PatchStatus calls of a coalescing
// client share batch requests (verb patchStatus) and keep PATCH's
// semantics: a merge onto the stored status, the uid as a precondition.
func TestCoalescedStatusPatches(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	tr := &countingTransport{next: http.DefaultTransport}
	cl, err := client.New(client.Config{Addresses: c.Addresses(), Transport: tr, CoalesceWrites: true, CoalesceWindow: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const pods = 40
	uids := make([]string, pods)
	for i := range pods {
		obj, err := cl.Create(ctx, &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: "default"},
			Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox"}}}})
		if err != nil {
			t.Fatal(err)
		}
		uids[i] = obj.GetObjectMeta().UID
		// A server-side field the patches below do not name: kept.
		if _, err := cl.PatchStatus(ctx, "Pod", "default", fmt.Sprintf("p%d", i), []byte(`{"status":{"message":"keep me"}}`)); err != nil {
			t.Fatal(err)
		}
	}
	start := tr.n.Load()
	var wg sync.WaitGroup
	errs := make([]error, pods)
	for i := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			patch := fmt.Sprintf(`{"metadata":{"uid":%q},"status":{"phase":"Running","hostIP":"10.0.0.%d"}}`, uids[i], i)
			_, errs[i] = cl.PatchStatus(ctx, "Pod", "default", fmt.Sprintf("p%d", i), []byte(patch))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("patch p%d: %v", i, err)
		}
	}
	requests := tr.n.Load() - start
	t.Logf("%d concurrent status patches took %d requests", pods, requests)
	if requests > pods/4 {
		t.Errorf("%d concurrent status patches took %d requests; want batches", pods, requests)
	}
	for i := range pods {
		obj, err := cl.Get(ctx, "Pod", "default", fmt.Sprintf("p%d", i), client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st := obj.(*api.Pod).Status
		if st.Phase != api.PodRunning || st.HostIP != fmt.Sprintf("10.0.0.%d", i) || st.Message != "keep me" {
			t.Fatalf("p%d status after the patch: %+v", i, st)
		}
	}
	_, err = cl.PatchStatus(ctx, "Pod", "default", "p0", []byte(`{"metadata":{"uid":"not-it"},"status":{"phase":"Failed"}}`))
	if !errors.Is(err, api.ErrConflict) {
		t.Errorf("a status patch for another uid: %v, want a conflict", err)
	}
	if _, err := cl.PatchStatus(ctx, "Pod", "default", "ghost", []byte(`{"status":{"phase":"Running"}}`)); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("a status patch of a missing pod: %v, want not found", err)
	}
}
