package robustness

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/barque-io/barque/internal/cluster"
)

// Register operations on one ConfigMap's data.v.
const (
	opRead = iota
	opWrite
	opCAS
)

type regInput struct {
	op     int
	key    string
	value  string // write: the new value; cas: the new value
	expect string // cas: the value read before
}

type regOutput struct {
	value   string // read: the value seen
	ok      bool   // cas: succeeded (200) or not (409)
	unknown bool   // write/cas: 504 or a broken connection; may or may not have happened
}

// registerModel is one register per key. An operation whose outcome is
// unknown returns "at the end of history", so the checker may place it after
// everything else, where its effect is unobservable.
var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(regInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "init" },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(string), input.(regInput), output.(regOutput)
		switch in.op {
		case opRead:
			return out.value == s, s
		case opWrite:
			return true, in.value
		case opCAS:
			if out.unknown {
				if s == in.expect {
					return true, in.value
				}
				return true, s
			}
			if out.ok {
				return s == in.expect, in.value
			}
			return s != in.expect, s
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		switch in.op {
		case opRead:
			return fmt.Sprintf("get(%s) -> %s", in.key, out.value)
		case opWrite:
			return fmt.Sprintf("put(%s, %s) unknown=%v", in.key, in.value, out.unknown)
		default:
			return fmt.Sprintf("cas(%s, %s -> %s) ok=%v unknown=%v", in.key, in.expect, in.value, out.ok, out.unknown)
		}
	},
}

type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
	errs  []string
	stats map[string]int
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

func (h *history) add(client int, in regInput, out regOutput, call, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
}

func (h *history) count(what string) {
	h.mu.Lock()
	h.stats[what]++
	h.mu.Unlock()
}

func (h *history) errorf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) < 20 {
		h.errs = append(h.errs, fmt.Sprintf(format, args...))
	}
}

// endOfHistory is the return time of operations with an unknown outcome.
const endOfHistory = math.MaxInt64 / 2

func TestLinearizability(t *testing.T) { onEachLogStore(t, testLinearizability) }

func testLinearizability(t *testing.T, opts cluster.Options) {
	c := cluster.New(t, 3, opts)
	c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	urls := c.Addresses()
	keys := []string{"reg-a", "reg-b", "reg-c"}
	for _, k := range keys {
		createRetrying(t, hc, urls, k) // value "sentinel"
		r := hc.do(http.MethodPut, urls[0]+cmPath+"/"+k, configMapJSON(k, "init"))
		if r.code != http.StatusOK {
			t.Fatalf("init %s: %s", k, r)
		}
	}

	const duration = 20 * time.Second
	h := &history{start: time.Now(), stats: map[string]int{}}
	deadline := h.start.Add(duration)
	var wg sync.WaitGroup
	for cl := 0; cl < 4; cl++ {
		wg.Add(1)
		go func(cl int) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(cl), uint64(time.Now().UnixNano())))
			for seq := 0; time.Now().Before(deadline); seq++ {
				key := keys[rnd.IntN(len(keys))]
				url := urls[rnd.IntN(len(urls))] + cmPath + "/" + key
				value := fmt.Sprintf("c%d-%d", cl, seq)
				switch p := rnd.IntN(10); {
				case p < 4:
					linRead(h, hc, cl, key, url)
				case p < 7:
					call := h.now()
					r := hc.do(http.MethodPut, url, configMapJSON(key, value))
					ret := h.now()
					recordWrite(h, cl, regInput{op: opWrite, key: key, value: value}, r, call, ret)
				default:
					cur, ok := linRead(h, hc, cl, key, urls[rnd.IntN(len(urls))]+cmPath+"/"+key)
					if !ok {
						continue
					}
					body := fmt.Appendf(nil, `{"metadata":{"name":%q,"resourceVersion":%q},"data":{"v":%q}}`, key, cur.Metadata.ResourceVersion, value)
					call := h.now()
					r := hc.do(http.MethodPut, url, body)
					ret := h.now()
					recordWrite(h, cl, regInput{op: opCAS, key: key, value: value, expect: cur.Data["v"]}, r, call, ret)
				}
			}
		}(cl)
	}

	// Kill the leader three times, restarting it a second later.
	for k := 0; k < 3; k++ {
		at := h.start.Add(time.Duration(3+6*k) * time.Second)
		time.Sleep(time.Until(at))
		l := c.Leader()
		if l == nil {
			l = c.WaitForLeader(10 * time.Second)
		}
		t.Logf("%v: killing leader s%d", time.Since(h.start).Round(time.Millisecond), l.Index+1)
		c.Kill(l.Index)
		time.Sleep(time.Second)
		c.Restart(l.Index)
	}
	wg.Wait()
	for _, e := range h.errs {
		t.Error(e)
	}
	t.Logf("history: %d operations %v", len(h.ops), h.stats)
	if len(h.ops) < 200 {
		t.Fatalf("only %d operations completed", len(h.ops))
	}

	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(registerModel, h.ops, 60*time.Second)
	t.Logf("porcupine: %v in %v", res, time.Since(start).Round(time.Millisecond))
	switch res {
	case porcupine.Illegal:
		path := filepath.Join(os.TempDir(), fmt.Sprintf("barque-linearizability-%d.html", time.Now().UnixNano()))
		if err := porcupine.VisualizePath(registerModel, info, path); err == nil {
			t.Logf("visualization: %s", path)
		}
		t.Fatalf("history of %d operations is not linearizable", len(h.ops))
	case porcupine.Unknown:
		t.Logf("porcupine timed out; the history could not be fully checked")
	}
}

// linRead is a linearizable GET, recorded as a read when it succeeds.
func linRead(h *history, hc *client, cl int, key, url string) (object, bool) {
	call := h.now()
	r := hc.do(http.MethodGet, url, nil)
	ret := h.now()
	switch {
	case r.code == http.StatusOK && r.err == nil:
		o := decodeObject(nopT{}, r.body)
		h.add(cl, regInput{op: opRead, key: key}, regOutput{value: o.Data["v"]}, call, ret)
		h.count("read")
		return o, true
	case r.retry() || r.err != nil || r.code == http.StatusGatewayTimeout:
		h.count("read failed")
		time.Sleep(5 * time.Millisecond)
	default:
		h.errorf("get %s: %s", key, r)
	}
	return object{}, false
}

// recordWrite records a PUT: done (200, or 409 for a CAS), not done (503 or
// no connection: dropped), or unknown (504, broken connection).
func recordWrite(h *history, cl int, in regInput, r result, call, ret int64) {
	name := map[int]string{opWrite: "write", opCAS: "cas"}[in.op]
	switch {
	case r.err == nil && r.code == http.StatusOK:
		h.add(cl, in, regOutput{ok: true}, call, ret)
		h.count(name)
	case r.err == nil && r.code == http.StatusConflict && in.op == opCAS:
		h.add(cl, in, regOutput{ok: false}, call, ret)
		h.count("cas conflict")
	case r.retry():
		h.count(name + " unavailable")
		time.Sleep(5 * time.Millisecond)
	case r.unknown() || (r.err != nil):
		h.add(cl, in, regOutput{unknown: true}, call, endOfHistory)
		h.count(name + " unknown")
	default:
		h.errorf("%s %s: %s", name, in.key, r)
	}
}

// nopT satisfies testing.TB for decoding off the test goroutine; decode
// errors show up as a wrong value in the history instead.
type nopT struct{ testing.TB }

func (nopT) Helper()               {}
func (nopT) Errorf(string, ...any) {}
