package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

// TestWriteBatchAdmitsEachItem: every item of POST /v1/batch sent to a
// follower is admitted as its own request would be, fails or succeeds on
// its own with a Status naming the item and the field, and the admitted
// ones are stored; a body that cannot be read fails as a whole.
func TestWriteBatchAdmitsEachItem(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(10 * time.Second)
	follower := c.Follower(leader)
	batchURL := follower.APIURL() + api.PathWriteBatch
	if code, obj := do(t, http.MethodPost, follower.APIURL()+cmPath, configMap("old", "1")); code != http.StatusCreated {
		t.Fatalf("create old: %d %v", code, obj)
	}
	cm := func(name, ns, extra string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"namespace":%q%s},"data":{"k":"v"}}`, name, ns, extra)
	}
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{"hostAliases":[{"ip":"10.0.0.1","hostnames":["db"]}],"containers":[{"name":"c","image":"busybox"}]}}`
	items := []struct {
		item       string
		code       int
		msgPart    string
		hasWarning bool
	}{
		{`{"verb":"create","object":` + cm("a", "default", "") + `}`, 0, "", false},
		{`{"verb":"create","object":` + cm("Bad_Name", "default", "") + `}`, http.StatusUnprocessableEntity, "metadata.name", false},
		{`{"verb":"create","object":` + cm("old", "default", "") + `}`, http.StatusConflict, "already exists", false},
		{`{"verb":"update","object":` + cm("old", "default", `,"resourceVersion":"1"`) + `}`, http.StatusConflict, "", false},
		{`{"verb":"update","object":` + cm("ghost", "default", "") + `}`, http.StatusNotFound, "ghost", false},
		{`{"verb":"delete","apiVersion":"v1","kind":"ConfigMap","namespace":"default","name":"ghost"}`, http.StatusNotFound, "ghost", false},
		{`{"verb":"create","object":` + cm("b", "", "") + `}`, http.StatusBadRequest, "metadata.namespace", false},
		{`{"verb":"create","object":` + strings.Replace(cm("c", "default", ""), `"data"`, `"dta"`, 1) + `}`, http.StatusBadRequest, `"dta"`, false},
		{`{"verb":"upsert","object":` + cm("d", "default", "") + `}`, http.StatusBadRequest, "verb", false},
		{`{"verb":"create","object":` + pod + `}`, 0, "", true},
	}
	var parts []string
	for _, it := range items {
		parts = append(parts, it.item)
	}
	code, body := do(t, http.MethodPost, batchURL, `{"items":[`+strings.Join(parts, ",")+`]}`)
	if code != http.StatusOK {
		t.Fatalf("batch: %d %v", code, body)
	}
	results, _ := body["items"].([]any)
	if len(results) != len(items) {
		t.Fatalf("batch answered %d results for %d items: %v", len(results), len(items), body)
	}
	for i, it := range items {
		res := results[i].(map[string]any)
		st, failed := res["status"].(map[string]any)
		switch {
		case it.code == 0 && failed:
			t.Errorf("item %d: failed: %v", i, st)
		case it.code == 0 && res["object"] == nil:
			t.Errorf("item %d: no object in %v", i, res)
		case it.code != 0 && !failed:
			t.Errorf("item %d: succeeded, want %d %q", i, it.code, it.msgPart)
		case it.code != 0:
			msg, _ := st["message"].(string)
			if int(st["code"].(float64)) != it.code || !strings.HasPrefix(msg, fmt.Sprintf("items[%d]: ", i)) || !strings.Contains(msg, it.msgPart) {
				t.Errorf("item %d: got %v %q, want %d naming the item and %q", i, st["code"], msg, it.code, it.msgPart)
			}
		}
		if _, warned := res["warnings"]; warned != it.hasWarning {
			t.Errorf("item %d: warnings %v, want some: %v", i, res["warnings"], it.hasWarning)
		}
	}
	if obj := results[0].(map[string]any)["object"].(map[string]any); obj["metadata"].(map[string]any)["uid"] == "" {
		t.Errorf("created object has no uid: %v", obj)
	}
	for name, want := range map[string]int{"a": http.StatusOK, "Bad_Name": http.StatusNotFound, "c": http.StatusNotFound, "d": http.StatusNotFound} {
		if code, _ := do(t, http.MethodGet, leader.APIURL()+cmPath+"/"+name, ""); code != want {
			t.Errorf("GET %s after the batch: %d, want %d", name, code, want)
		}
	}

	// A batch may be larger than any single request body (3 MiB), and its
	// items apply in order even when they take several log entries: a new
	// namespace first, then four objects of 900 KB in it, through either
	// kind of server.
	big := strings.Repeat("x", 900_000)
	for _, m := range []*cluster.Member{follower, leader} {
		ns := fmt.Sprintf("ordered-%d", m.Index)
		bigItems := []string{fmt.Sprintf(`{"verb":"create","object":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":%q}}}`, ns)}
		for i := range 4 {
			bigItems = append(bigItems, fmt.Sprintf(`{"verb":"create","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big-%d","namespace":%q},"data":{"k":%q}}}`, i, ns, big))
		}
		code, body = do(t, http.MethodPost, m.APIURL()+api.PathWriteBatch, `{"items":[`+strings.Join(bigItems, ",")+`]}`)
		if code != http.StatusOK {
			t.Fatalf("batch of 3.6 MB: %d %v", code, body["message"])
		}
		for i, res := range body["items"].([]any) {
			if st := res.(map[string]any)["status"]; st != nil {
				t.Errorf("member %d, big item %d: %v", m.Index, i, st)
			}
		}
	}

	// Requests that cannot be read fail whole, with the field named.
	many := strings.Repeat(`{"verb":"delete","apiVersion":"v1","kind":"ConfigMap","namespace":"default","name":"x"},`, api.MaxBatchItems)
	bad := []struct {
		body    string
		code    int
		msgPart string
	}{
		{`{"items":[`, http.StatusBadRequest, "WriteBatch"},
		{`{"items":[` + many + `{"verb":"delete"}]}`, http.StatusRequestEntityTooLarge, "items"},
		{`{"items":[` + strings.Repeat(`{"verb":"create","object":{"k":"`+big+`"}},`, 19) + `{}]}`, http.StatusRequestEntityTooLarge, "bytes"},
	}
	for _, b := range bad {
		code, body := do(t, http.MethodPost, batchURL, b.body)
		if msg, _ := body["message"].(string); code != b.code || !strings.Contains(msg, b.msgPart) {
			t.Errorf("bad batch: %d %q, want %d naming %q", code, msg, b.code, b.msgPart)
		}
	}
}

