package robustness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// ackedCreate is a create the server acknowledged with 201.
type ackedCreate struct {
	name, value, uid string
	rv               uint64
}

// createLog collects what writers learned.
type createLog struct {
	mu      sync.Mutex
	acked   map[string]ackedCreate
	unknown map[string]bool // 504 or broken connection after sending
	errs    []string
	count   atomic.Int64
}

func newCreateLog() *createLog {
	return &createLog{acked: map[string]ackedCreate{}, unknown: map[string]bool{}}
}

func (l *createLog) errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 50 {
		l.errs = append(l.errs, fmt.Sprintf(format, args...))
	}
}

// createWriter creates ConfigMaps named prefix-N one after another until stop
// is closed, round-robin over urls. A create that got 503 or could not
// connect is retried on the next replica under the same name; a create whose
// outcome is unknown is recorded as such and the writer moves on. It checks
// that the resourceVersions it is given only grow.
func createWriter(t *testing.T, c *client, urls []string, prefix string, start int, log *createLog, stop <-chan struct{}) {
	var lastRV uint64
	next := start
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		name := fmt.Sprintf("%s-%d", prefix, seq)
		value := fmt.Sprintf("value-of-%s", name)
		body := configMapJSON(name, value)
		triedUnknown := false
		for attempt := 0; ; attempt++ {
			url := urls[next%len(urls)]
			next++
			r := c.do(http.MethodPost, url+cmPath, body)
			if r.code == http.StatusCreated {
				o := decodeObject(t, r.body)
				rv := o.rv(t)
				if rv <= lastRV {
					log.errorf("writer %s: resourceVersion went from %d to %d at %s", prefix, lastRV, rv, name)
				}
				if o.Metadata.Name != name || o.Data["v"] != value {
					log.errorf("writer %s: create answered %s", prefix, r.body)
				}
				lastRV = rv
				log.mu.Lock()
				log.acked[name] = ackedCreate{name: name, value: value, uid: o.Metadata.UID, rv: rv}
				log.mu.Unlock()
				log.count.Add(1)
				break
			}
			if r.retry() {
				if attempt > 2000 {
					log.errorf("writer %s: %s never succeeded: %s", prefix, name, r)
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				continue
			}
			if r.unknown() {
				triedUnknown = true
				log.mu.Lock()
				log.unknown[name] = true
				log.mu.Unlock()
				break
			}
			// Anything else is wrong: only 503 and unknown outcomes were
			// retried, so the name cannot exist already.
			log.errorf("writer %s: create %s (after unknown: %v): %s", prefix, name, triedUnknown, r)
			break
		}
	}
}

func TestLeaderKillUnderWrites(t *testing.T) { onEachLogStore(t, testLeaderKillUnderWrites) }

func testLeaderKillUnderWrites(t *testing.T, opts cluster.Options) {
	c := cluster.New(t, 3, opts)
	c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	urls := c.Addresses()

	log := newCreateLog()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			createWriter(t, hc, urls, fmt.Sprintf("w%d", w), w, log, stop)
		}(w)
	}
	stopped := false
	stopWriters := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	t.Cleanup(stopWriters)

	// progress waits until the writers got n more acknowledgements.
	progress := func(what string, n int64) {
		t.Helper()
		want := log.count.Load() + n
		if !waitFor(30*time.Second, func() bool { return log.count.Load() >= want }) {
			stopWriters()
			t.Fatalf("%s: writers made no progress (%d acknowledged, want %d); errors: %v", what, log.count.Load(), want, log.errs)
		}
	}
	leaderOf := func() int { return c.WaitForLeader(30 * time.Second).Index }

	progress("before the first kill", 150)
	first := leaderOf()
	t.Logf("killing leader s%d at %d acknowledged", first+1, log.count.Load())
	c.Kill(first)
	if l := leaderOf(); l == first {
		t.Fatalf("killed leader still leads")
	}
	progress("after the first kill", 150)
	c.Restart(first)
	c.WaitForLeader(30 * time.Second)
	progress("after the restart", 150)
	second := leaderOf()
	t.Logf("killing leader s%d at %d acknowledged", second+1, log.count.Load())
	c.Kill(second)
	leaderOf()
	progress("after the second kill", 150)
	stopWriters()
	c.Restart(second)

	final := leaderIndex(t, c)
	c.WaitForIndex(final, 30*time.Second)
	for _, e := range log.errs {
		t.Error(e)
	}
	t.Logf("%d creates acknowledged, %d with unknown outcome; final index %d", len(log.acked), len(log.unknown), final)

	var maxRV uint64
	for _, a := range log.acked {
		maxRV = max(maxRV, a.rv)
	}
	if maxRV > final {
		t.Errorf("an acknowledged create has resourceVersion %d beyond the leader's index %d", maxRV, final)
	}

	for i, m := range c.Members {
		s := m.Server()
		if s == nil {
			t.Fatalf("s%d is down", i+1)
		}
		// The store, directly.
		view := s.Node().Store().View()
		if view.Index < final {
			t.Errorf("s%d: store index %d < %d", i+1, view.Index, final)
		}
		missing := 0
		for name, a := range log.acked {
			obj := view.Get("ConfigMap", "default", name)
			if obj == nil {
				if missing++; missing <= 5 {
					t.Errorf("s%d: acknowledged create %s (rv %d) is missing from the store", i+1, name, a.rv)
				}
				continue
			}
			b, _ := json.Marshal(obj)
			o := decodeObject(t, b)
			if o.rv(t) != a.rv || o.Metadata.UID != a.uid || o.Data["v"] != a.value {
				t.Errorf("s%d: %s is %s, acknowledged as rv %d uid %s", i+1, name, b, a.rv, a.uid)
			}
		}
		if missing > 0 {
			t.Errorf("s%d: %d of %d acknowledged creates missing", i+1, missing, len(log.acked))
		}
		// Over HTTP, a stale (local) list.
		r := hc.do(http.MethodGet, m.APIURL()+cmPath+"?stale=true", nil)
		if r.code != http.StatusOK {
			t.Fatalf("s%d: stale list: %s", i+1, r)
		}
		var list objectList
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Fatal(err)
		}
		seen := map[string]object{}
		for _, raw := range list.Items {
			o := decodeObject(t, raw)
			seen[o.Metadata.Name] = o
			if _, ok := log.acked[o.Metadata.Name]; !ok && !log.unknown[o.Metadata.Name] {
				t.Errorf("s%d: %s exists but was never acknowledged nor in doubt", i+1, o.Metadata.Name)
			}
		}
		missing = 0
		for name, a := range log.acked {
			o, ok := seen[name]
			if !ok {
				missing++
				continue
			}
			if o.rv(t) != a.rv || o.Metadata.UID != a.uid {
				t.Errorf("s%d: stale list has %s at rv %d uid %s, acknowledged rv %d uid %s", i+1, name, o.rv(t), o.Metadata.UID, a.rv, a.uid)
			}
		}
		if missing > 0 {
			t.Errorf("s%d: stale list misses %d of %d acknowledged creates", i+1, missing, len(log.acked))
		}
	}
}
