package robustness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

const cmPath = "/api/v1/namespaces/default/configmaps"

// onEachLogStore runs a failure test once per Raft log store, each on its
// own cluster: the WAL must lose nothing the default store keeps.
func onEachLogStore(t *testing.T, test func(t *testing.T, opts cluster.Options)) {
	for _, store := range []string{"boltdb", "wal"} {
		t.Run(store, func(t *testing.T) { test(t, cluster.Options{RaftLogStore: store}) })
	}
}

// client is an HTTP client with its own connection pool, closed at the end
// of the test.
type client struct {
	hc *http.Client
}

func newClient(t *testing.T) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{hc: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
}

// result is the outcome of one request.
type result struct {
	code    int
	body    []byte
	err     error // transport error
	notSent bool  // the connection could not be made: the server never saw it
}

// retry: nothing was applied (503, or the request never reached a server).
func (r result) retry() bool { return r.notSent || r.code == http.StatusServiceUnavailable }

// unknown: a write may or may not have been applied.
func (r result) unknown() bool {
	return (r.err != nil && !r.notSent) || r.code == http.StatusGatewayTimeout
}

func (r result) String() string {
	if r.err != nil {
		return fmt.Sprintf("error (notSent=%v): %v", r.notSent, r.err)
	}
	b := r.body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Sprintf("HTTP %d %s", r.code, bytes.TrimSpace(b))
}

func (c *client) do(method, url string, body []byte) result {
	return c.doCtx(context.Background(), method, url, body, "")
}

func (c *client) doCtx(ctx context.Context, method, url string, body []byte, contentType string) result {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return result{err: err, notSent: true}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{err: err, notSent: isDialError(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status line arrived, but not the whole body: for a write the
		// status tells the outcome; keep it, and note the error.
		return result{code: resp.StatusCode, body: b, err: err}
	}
	return result{code: resp.StatusCode, body: b}
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// meta is the part of an object the tests look at.
type meta struct {
	Name            string `json:"name"`
	Namespace       string `json:"namespace"`
	UID             string `json:"uid"`
	ResourceVersion string `json:"resourceVersion"`
}

type object struct {
	Kind     string            `json:"kind"`
	Metadata meta              `json:"metadata"`
	Data     map[string]string `json:"data"`
}

func (o object) rv(t testing.TB) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(o.Metadata.ResourceVersion, 10, 64)
	if err != nil || n == 0 {
		t.Errorf("object %s has resourceVersion %q", o.Metadata.Name, o.Metadata.ResourceVersion)
	}
	return n
}

func decodeObject(t testing.TB, b []byte) object {
	t.Helper()
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		t.Errorf("decode object %q: %v", b, err)
	}
	return o
}

type objectList struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

func configMapJSON(name, value string) []byte {
	return []byte(fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q},"data":{"v":%q}}`, name, value))
}

// leaderIndex is the store index of the current leader (after WaitForLeader).
func leaderIndex(t *testing.T, c *cluster.Cluster) uint64 {
	t.Helper()
	l := c.WaitForLeader(30 * time.Second)
	s := l.Server()
	if s == nil {
		t.Fatalf("leader went away")
	}
	return s.Node().Store().Index()
}

// waitFor polls cond every 10ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// canonical re-encodes JSON so that equal documents compare equal as strings.
func canonical(t testing.TB, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("canonical: %v in %q", err, b)
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
