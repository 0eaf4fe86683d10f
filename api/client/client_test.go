package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

func TestPaths(t *testing.T) {
	cm, _ := api.LookupKind("ConfigMap")
	ns, _ := api.LookupKind("Namespace")
	tests := []struct {
		name, got, want string
	}{
		{"namespaced collection", collectionPath(cm, "web"), "/api/v1/namespaces/web/configmaps"},
		{"all namespaces", collectionPath(cm, ""), "/api/v1/configmaps"},
		{"cluster-scoped ignores ns", collectionPath(ns, "web"), "/api/v1/namespaces"},
		{"namespaced object", must(objectPath(cm, "web", "cfg")), "/api/v1/namespaces/web/configmaps/cfg"},
		{"cluster object", must(objectPath(ns, "", "web")), "/api/v1/namespaces/web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if _, err := objectPath(cm, "", "cfg"); err == nil {
		t.Error("namespaced object without namespace: want error")
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestVerbsBuildRequests(t *testing.T) {
	var contentTypes []string
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		contentTypes = append(contentTypes, r.Header.Get("Content-Type"))
		if r.Method == http.MethodDelete {
			writeJSON(w, 200, map[string]any{"kind": "Status", "status": "Success"})
			return
		}
		if strings.HasSuffix(r.URL.Path, "/configmaps") && r.Method == http.MethodGet {
			writeJSON(w, 200, map[string]any{"kind": "ConfigMapList", "metadata": map[string]any{"resourceVersion": "42"},
				"items": []any{map[string]any{"metadata": map[string]any{"name": "a", "namespace": "web"}}}})
			return
		}
		writeJSON(w, 200, configMap("web", "cfg", 7))
	})
	c := testClient(t, f.URL)
	ctx := context.Background()
	obj := configMap("web", "cfg", 0)
	obj.TypeMeta = api.TypeMeta{} // the client fills it from the Go type
	got, err := c.Create(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetObjectMeta().ResourceVersion != 7 || got.GetTypeMeta().Kind != "ConfigMap" {
		t.Fatalf("create answer = %+v", got)
	}
	check(t)(c.Update(ctx, configMap("web", "cfg", 7)))
	check(t)(c.UpdateStatus(ctx, configMap("web", "cfg", 7)))
	check(t)(c.Get(ctx, "ConfigMap", "web", "cfg", GetOptions{Stale: true}))
	check(t)(c.Patch(ctx, "ConfigMap", "web", "cfg", []byte(`{"data":{"k":"w"}}`)))
	if err := c.Delete(ctx, "ConfigMap", "web", "cfg", DeleteOptions{ResourceVersion: 7}); err != nil {
		t.Fatal(err)
	}
	l, err := c.List(ctx, "ConfigMap", "", ListOptions{LabelSelector: "app=web", FieldSelector: "metadata.name=a"})
	if err != nil {
		t.Fatal(err)
	}
	if l.ResourceVersion != 42 || len(l.Items) != 1 || l.Items[0].GetObjectMeta().Name != "a" || l.Kind != "ConfigMap" {
		t.Fatalf("list = %+v", l)
	}
	want := []string{
		"POST /api/v1/namespaces/web/configmaps",
		"PUT /api/v1/namespaces/web/configmaps/cfg",
		"PUT /api/v1/namespaces/web/configmaps/cfg/status",
		"GET /api/v1/namespaces/web/configmaps/cfg?stale=true",
		"PATCH /api/v1/namespaces/web/configmaps/cfg",
		"DELETE /api/v1/namespaces/web/configmaps/cfg?resourceVersion=7",
		"GET /api/v1/configmaps?fieldSelector=metadata.name%3Da&labelSelector=app%3Dweb",
	}
	if got := f.requests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if contentTypes[4] != "application/merge-patch+json" {
		t.Errorf("patch content type = %q", contentTypes[4])
	}
}

// check(t)(c.Get(...)) fails the test on an error.
func check(t *testing.T) func(api.Object, error) {
	return func(_ api.Object, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestStatusErrorsDecode(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/api/v1/namespaces/web/configmaps/missing":
			writeStatus(w, api.NotFound("configmaps", "missing"))
		case "/api/v1/namespaces/web/configmaps/cfg":
			writeStatus(w, api.Conflict("configmaps", "cfg", "the object has been modified"))
		default:
			http.Error(w, "<html>proxy says no</html>", http.StatusBadGateway)
		}
	})
	c := testClient(t, f.URL)
	_, err := c.Get(context.Background(), "ConfigMap", "web", "missing", GetOptions{})
	var se *api.StatusError
	if !errors.Is(err, api.ErrNotFound) || !errors.As(err, &se) || se.Status.Details.Name != "missing" {
		t.Fatalf("err = %v, want NotFound with details", err)
	}
	if _, err := c.Update(context.Background(), configMap("web", "cfg", 3)); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("err = %v, want Conflict", err)
	}
	_, err = c.Get(context.Background(), "ConfigMap", "web", "other", GetOptions{})
	if !errors.As(err, &se) || se.Code() != http.StatusBadGateway || !strings.Contains(err.Error(), "proxy says no") {
		t.Fatalf("err = %v, want a 502 StatusError carrying the body", err)
	}
}

