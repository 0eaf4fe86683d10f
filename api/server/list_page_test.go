package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// listed is one list answer: names with their data value, the list's
// resourceVersion and continue token.
type listed struct {
	names    []string
	rv, next string
}

func listPage(t *testing.T, base, query string) listed {
	t.Helper()
	code, body := do(t, http.MethodGet, base+"?"+query, "")
	if code != http.StatusOK {
		t.Fatalf("list ?%s: %d %v", query, code, body)
	}
	meta := body["metadata"].(map[string]any)
	var l listed
	l.rv = meta["resourceVersion"].(string)
	if c, ok := meta["continue"].(string); ok {
		l.next = c
	}
	for _, it := range body["items"].([]any) {
		obj := it.(map[string]any)
		name := obj["metadata"].(map[string]any)["name"].(string)
		l.names = append(l.names, name+"="+obj["data"].(map[string]any)["k"].(string))
	}
	return l
}

// TestListPagesAreOneConsistentList: a list read with limit comes in pages
// that together are the list as it was when the first page was read,
// whatever changed in between and whichever replica serves each page, as
// Kubernetes serves chunked lists from etcd.
func TestListPagesAreOneConsistentList(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	base := func(i int) string { return c.Members[i].APIURL() + cmPath }
	for i := range 7 {
		if code, body := do(t, http.MethodPost, base(0), configMap(fmt.Sprintf("cm-%d", i), "old")); code != http.StatusCreated {
			t.Fatalf("create: %d %v", code, body)
		}
	}
	first := listPage(t, base(0), "limit=3")
	if strings.Join(first.names, " ") != "cm-0=old cm-1=old cm-2=old" || first.next == "" {
		t.Fatalf("first page: %+v", first)
	}
	// Changes after the first page: none of them may show in the next ones.
	do(t, http.MethodPatch, base(1)+"/cm-4", `{"data":{"k":"new"}}`)
	do(t, http.MethodDelete, base(2)+"/cm-5", "")
	do(t, http.MethodPost, base(0), configMap("cm-45", "new"))
	do(t, http.MethodPost, base(0), configMap("cm-9", "new"))
	do(t, http.MethodDelete, base(0)+"/cm-1", "")

	second := listPage(t, base(1), "limit=3&continue="+url.QueryEscape(first.next))
	third := listPage(t, base(2), "limit=3&continue="+url.QueryEscape(second.next))
	if got := strings.Join(second.names, " "); got != "cm-3=old cm-4=old cm-5=old" || second.next == "" {
		t.Fatalf("second page: %q %+v", got, second)
	}
	if got := strings.Join(third.names, " "); got != "cm-6=old" || third.next != "" {
		t.Fatalf("third page: %q %+v", got, third)
	}
	if second.rv != first.rv || third.rv != first.rv {
		t.Fatalf("pages read at %s, %s, %s; want all at the first's", first.rv, second.rv, third.rv)
	}
	// A page that ends exactly at the last object has no continue.
	if l := listPage(t, base(0), "limit=7"); len(l.names) != 7 || l.next != "" {
		t.Fatalf("limit equal to the count: %+v", l)
	}
	now := listPage(t, base(0), "")
	if got := strings.Join(now.names, " "); got != "cm-0=old cm-2=old cm-3=old cm-4=new cm-45=new cm-6=old cm-9=new" || now.next != "" {
		t.Fatalf("list without limit: %q", got)
	}
	// With a selector, pages hold only matching objects.
	sel := listPage(t, base(0), "limit=2&fieldSelector=metadata.name%21%3Dcm-0")
	rest := listPage(t, base(1), "limit=10&fieldSelector=metadata.name%21%3Dcm-0&continue="+url.QueryEscape(sel.next))
	if got := strings.Join(append(sel.names, rest.names...), " "); got != "cm-2=old cm-3=old cm-4=new cm-45=new cm-6=old cm-9=new" {
		t.Fatalf("selected pages: %q", got)
	}
}

// TestListPagingErrors: bad paging parameters are 400s naming the
// parameter; a continue token from another namespace's list is refused.
func TestListPagingErrors(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + cmPath
	do(t, http.MethodPost, base, configMap("a", "1"))
	do(t, http.MethodPost, base, configMap("b", "1"))
	page := listPage(t, base, "limit=1")
	other := c.Members[0].APIURL() + "/api/v1/namespaces/kube-public/configmaps"
	for _, tc := range []struct{ url, field string }{
		{base + "?limit=-1", "limit"},
		{base + "?limit=ten", "limit"},
		{base + "?continue=bm90LWpzb24", "continue"},
		{base + "?continue=" + url.QueryEscape(page.next) + "&resourceVersion=" + page.rv, "resourceVersion"},
		{base + "?continue=" + url.QueryEscape(page.next) + "&resourceVersionMatch=NotOlderThan", "resourceVersionMatch"},
		{other + "?continue=" + url.QueryEscape(page.next), "continue"},
	} {
		code, body := do(t, http.MethodGet, tc.url, "")
		msg, _ := body["message"].(string)
		if code != http.StatusBadRequest || !strings.HasPrefix(msg, tc.field+":") {
			t.Errorf("GET %s: %d %v, want 400 naming %s", tc.url, code, body, tc.field)
		}
	}
}

// TestListContinueAfterHistoryIsGone: a continue token older than the
// watch history is 410 Expired, with a token that goes on from the
// current state, as Kubernetes answers after etcd compacted.
func TestListContinueAfterHistoryIsGone(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{HistorySize: 8})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + cmPath
	for i := range 4 {
		do(t, http.MethodPost, base, configMap(fmt.Sprintf("cm-%d", i), "old"))
	}
	first := listPage(t, base, "limit=2")
	for i := range 12 {
		do(t, http.MethodPatch, base+"/cm-3", fmt.Sprintf(`{"data":{"k":"new-%d"}}`, i))
	}
	code, body := do(t, http.MethodGet, base+"?limit=2&continue="+url.QueryEscape(first.next), "")
	meta, _ := body["metadata"].(map[string]any)
	if code != http.StatusGone || body["reason"] != "Expired" || meta["continue"] == nil {
		t.Fatalf("continue past the history: %d %v, want 410 Expired with a continue token", code, body)
	}
	rest := listPage(t, base, "limit=2&continue="+url.QueryEscape(meta["continue"].(string)))
	if got := strings.Join(rest.names, " "); got != "cm-2=old cm-3=new-11" || rest.next != "" {
		t.Fatalf("inconsistent continuation: %q %+v", got, rest)
	}
}