// countingTransport counts the HTTP requests a client sends.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestCoalescedClientWrites: concurrent Create, Update and Delete calls of
// a client with CoalesceWrites share batch requests, and each call still
// gets its own answer: its object, or its own error.
func TestCoalescedClientWrites(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	tr := &countingTransport{next: http.DefaultTransport}
	cl, err := client.New(client.Config{Addresses: c.Addresses(), Transport: tr, CoalesceWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	newCM := func(name string) *api.ConfigMap {
		return &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string]string{"k": name}}
	}
	const writers = 64
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("cm-%d", i)
			if i == writers-1 {
				name = "cm-0" // a duplicate: exactly one of the two must fail
			}
			obj, err := cl.Create(ctx, newCM(name))
			if err == nil && obj.GetObjectMeta().Name != name {
				err = fmt.Errorf("answer is for %q", obj.GetObjectMeta().Name)
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	dups := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, api.ErrAlreadyExists) && (i == 0 || i == writers-1):
			dups++
		case err != nil:
			t.Errorf("create %d: %v", i, err)
		}
	}
	if dups != 1 {
		t.Errorf("%d of the two creates of cm-0 failed with AlreadyExists, want 1", dups)
	}
	t.Logf("%d concurrent creates took %d requests", writers, tr.n.Load())
	if n := tr.n.Load(); n >= writers/2 {
		t.Errorf("%d concurrent creates took %d requests; coalescing should need far fewer", writers, n)
	}

	got, err := cl.Get(ctx, "ConfigMap", "default", "cm-1", client.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stale := got.(*api.ConfigMap)
	fresh := api.Clone(stale)
	fresh.Data["k"] = "new"
	if _, err := cl.Update(ctx, fresh); err != nil {
		t.Fatalf("update: %v", err)
	}
	stale.Data["k"] = "lost"
	if _, err := cl.Update(ctx, stale); !errors.Is(err, api.ErrConflict) {
		t.Errorf("update from a stale version: %v, want a conflict", err)
	}
	if err := cl.Delete(ctx, "ConfigMap", "default", "cm-2", client.DeleteOptions{}); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := cl.Delete(ctx, "ConfigMap", "default", "cm-2", client.DeleteOptions{}); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("second delete: %v, want not found", err)
	}
	if _, err := cl.Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team-a"}}); err != nil {
		t.Errorf("create a cluster-scoped object: %v", err)
	}
}

