package client_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

func chunkCM(name, value string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Data: map[string]string{"v": value}}
}

func names(objs []api.Object) string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetObjectMeta().Name+"="+o.(*api.ConfigMap).Data["v"])
	}
	return strings.Join(out, " ")
}

// onPage lets a test act between the pages of a chunked list: it runs
// before every list request after the first.
type onPage struct {
	lists atomic.Int32
	fn    func()
}

func (p *onPage) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Query().Has("limit") && p.lists.Add(1) > 1 && p.fn != nil {
		p.fn()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestListInChunks: a list read in chunks is the list as it was at its
// first page, even when objects change between pages; when the history no
// longer covers the first page, the client reads the list again whole.
func TestListInChunks(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{HistorySize: 16})
	c.WaitForLeader(10 * time.Second)
	ctx := context.Background()
	hook := &onPage{}
	cl, err := client.New(client.Config{Addresses: []string{c.Members[0].APIURL()}, Transport: hook})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 10 {
		if _, err := cl.Create(ctx, chunkCM(fmt.Sprintf("cm-%02d", i), "old")); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("cm-%02d=old", i))
	}
	changes := 0
	hook.fn = func() {
		changes++
		if _, err := cl.Create(ctx, chunkCM(fmt.Sprintf("cm-%02d-new", changes), "new")); err != nil {
			t.Error(err)
		}
	}
	l, err := cl.List(ctx, "ConfigMap", "default", client.ListOptions{ChunkSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(l.Items); got != strings.Join(want, " ") || changes != 3 {
		t.Fatalf("chunked list with %d creates between pages:\n got %s\nwant %s", changes, got, strings.Join(want, " "))
	}
	hook.fn = nil
	page, err := cl.List(ctx, "ConfigMap", "default", client.ListOptions{Limit: 4})
	if err != nil || len(page.Items) != 4 || page.Continue == "" {
		t.Fatalf("one page: %v, %+v", err, page)
	}

	// Enough changes between two pages to push the first out of the
	// history: the list is read again, whole and current.
	hook.lists.Store(0)
	hook.fn = func() {
		for i := range 20 {
			if _, err := cl.Create(ctx, chunkCM(fmt.Sprintf("late-%02d", i), "new")); err != nil {
				t.Error(err)
			}
		}
		hook.fn = nil
	}
	l, err = cl.List(ctx, "ConfigMap", "default", client.ListOptions{ChunkSize: 5})
	if err != nil {
		t.Fatalf("chunked list past the history: %v", err)
	}
	if len(l.Items) != 10+3+20 {
		t.Fatalf("after falling back to a whole list: %d items, want 33: %s", len(l.Items), names(l.Items))
	}
}