func TestUnavailableIsRetriedForEveryVerb(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 2 {
			writeStatus(w, api.Unavailable("no leader"))
			return
		}
		writeJSON(w, 201, configMap("web", "cfg", 5))
	})
	c := testClient(t, f.URL)
	if _, err := c.Create(context.Background(), configMap("web", "cfg", 0)); err != nil {
		t.Fatalf("create after two 503s: %v", err)
	}
	if n := len(f.requests()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestUnavailableStopsAtRetryBudget(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeStatus(w, api.Unavailable("no leader"))
	})
	c, _ := New(Config{Addresses: []string{f.URL}, RetryFor: 300 * time.Millisecond})
	start := time.Now()
	_, err := c.Get(context.Background(), "ConfigMap", "web", "cfg", GetOptions{})
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code() != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want the last 503", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("gave up after %v, want about the 300ms budget", d)
	}
}

func TestTimeoutRetriedOnlyWhenIdempotent(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.ReadAll(r.Body)
		if n <= 1 { // the POST, then the first PUT
			writeStatus(w, api.Timeout("leadership lost"))
			return
		}
		writeJSON(w, 200, configMap("web", "cfg", 5))
	})
	c := testClient(t, f.URL)
	_, err := c.Create(context.Background(), configMap("web", "cfg", 0))
	if !IsUnknownOutcome(err) || !isStatusTimeout(err) {
		t.Fatalf("create after 504: err = %v, want the Timeout status", err)
	}
	if _, err := c.Update(context.Background(), configMap("web", "cfg", 4)); err != nil {
		t.Fatalf("update after 504: %v", err)
	}
	want := []string{"POST /api/v1/namespaces/web/configmaps", "PUT /api/v1/namespaces/web/configmaps/cfg", "PUT /api/v1/namespaces/web/configmaps/cfg"}
	if got := f.requests(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("requests = %v, want %v", got, want)
	}
}

func TestConnectionResetRetriedOnlyWhenIdempotent(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.ReadAll(r.Body)
		if n%2 == 0 {
			resetConn(w)
			return
		}
		writeJSON(w, 200, configMap("web", "cfg", 5))
	})
	// Without keep-alive the transport's own retry of reused connections
	// cannot hide ours.
	tr := newTransport()
	tr.DisableKeepAlives = true
	c, _ := New(Config{Addresses: []string{f.URL}, Transport: tr})
	if _, err := c.Get(context.Background(), "ConfigMap", "web", "cfg", GetOptions{}); err != nil {
		t.Fatalf("get after reset: %v", err)
	}
	_, err := c.Create(context.Background(), configMap("web", "cfg", 0))
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("create after reset: err = %v, want ErrUnknownOutcome", err)
	}
	if n := len(f.requests()); n != 3 {
		t.Fatalf("%d requests, want 3 (GET twice, POST once)", n)
	}
}

func TestRotatesPastRefusedAddressAndRemembers(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.ReadAll(r.Body)
		writeJSON(w, 201, configMap("web", "cfg", 5))
	})
	c := testClient(t, refusedAddress(t), f.URL)
	// A create is retried too: a refused connection applied nothing.
	if _, err := c.Create(context.Background(), configMap("web", "cfg", 0)); err != nil {
		t.Fatal(err)
	}
	if p := c.preferred.Load(); p != 1 {
		t.Fatalf("preferred address = %d, want 1", p)
	}
}

func TestRememberFollowsLeaderHeader(t *testing.T) {
	var leader *fakeServer
	leader = newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, configMap("web", "cfg", 5))
	})
	follower := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("X-Barque-Leader", leader.URL)
		writeJSON(w, 200, configMap("web", "cfg", 5))
	})
	c := testClient(t, follower.URL, leader.URL)
	check(t)(c.Get(context.Background(), "ConfigMap", "web", "cfg", GetOptions{}))
	check(t)(c.Get(context.Background(), "ConfigMap", "web", "cfg", GetOptions{}))
	if len(follower.requests()) != 1 || len(leader.requests()) != 1 {
		t.Fatalf("follower %d, leader %d requests; want 1 each", len(follower.requests()), len(leader.requests()))
	}
}

