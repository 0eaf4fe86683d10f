package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	jsonv2 "github.com/go-json-experiment/json"
)

// Write coalescing (Config.CoalesceWrites): concurrent Create, Update,
// Delete and PatchStatus calls share POST /v1/batch requests. While
// batchSenders requests are on their way, new writes queue; the next
// request takes everything queued, within the limits below. A lone write
// is sent at once, alone, so it costs what a request of its own costs;
// under concurrency many writes share one HTTP round trip, one admission
// pass on the server and usually one log entry, much as gRPC clients share one HTTP/2 connection.
//
// While no more than batchEagerCallers writes are outstanding on the
// client, each may have a request of its own, up to batchEagerCallers
// senders: at that concurrency a write queued behind two busy senders
// waited half a round trip on average, and batching saved little (16
// writers over 3 servers: 2,700 → 3,000 creates/s). Past it, two senders
// and the queue form the batches (64 writers: unchanged).
const (
	batchSenders      = 2
	batchEagerCallers = 8
	batchBusyHold     = 100 * time.Millisecond
	batchMaxItems     = 256
	batchMaxBytes     = 4 << 20
)

// Batch sends items in one request and returns one result per item, in
// order. Each item succeeds or fails on its own (its Status); the error is
// for the request as a whole, with the client's usual retry rules (a
// batch is a POST: a lost answer is not retried).
func (c *Client) Batch(ctx context.Context, items []api.WriteBatchItem) ([]api.WriteBatchItemResult, error) {
	body, err := encodeWriteBatch(items)
	if err != nil {
		return nil, err
	}
	raw, _, err := c.call(ctx, &request{method: http.MethodPost, path: api.PathWriteBatch, body: body})
	if err != nil {
		return nil, err
	}
	// The server encoded the answer: the v2 decoder (as api.DecodeTrusted)
	// skips encoding/json's scan of every object the answer carries.
	var res api.WriteBatchResult
	if err := jsonv2.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decoding batch answer: %w", err)
	}
	if len(res.Items) != len(items) {
		return nil, fmt.Errorf("batch answer: %d results for %d items", len(res.Items), len(items))
	}
	for i := range res.Items {
		for _, w := range res.Items[i].Warnings {
			if c.warn != nil {
				c.warn(w)
			}
		}
	}
	return res.Items, nil
}

// encodeWriteBatch writes the body by hand so that each object's JSON
// (already encoded by the caller) is copied, not re-scanned.
func encodeWriteBatch(items []api.WriteBatchItem) ([]byte, error) {
	var b bytes.Buffer
	size := 128
	for i := range items {
		size += len(items[i].Object) + len(items[i].Patch) + 128
	}
	b.Grow(size)
	b.WriteString(`{"apiVersion":"barque.io/v1","kind":"WriteBatch","items":[`)
	for i := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		it := items[i]
		obj := it.Object
		it.Object = nil
		head, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		if obj == nil {
			b.Write(head)
			continue
		}
		b.Write(head[:len(head)-1])
		b.WriteString(`,"object":`)
		b.Write(obj)
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// coalescer queues writes for batch requests; sender goroutines exist only
// while there is something to send.
type coalescer struct {
	c       *Client
	window  time.Duration // Config.CoalesceWindow
	mu      sync.Mutex
	pending []*pendingWrite
	senders int
	callers int // writes submitted and not yet answered
	// busyUntil: more than batchEagerCallers writes were outstanding less
	// than batchBusyHold ago. Under load the count dips each time a batch
	// is answered, before its callers write again; eager senders started
	// in those dips would send most writes alone.
	busyUntil time.Time
	next      time.Time // the earliest start of the next batch (window > 0)
}

type pendingWrite struct {
	item api.WriteBatchItem
	done chan batchOutcome
}

type batchOutcome struct {
	res api.WriteBatchItemResult
	err error
}

// write sends item through a batch and returns its result, retrying it
// (in a later batch) while the server answers 503 for it: nothing was
// applied then. A 504 is retried for update and delete only, as the
// client's other retries are.
func (q *coalescer) write(ctx context.Context, item api.WriteBatchItem) (json.RawMessage, error) {
	deadline := time.Now().Add(q.c.retryFor)
	backoff := backoffStart
	lost := false // an attempt got 504: it may have applied
	for {
		out, err := q.submit(ctx, item)
		if err != nil {
			return nil, err
		}
		if out.Status == nil {
			return out.Object, nil
		}
		se := &api.StatusError{Status: *out.Status}
		if lost && se.Code() != http.StatusServiceUnavailable && se.Code() != http.StatusGatewayTimeout {
			// The rules of Client.do for a conditional write sent again.
			gone, lerr := afterLostAttempt(&request{method: batchMethod(item.Verb)}, se)
			if gone {
				return nil, nil
			}
			return nil, lerr
		}
		timedOut := se.Code() == http.StatusGatewayTimeout
		retry := se.Code() == http.StatusServiceUnavailable || (timedOut && itemIsConditional(item))
		if !retry || time.Now().Add(backoff).After(deadline) {
			return nil, se
		}
		lost = lost || timedOut
		if err := sleep(ctx, backoff); err != nil {
			return nil, se
		}
		backoff = min(backoff*2, backoffMax)
	}
}

func (q *coalescer) submit(ctx context.Context, item api.WriteBatchItem) (api.WriteBatchItemResult, error) {
	pw := &pendingWrite{item: item, done: make(chan batchOutcome, 1)}
	q.mu.Lock()
	q.pending = append(q.pending, pw)
	q.callers++
	if q.senders < q.senderLimit() {
		q.senders++
		go q.sendLoop()
	}
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.callers--
		q.mu.Unlock()
	}()
	select {
	case out := <-pw.done:
		return out.res, out.err
	case <-ctx.Done():
		// A write still queued is withdrawn: it was never sent. One that
		// left with a batch may yet be applied.
		q.mu.Lock()
		i := slices.Index(q.pending, pw)
		if i >= 0 {
			q.pending = slices.Delete(q.pending, i, i+1)
		}
		q.mu.Unlock()
		if i >= 0 {
			return api.WriteBatchItemResult{}, ctx.Err()
		}
		return api.WriteBatchItemResult{}, outcomeUnknown(ctx.Err())
	}
}

