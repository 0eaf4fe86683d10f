package robustness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

type seenEvent struct {
	typ, name string
	rv        uint64
}

// watcher reads one watch stream in the background.
type watcher struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	events []seenEvent
	errs   []string // ERROR events and undecodable lines
	endErr error    // why the stream ended
}

// startWatch opens a ConfigMap watch in default from rv and fails the test
// unless the server answers 200.
func startWatch(t *testing.T, base string, rv uint64) *watcher {
	t.Helper()
	return startWatchQuery(t, base, rv, "")
}

// startWatchQuery is startWatch with more query parameters ("&k=v...").
func startWatchQuery(t *testing.T, base string, rv uint64, query string) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{cancel: cancel, done: make(chan struct{})}
	t.Cleanup(func() { cancel(); <-w.done })
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s%s?watch=true&resourceVersion=%d%s", base, cmPath, rv, query), nil)
	// No client timeout: the stream lives as long as the test wants.
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		close(w.done)
		t.Fatalf("watch on %s: %v", base, err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		close(w.done)
		t.Fatalf("watch on %s from %d: HTTP %d %s", base, rv, resp.StatusCode, b)
	}
	go func() {
		defer close(w.done)
		defer resp.Body.Close()
		br := bufio.NewReaderSize(resp.Body, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				// A partial last line (the stream was cut) is dropped.
				w.mu.Lock()
				w.endErr = err
				w.mu.Unlock()
				return
			}
			var ev struct {
				Type   string `json:"type"`
				Object object `json:"object"`
			}
			w.mu.Lock()
			if jerr := json.Unmarshal(line, &ev); jerr != nil {
				w.errs = append(w.errs, fmt.Sprintf("undecodable line %q: %v", line, jerr))
			} else if ev.Type == "ERROR" {
				w.errs = append(w.errs, "ERROR event: "+string(line))
			} else if ev.Type != "BOOKMARK" {
				rv, _ := strconv.ParseUint(ev.Object.Metadata.ResourceVersion, 10, 64)
				w.events = append(w.events, seenEvent{typ: ev.Type, name: ev.Object.Metadata.Name, rv: rv})
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *watcher) snapshot() ([]seenEvent, []string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]seenEvent(nil), w.events...), append([]string(nil), w.errs...), w.endErr
}

func (w *watcher) sawName(name string) bool {
	evs, _, _ := w.snapshot()
	for _, e := range evs {
		if e.name == name {
			return true
		}
	}
	return false
}