// After a lost answer only a conditional write is sent again: a delete
// with a resourceVersion is repeated, and finding the object gone then is
// the success it was; a delete by name alone is not repeated (it could
// remove an object created again meanwhile) and ends ErrUnknownOutcome. A
// delete that never had a lost attempt still reports 404.
func TestDeleteAfterLostAnswer(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.ReadAll(r.Body)
		if n == 0 || n == 2 { // applied, then the answer is lost
			resetConn(w)
			return
		}
		writeStatus(w, api.NotFound("configmaps", "cfg"))
	})
	tr := newTransport()
	tr.DisableKeepAlives = true
	c, _ := New(Config{Addresses: []string{f.URL}, Transport: tr, RetryFor: 2 * time.Second})
	if err := c.Delete(context.Background(), "ConfigMap", "web", "cfg", DeleteOptions{ResourceVersion: 5}); err != nil {
		t.Fatalf("conditional delete after a lost answer: %v, want success", err)
	}
	if n := len(f.requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
	if err := c.Delete(context.Background(), "ConfigMap", "web", "cfg", DeleteOptions{}); !IsUnknownOutcome(err) {
		t.Fatalf("delete by name after a lost answer: %v, want ErrUnknownOutcome", err)
	}
	if n := len(f.requests()); n != 3 {
		t.Fatalf("%d requests, want 3 (the delete by name sent once)", n)
	}
	err := c.Delete(context.Background(), "ConfigMap", "web", "cfg", DeleteOptions{})
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code() != http.StatusNotFound {
		t.Fatalf("delete of a missing object: %v, want NotFound", err)
	}
}

// batchItemAnswer answers a one-item batch with st.
func batchItemAnswer(w http.ResponseWriter, st *api.StatusError) {
	writeJSON(w, 200, api.WriteBatchResult{TypeMeta: api.TypeMeta{APIVersion: "barque.io/v1", Kind: "WriteBatchResult"},
		Items: []api.WriteBatchItemResult{{Status: &st.Status}}})
}

// Coalesced writes follow the same rules when an item gets a 504: only a
// conditional one is sent again; a conflict then may be the first
// attempt's doing (ErrUnknownOutcome), a delete finding the object gone
// succeeded; an unconditional update is not sent again.
func TestCoalescedWritesAfterTimeout(t *testing.T) {
	timeout := api.Timeout("leadership lost while the write was in flight; it may or may not have been applied")
	for _, c := range []struct {
		name   string
		second *api.StatusError
		write  func(*Client) error
		sent   int
		check  func(error) bool
	}{
		{"conditional delete, then gone", api.NotFound("configmaps", "cfg"),
			func(c *Client) error {
				return c.Delete(context.Background(), "ConfigMap", "web", "cfg", DeleteOptions{ResourceVersion: 4})
			}, 2, func(err error) bool { return err == nil }},
		{"conditional update, then conflict", api.Conflict("configmaps", "cfg", "the object has been modified"),
			func(c *Client) error {
				_, err := c.Update(context.Background(), configMap("web", "cfg", 4))
				return err
			},
			2, IsUnknownOutcome},
		{"unconditional update", nil,
			func(c *Client) error {
				_, err := c.Update(context.Background(), configMap("web", "cfg", 0))
				return err
			},
			1, IsUnknownOutcome},
	} {
		f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			_, _ = io.ReadAll(r.Body)
			if n == 0 {
				batchItemAnswer(w, timeout)
				return
			}
			batchItemAnswer(w, c.second)
		})
		cl, _ := New(Config{Addresses: []string{f.URL}, RetryFor: 2 * time.Second, CoalesceWrites: true})
		err := c.write(cl)
		if !c.check(err) || len(f.requests()) != c.sent {
			t.Errorf("%s: %v after %d requests", c.name, err, len(f.requests()))
		}
	}
}

// A coalesced write whose caller gives up while it is still queued is
// withdrawn, never sent; one already sent ends ErrUnknownOutcome.
func TestAbandonedCoalescedWriteIsWithdrawn(t *testing.T) {
	release := make(chan struct{})
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.ReadAll(r.Body)
		if n == 0 {
			<-release
		}
		batchItemAnswer(w, api.NotFound("configmaps", "x"))
	})
	c, _ := New(Config{Addresses: []string{f.URL}, RetryFor: 2 * time.Second, CoalesceWrites: true, CoalesceWindow: time.Second})
	firstDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		firstDone <- c.Delete(ctx, "ConfigMap", "web", "first", DeleteOptions{})
	}()
	time.Sleep(100 * time.Millisecond) // the first is sent; the window holds the next batch
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Delete(ctx, "ConfigMap", "web", "second", DeleteOptions{}); err == nil || IsUnknownOutcome(err) {
		t.Fatalf("a queued write given up: %v, want the context's error alone (never sent)", err)
	}
	if err := <-firstDone; !IsUnknownOutcome(err) {
		t.Fatalf("a sent write given up: %v, want ErrUnknownOutcome", err)
	}
	close(release)
	time.Sleep(1500 * time.Millisecond)
	if n := len(f.requests()); n != 1 {
		t.Fatalf("%d batch requests, want 1: the withdrawn write was sent", n)
	}
}