// batchMethod is the HTTP verb a batch item stands for.
func batchMethod(verb string) string {
	switch verb {
	case api.BatchCreate:
		return http.MethodPost
	case api.BatchDelete:
		return http.MethodDelete
	case api.BatchPatchStatus:
		return http.MethodPatch
	}
	return http.MethodPut
}

// itemIsConditional reports whether a batch item may be sent again after a
// 504 (as safeToRepeat): an update or delete with a resourceVersion, a
// status patch naming one or a uid.
func itemIsConditional(it api.WriteBatchItem) bool {
	switch it.Verb {
	case api.BatchUpdate:
		var o struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		return json.Unmarshal(it.Object, &o) == nil && o.Metadata.ResourceVersion != "" && o.Metadata.ResourceVersion != "0"
	case api.BatchDelete:
		return it.ResourceVersion != 0
	case api.BatchPatchStatus:
		return patchIsConditional(it.Patch)
	}
	return false
}

func (q *coalescer) sendLoop() {
	for {
		slot := q.pace()
		batch := q.take(slot)
		if batch == nil {
			return
		}
		q.send(batch)
	}
}

// pace waits for this sender's turn, the slot it returns: one batch per
// window, the first after a quiet spell at once.
func (q *coalescer) pace() time.Time {
	if q.window <= 0 {
		return time.Time{}
	}
	q.mu.Lock()
	now := time.Now()
	start := q.next
	if start.Before(now) {
		start = now
	}
	q.next = start.Add(q.window)
	q.mu.Unlock()
	time.Sleep(start.Sub(now))
	return start
}

// take removes the next batch from the queue; nil (and one sender fewer)
// when the queue is empty or more senders run than senderLimit, and then
// the unused slot is given back so that the next write after the burst
// goes at once.
func (q *coalescer) take(slot time.Time) []*pendingWrite {
	q.mu.Lock()
	defer q.mu.Unlock()
	n, size := 0, 0
	for n < len(q.pending) && n < batchMaxItems {
		size += len(q.pending[n].item.Object) + len(q.pending[n].item.Patch) + 128
		if n > 0 && size > batchMaxBytes {
			break
		}
		n++
	}
	if n == 0 || q.senders > q.senderLimit() {
		q.senders--
		if q.window > 0 && q.next.Equal(slot.Add(q.window)) {
			q.next = slot
		}
		return nil
	}
	batch := append([]*pendingWrite(nil), q.pending[:n]...)
	q.pending = append(q.pending[:0], q.pending[n:]...)
	return batch
}

// senderLimit is how many senders may run now (q.mu held); a sender past
// it stops before taking its next batch, so that the eager senders of a
// quiet moment do not stay on under load.
func (q *coalescer) senderLimit() int {
	now := time.Now()
	if q.callers > batchEagerCallers {
		q.busyUntil = now.Add(batchBusyHold)
	}
	if now.Before(q.busyUntil) {
		return batchSenders
	}
	return batchEagerCallers
}

func (q *coalescer) send(batch []*pendingWrite) {
	items := make([]api.WriteBatchItem, len(batch))
	for i, pw := range batch {
		items[i] = pw.item
	}
	// Not any one caller's context: the request carries everyone's writes.
	results, err := q.c.Batch(context.Background(), items)
	for i, pw := range batch {
		if err != nil {
			pw.done <- batchOutcome{err: err}
			continue
		}
		pw.done <- batchOutcome{res: results[i]}
	}
}

// scopedNamespace drops the namespace of a cluster-scoped kind, as its
// URL path would.
func scopedNamespace(ki *api.KindInfo, ns string) string {
	if !ki.Namespaced {
		return ""
	}
	return ns
}