// listIndex is the resourceVersion of a (linearizable) ConfigMap list.
func listIndex(t *testing.T, hc *client, base string) uint64 {
	t.Helper()
	r := hc.do(http.MethodGet, base+cmPath, nil)
	var list objectList
	if r.code != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("list on %s: %s", base, r)
	}
	n, err := strconv.ParseUint(list.Metadata.ResourceVersion, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// createRetrying creates a ConfigMap, retrying 503s and refused
// connections over urls.
func createRetrying(t *testing.T, hc *client, urls []string, name string) object {
	t.Helper()
	var r result
	for i := 0; i < 500; i++ {
		r = hc.do(http.MethodPost, urls[i%len(urls)]+cmPath, configMapJSON(name, "sentinel"))
		if r.code == http.StatusCreated {
			return decodeObject(t, r.body)
		}
		if !r.retry() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("create %s: %s", name, r)
	return object{}
}

// checkWatchEvents checks a merged event sequence against what writers
// learned: only ADDED, resourceVersions never decreasing, each name once,
// every acknowledged create present with its resourceVersion, nothing that
// was never written.
func checkWatchEvents(t *testing.T, evs []seenEvent, log *createLog, extra map[string]bool) {
	t.Helper()
	seen := map[string]uint64{}
	var last uint64
	bad := 0
	report := func(format string, args ...any) {
		t.Helper()
		if bad++; bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	for i, e := range evs {
		if e.typ != "ADDED" {
			report("event %d: %s %s, only creates were made", i, e.typ, e.name)
		}
		if e.rv < last {
			report("event %d: %s at resourceVersion %d after %d (out of order)", i, e.name, e.rv, last)
		}
		last = max(last, e.rv)
		if _, dup := seen[e.name]; dup {
			report("event %d: duplicate ADDED for %s", i, e.name)
		}
		seen[e.name] = e.rv
		if a, ok := log.acked[e.name]; ok {
			if a.rv != e.rv {
				report("%s: watched at rv %d, acknowledged at rv %d", e.name, e.rv, a.rv)
			}
		} else if !log.unknown[e.name] && !extra[e.name] {
			report("event for %s, which no writer created", e.name)
		}
	}
	missing := 0
	for name, a := range log.acked {
		if _, ok := seen[name]; !ok {
			if missing++; missing <= 5 {
				t.Errorf("no event for acknowledged create %s (rv %d)", name, a.rv)
			}
		}
	}
	if missing > 0 || bad > 0 {
		t.Errorf("%d acknowledged creates missing from the watch, %d bad events (of %d events)", missing, bad, len(evs))
	}
}

// startWriters runs n createWriters over urls until the returned stop
// function is called.
func startWriters(t *testing.T, hc *client, urls []string, n int, log *createLog) (stop func()) {
	ch := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			createWriter(t, hc, urls, fmt.Sprintf("wt%d", w), w, log, ch)
		}(w)
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(ch); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func waitAcks(t *testing.T, log *createLog, n int64, what string) {
	t.Helper()
	want := log.count.Load() + n
	if !waitFor(30*time.Second, func() bool { return log.count.Load() >= want }) {
		t.Fatalf("%s: writers stalled at %d acknowledged (want %d); errors %v", what, log.count.Load(), want, log.errs)
	}
}

func followerOf(c *cluster.Cluster, leader *cluster.Member) *cluster.Member {
	for _, m := range c.Members {
		if m != leader && m.Server() != nil {
			return m
		}
	}
	return nil
}

func TestWatchSurvivesLeaderKill(t *testing.T) { onEachLogStore(t, testWatchSurvivesLeaderKill) }

func testWatchSurvivesLeaderKill(t *testing.T, opts cluster.Options) {
	c := cluster.New(t, 3, opts)
	leader := c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	f := followerOf(c, leader)
	from := listIndex(t, hc, f.APIURL())
	w := startWatch(t, f.APIURL(), from)

	log := newCreateLog()
	stop := startWriters(t, hc, c.Addresses(), 3, log)
	waitAcks(t, log, 100, "before the kill")
	l := c.WaitForLeader(20 * time.Second)
	if l == f {
		t.Fatalf("leadership moved to the watched replica without a failure")
	}
	t.Logf("killing leader s%d at %d acknowledged; watching on s%d", l.Index+1, log.count.Load(), f.Index+1)
	c.Kill(l.Index)
	c.WaitForLeader(20 * time.Second)
	waitAcks(t, log, 150, "after the kill")
	stop()
	for _, e := range log.errs {
		t.Error(e)
	}

	// Every event before the sentinel's arrives before it.
	createRetrying(t, hc, c.Addresses(), "zz-sentinel")
	if !waitFor(20*time.Second, func() bool { return w.sawName("zz-sentinel") }) {
		evs, errs, end := w.snapshot()
		t.Fatalf("the watch never delivered the sentinel (%d events, errors %v, end %v)", len(evs), errs, end)
	}
	evs, errs, end := w.snapshot()
	if end != nil || len(errs) > 0 {
		t.Errorf("the watch on the surviving follower broke: end %v, errors %v", end, errs)
	}
	t.Logf("%d acknowledged, %d unknown, %d events", len(log.acked), len(log.unknown), len(evs))
	checkWatchEvents(t, evs, log, map[string]bool{"zz-sentinel": true})
}

func TestWatchResumesOnAnotherReplica(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	f := followerOf(c, leader)
	var others []string
	for _, m := range c.Members {
		if m != f {
			others = append(others, m.APIURL())
		}
	}
	from := listIndex(t, hc, f.APIURL())
	w1 := startWatch(t, f.APIURL(), from)

	log := newCreateLog()
	stop := startWriters(t, hc, others, 3, log)
	waitAcks(t, log, 150, "before the kill")
	t.Logf("killing the watched replica s%d at %d acknowledged", f.Index+1, log.count.Load())
	c.Kill(f.Index)
	select {
	case <-w1.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the watch on the killed replica did not end")
	}
	first, errs, end := w1.snapshot()
	if len(errs) > 0 {
		t.Errorf("first watch: %v", errs)
	}
	var lastRV uint64
	atLast := map[string]bool{}
	for _, e := range first {
		if e.rv > lastRV {
			lastRV, atLast = e.rv, map[string]bool{}
		}
		if e.rv == lastRV {
			atLast[e.name] = true
		}
	}
	if lastRV == 0 {
		lastRV = from + 1
	}
	// Resume on another replica from just before the last entry seen, since
	// the cut may have split that entry's events.
	resumeOn := c.Members[(f.Index+1)%3]
	t.Logf("first watch ended (%v) after %d events at rv %d; resuming on s%d from %d", end, len(first), lastRV, resumeOn.Index+1, lastRV-1)
	w2 := startWatch(t, resumeOn.APIURL(), lastRV-1)
	waitAcks(t, log, 150, "after the kill")
	stop()
	for _, e := range log.errs {
		t.Error(e)
	}
	createRetrying(t, hc, others, "zz-sentinel")
	if !waitFor(20*time.Second, func() bool { return w2.sawName("zz-sentinel") }) {
		t.Fatalf("the resumed watch never delivered the sentinel")
	}
	second, errs, end := w2.snapshot()
	if end != nil || len(errs) > 0 {
		t.Errorf("resumed watch: end %v, errors %v", end, errs)
	}
	merged := first
	for _, e := range second {
		if e.rv < lastRV {
			t.Errorf("resumed watch from %d replayed %s at %d", lastRV-1, e.name, e.rv)
			continue
		}
		if e.rv == lastRV && atLast[e.name] {
			continue // seen before the cut
		}
		merged = append(merged, e)
	}
	t.Logf("%d acknowledged, %d unknown; %d + %d events", len(log.acked), len(log.unknown), len(first), len(second))
	checkWatchEvents(t, merged, log, map[string]bool{"zz-sentinel": true})
}

func TestWatchFromCompactedVersionIsGone(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{HistorySize: 50})
	c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	urls := c.Addresses()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < 200; i += 4 {
				if r := hc.do(http.MethodPost, urls[i%3]+cmPath, configMapJSON(fmt.Sprintf("gone-%d", i), "v")); r.code != http.StatusCreated {
					t.Errorf("create %d: %s", i, r)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	now := leaderIndex(t, c)
	c.WaitForIndex(now, 10*time.Second)
	for i, m := range c.Members {
		floor := m.Server().Node().Store().HistoryFloor()
		if floor <= 1 {
			t.Fatalf("s%d: history floor %d after 200 writes with 50 retained", i+1, floor)
		}
		r := hc.do(http.MethodGet, m.APIURL()+cmPath+"?watch=true&resourceVersion=1", nil)
		var st struct {
			Kind   string `json:"kind"`
			Code   int    `json:"code"`
			Reason string `json:"reason"`
		}
		if r.code != http.StatusGone || json.Unmarshal(r.body, &st) != nil || st.Kind != "Status" || st.Code != http.StatusGone {
			t.Errorf("s%d: watch from resourceVersion 1 (floor %d): %s, want 410 with a Status of code 410", i+1, floor, r)
		}
		// From the floor itself the history is complete: the watch starts.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s%s?watch=true&resourceVersion=%d", m.APIURL(), cmPath, floor), nil)
		resp, err := hc.hc.Do(req)
		if err != nil {
			t.Errorf("s%d: watch from the floor %d: %v", i+1, floor, err)
		} else {
			if resp.StatusCode != http.StatusOK {
				t.Errorf("s%d: watch from the floor %d: HTTP %d", i+1, floor, resp.StatusCode)
			}
			resp.Body.Close()
		}
		cancel()
	}
}

// TestWatchWithSelectorSeesObjectsEnterAndLeave: a watch with a label
// selector gets ADDED when a change makes an object match, DELETED (at the
// change's resourceVersion) when a change makes it stop matching, and
// nothing for an object that matches neither before nor after, as
// Kubernetes' watches do; informers with selectors rely on it.
func TestWatchWithSelectorSeesObjectsEnterAndLeave(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	base := leader.APIURL()
	w := startWatchQuery(t, c.Follower(leader).APIURL(), listIndex(t, hc, base), "&labelSelector=env%3Dprod")

	write := func(method, name string, body string) uint64 {
		t.Helper()
		url, ctype := base+cmPath+"/"+name, "application/merge-patch+json"
		if method == http.MethodPost {
			url, ctype = base+cmPath, "application/json"
		}
		var b []byte
		if body != "" {
			b = []byte(body)
		}
		r := hc.doCtx(context.Background(), method, url, b, ctype)
		if r.code/100 != 2 {
			t.Fatalf("%s %s: %s", method, name, r)
		}
		var o object
		if err := json.Unmarshal(r.body, &o); err != nil {
			t.Fatal(err)
		}
		rv, _ := strconv.ParseUint(o.Metadata.ResourceVersion, 10, 64)
		return rv
	}
	labelled := func(name, env string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"labels":{"env":%q}},"data":{"v":"1"}}`, name, env)
	}
	write(http.MethodPost, "", labelled("sel", "dev"))
	enter := write(http.MethodPatch, "sel", `{"metadata":{"labels":{"env":"prod"}}}`)
	change := write(http.MethodPatch, "sel", `{"data":{"v":"2"}}`)
	leave := write(http.MethodPatch, "sel", `{"metadata":{"labels":{"env":"dev"}}}`)
	write(http.MethodPatch, "sel", `{"data":{"v":"3"}}`)
	write(http.MethodDelete, "sel", "")
	born := write(http.MethodPost, "", labelled("sel2", "prod"))
	write(http.MethodDelete, "sel2", "")

	want := []seenEvent{
		{"ADDED", "sel", enter}, {"MODIFIED", "sel", change}, {"DELETED", "sel", leave},
		{"ADDED", "sel2", born}, {"DELETED", "sel2", 0},
	}
	var got []seenEvent
	waitFor(5*time.Second, func() bool {
		got, _, _ = w.snapshot()
		return len(got) >= len(want)
	})
	time.Sleep(100 * time.Millisecond) // nothing more may come
	got, errs, _ := w.snapshot()
	if len(errs) > 0 {
		t.Fatalf("watch errors: %v", errs)
	}
	// A DELETE answers with the object as it was; its DELETED event
	// carries the deletion's resourceVersion, later than that.
	if len(got) == len(want) && got[4].rv > born {
		want[4].rv = got[4].rv
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n got %v\nwant %v (the last at a resourceVersion after %d)", got, want, born)
	}
}