// TestConcurrentBatchesKeepTheirOrder: a follower forwards concurrent write
// batches together with each other's writes, yet every batch's items still
// apply in the batch's order: create, delete and create again of one
// object, sixteen batches at once, all succeed, and each object ends with
// the data of its batch's last item. (An update is admitted against the
// stored version, before any item of its batch is committed, so it cannot
// follow a create of the same batch.)
func TestConcurrentBatchesKeepTheirOrder(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(10 * time.Second)
	follower := c.Follower(leader)
	cm := func(name, data string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"namespace":"default"},"data":{"k":%q}}`, name, data)
	}
	const batches = 16
	var wg sync.WaitGroup
	for g := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("ordered-%d", g)
			items := []string{
				`{"verb":"create","object":` + cm(name, "first") + `}`,
				fmt.Sprintf(`{"verb":"delete","apiVersion":"v1","kind":"ConfigMap","namespace":"default","name":%q}`, name),
				`{"verb":"create","object":` + cm(name, "last") + `}`,
			}
			code, body := do(t, http.MethodPost, follower.APIURL()+api.PathWriteBatch, `{"items":[`+strings.Join(items, ",")+`]}`)
			if code != http.StatusOK {
				t.Errorf("batch %d: %d %v", g, code, body["message"])
				return
			}
			for i, res := range body["items"].([]any) {
				if st := res.(map[string]any)["status"]; st != nil {
					t.Errorf("batch %d, item %d: %v", g, i, st)
				}
			}
		}()
	}
	wg.Wait()
	for g := range batches {
		code, obj := do(t, http.MethodGet, leader.APIURL()+cmPath+fmt.Sprintf("/ordered-%d", g), "")
		data, _ := obj["data"].(map[string]any)
		if code != http.StatusOK || data["k"] != "last" {
			t.Errorf("ordered-%d: %d %v, want the last item's data", g, code, data)
		}
	}
}

// gatedTransport holds every batch request until release is closed, and
// reports each one's arrival.
type gatedTransport struct {
	arrived chan struct{}
	release chan struct{}
	next    http.RoundTripper
}

func (g *gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == api.PathWriteBatch {
		g.arrived <- struct{}{}
		<-g.release
	}
	return g.next.RoundTrip(r)
}

// TestCoalescedClientSendsAtOnceWhenFewWrite: while few writes are
// outstanding (up to 8), each goes out at once in a request of its own,
// instead of queueing behind two busy batch senders; past 8, writes wait
// for a sender and share its request. Before, the third of three writers
// waited for one of the first two answers.
func TestCoalescedClientSendsAtOnceWhenFewWrite(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	gate := &gatedTransport{arrived: make(chan struct{}, 64), release: make(chan struct{}), next: http.DefaultTransport}
	cl, err := client.New(client.Config{Addresses: c.Addresses(), Transport: gate, CoalesceWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const eager, writers = 8, 12
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			_, err := cl.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("few-%d", i), Namespace: "default"}})
			errs <- err
		}()
		if i >= eager {
			continue // queued: no request of its own
		}
		select {
		case <-gate.arrived:
		case <-time.After(5 * time.Second):
			t.Fatalf("write %d of %d outstanding was not sent at once", i+1, i+1)
		}
	}
	select {
	case <-gate.arrived:
		t.Fatalf("a write past %d outstanding got a request of its own", eager)
	case <-time.After(200 * time.Millisecond):
	}
	close(gate.release)
	for range writers {
		if err := <-errs; err != nil {
			t.Errorf("create: %v", err)
		}
	}
}
