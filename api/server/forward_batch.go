package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
)

// A follower does the admission work of a write itself (decode, defaults,
// validation, encoding) and forwards only the resulting op to the leader,
// batched with the other writes it is forwarding at that moment: one
// internal request carries many ops, and the leader just proposes them.
const (
	pathPropose        = "/v1/internal/propose"
	forwardMaxInFlight = 2
	forwardMaxOps      = 512
	forwardMaxBytes    = 8 << 20
)

// forwardResult is one op's outcome on the wire: the stored object, or a
// Status error.
type forwardResult struct {
	Object json.RawMessage `json:"object,omitempty"`
	Status *api.Status     `json:"status,omitempty"`
}

// forwardReq is one caller's ops: a single write, or a write batch whose
// items must apply in order. Its ops stay together, in order, within the
// internal request that carries them.
type forwardReq struct {
	ops  []fsm.Op
	size int
	done chan []forwardOutcome
}

type forwardOutcome struct {
	res forwardResult
	err error
}

type opForwarder struct {
	s      *Server
	stream *forwardStream // forward_stream.go
	ch     chan *forwardReq
	sem    chan struct{}
	quit   <-chan struct{}
}

func newOpForwarder(s *Server) *opForwarder {
	f := &opForwarder{s: s, stream: newForwardStream(s.ctx), ch: make(chan *forwardReq, 4096),
		sem: make(chan struct{}, forwardMaxInFlight), quit: s.ctx.Done()}
	go f.run()
	return f
}

// forward sends op to the leader and returns the raw JSON of the stored
// object, or the op's error.
func (f *opForwarder) forward(ctx context.Context, op fsm.Op) (json.RawMessage, error) {
	return f.forwardMany(ctx, []fsm.Op{op})[0].result()
}

// forwardMany hands ops to the leader, in order, and waits for each one's
// outcome. They travel together with whatever else is being forwarded at
// that moment (a write batch of a Go client shares the internal request
// with the other clients' writes); ops beyond one internal request's
// limits go in requests of their own, one after the other.
func (f *opForwarder) forwardMany(ctx context.Context, ops []fsm.Op) []forwardOutcome {
	size := opsSize(ops)
	if len(ops) > forwardMaxOps || size > forwardMaxBytes-api.MaxObjectBytes {
		return f.forwardInOrder(ops)
	}
	req := &forwardReq{ops: ops, size: size, done: make(chan []forwardOutcome, 1)}
	select {
	case f.ch <- req:
	case <-ctx.Done():
		return failedOutcomes(len(ops), api.Unavailable("timed out queueing the write for the leader"))
	}
	select {
	case out := <-req.done:
		return out
	case <-ctx.Done():
		return failedOutcomes(len(ops), api.Timeout("the write was sent to the leader; its outcome is unknown: "+ctx.Err().Error()))
	}
}

func opsSize(ops []fsm.Op) int {
	size := 0
	for i := range ops {
		size += len(ops[i].Object)
	}
	return size
}

func failedOutcomes(n int, err error) []forwardOutcome {
	out := make([]forwardOutcome, n)
	for i := range out {
		out[i].err = err
	}
	return out
}

func (f *opForwarder) forwardInOrder(ops []fsm.Op) []forwardOutcome {
	out := make([]forwardOutcome, 0, len(ops))
	for start := 0; start < len(ops); {
		end := chunkEnd(ops, start, forwardMaxBytes-api.MaxObjectBytes, forwardMaxOps)
		req := &forwardReq{ops: ops[start:end], done: make(chan []forwardOutcome, 1)}
		f.send([]*forwardReq{req})
		out = append(out, <-req.done...)
		start = end
	}
	return out
}

// result is the stored object's JSON, or the op's error.
func (o forwardOutcome) result() (json.RawMessage, error) {
	if o.err != nil {
		return nil, o.err
	}
	if o.res.Status != nil {
		return nil, &api.StatusError{Status: *o.res.Status}
	}
	return o.res.Object, nil
}

func (f *opForwarder) run() {
	for {
		var first *forwardReq
		select {
		case first = <-f.ch:
		case <-f.quit:
			return
		}
		select {
		case f.sem <- struct{}{}:
		case <-f.quit:
			first.done <- failedOutcomes(len(first.ops), api.Unavailable("this server is shutting down"))
			return
		}
		batch := []*forwardReq{first}
		ops, size := len(first.ops), first.size
	drain:
		for ops < forwardMaxOps && size < forwardMaxBytes-api.MaxObjectBytes {
			select {
			case r := <-f.ch:
				batch = append(batch, r)
				ops += len(r.ops)
				size += r.size
			default:
				break drain
			}
		}
		go func() {
			defer func() { <-f.sem }()
			f.send(batch)
		}()
	}
}

func (f *opForwarder) send(batch []*forwardReq) {
	fail := func(err error) {
		for _, r := range batch {
			r.done <- failedOutcomes(len(r.ops), err)
		}
	}
	leader := f.s.leaderAPI()
	if leader == "" {
		fail(api.Unavailable("no leader is known right now; retry"))
		return
	}
	n := 0
	for _, r := range batch {
		n += len(r.ops)
	}
	ops := make([]fsm.Op, 0, n)
	for _, r := range batch {
		ops = append(ops, r.ops...)
	}
	body, err := fsm.EncodeOps(ops)
	if err != nil {
		fail(api.Internal(err))
		return
	}
	results, err := f.stream.post(leader, body)
	if errors.Is(err, errNoStream) {
		results, err = f.post(leader, body)
	}
	if err != nil {
		fail(err)
		return
	}
	if len(results) != len(ops) {
		fail(api.Timeout(fmt.Sprintf("the leader answered %d results for %d writes", len(results), len(ops))))
		return
	}
	for _, r := range batch {
		out := make([]forwardOutcome, len(r.ops))
		for i := range out {
			out[i].res = results[i]
		}
		results = results[len(r.ops):]
		r.done <- out
	}
}

// post sends one batch. A failure to connect means nothing was applied
// (503); a failure after sending leaves the outcome unknown (504).
func (f *opForwarder) post(leader string, body []byte) ([]forwardResult, error) {
	ctx, cancel := context.WithTimeout(f.s.ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, leader+pathPropose, bytes.NewReader(body))
	if err != nil {
		return nil, api.Internal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := f.s.proxy.client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, api.Unavailable("the leader is unreachable: " + err.Error())
		}
		return nil, api.Timeout("forwarding to the leader failed; the writes may or may not have been applied: " + err.Error())
	}
	defer resp.Body.Close()
	data, err := readBody(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, api.Timeout("reading the leader's answer failed; the writes may or may not have been applied")
	}
	if resp.StatusCode != http.StatusOK {
		var st api.Status
		if json.Unmarshal(data, &st) == nil && st.Code != 0 {
			return nil, &api.StatusError{Status: st}
		}
		return nil, api.Timeout(fmt.Sprintf("the leader answered HTTP %d", resp.StatusCode))
	}
	results, err := decodeForwardResults(data)
	if err != nil {
		return nil, api.Timeout("the leader's answer was not understood: " + err.Error())
	}
	return results, nil
}

// handlePropose runs on the leader: propose a follower's batch as it is
// (the follower validated every op) and answer each op's outcome.
func (s *Server) handlePropose(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed, "use POST"))
		return
	}
	if !s.readyLeader() {
		writeError(w, api.Unavailable("not the leader, or not ready"))
		return
	}
	body, err := readBody(r.Body, r.ContentLength)
	if err != nil {
		writeError(w, api.TooLarge(err.Error()))
		return
	}
	answer, err := s.proposeForwarded(r.Context(), body)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(answer)
}

// proposeForwarded proposes a follower's encoded batch (either transport)
// and returns the encoded answer, or an error for the whole batch.
func (s *Server) proposeForwarded(ctx context.Context, body []byte) ([]byte, error) {
	ops, err := fsm.DecodeOps(body)
	if err != nil {
		return nil, api.BadRequest(err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	start := time.Now()
	results, _, err := s.node.Propose(ctx, ops)
	s.metrics.commit.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, err
	}
	return encodeForwardResults(results), nil
}

// The internal answer to a forwarded batch is binary: per op, a byte (0: the
// stored object follows, 1: a Status follows), a uvarint length and the
// JSON. Encoding it as a JSON array would re-scan and compact every object
// on the leader and again on the follower.
func encodeForwardResults(results []fsm.Result) []byte {
	tags := make([]byte, len(results))
	bodies := make([][]byte, len(results))
	size := 0
	for i, res := range results {
		var err error
		if res.Err != nil {
			tags[i] = 1
			bodies[i], err = json.Marshal(api.AsStatus(res.Err).Status)
		} else if bodies[i], err = json.Marshal(res.Object); err != nil {
			tags[i] = 1
			bodies[i], _ = json.Marshal(api.Internal(err).Status)
		}
		size += 1 + binary.MaxVarintLen64 + len(bodies[i])
	}
	// One allocation of the final size: the answer is as large as every
	// object of the batch together.
	b := make([]byte, 0, size)
	for i, body := range bodies {
		b = append(b, tags[i])
		b = binary.AppendUvarint(b, uint64(len(body)))
		b = append(b, body...)
	}
	return b
}

func decodeForwardResults(data []byte) ([]forwardResult, error) {
	var out []forwardResult
	for len(data) > 0 {
		tag := data[0]
		n, k := binary.Uvarint(data[1:])
		if k <= 0 || uint64(len(data)-1-k) < n {
			return nil, errors.New("truncated result")
		}
		body := data[1+k : 1+k+int(n)]
		data = data[1+k+int(n):]
		var r forwardResult
		if tag == 0 {
			r.Object = json.RawMessage(body)
		} else {
			var st api.Status
			if err := json.Unmarshal(body, &st); err != nil {
				return nil, err
			}
			r.Status = &st
		}
		out = append(out, r)
	}
	return out, nil
}
