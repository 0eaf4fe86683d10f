package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	jsonv2 "github.com/go-json-experiment/json"
)

// handleWriteBatch serves POST /v1/batch on any server (api.WriteBatch):
// every item is admitted as its own request would be, the admitted ones
// are committed together, and each gets its own answer. The request
// fails as a whole only when it cannot be read.
func (s *Server) handleWriteBatch(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed, "use POST"))
		return
	}
	defer s.metrics.observe("batch", "")()
	batch, err := readWriteBatch(r)
	if err != nil {
		writeError(w, err)
		return
	}
	mode, err := api.ParseFieldValidation(r.URL.Query().Get("fieldValidation"))
	if err != nil {
		writeError(w, err)
		return
	}
	if batchHasUpdates(batch) {
		// Updates are checked against the stored version (see updateOp).
		if err := s.readBarrier(r); err != nil {
			writeError(w, err)
			return
		}
	}
	out := make([]api.WriteBatchItemResult, len(batch.Items))
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	todo := make([]int, len(batch.Items))
	for i := range todo {
		todo[i] = i
	}
	// Status patches that lost a race with another write are merged again
	// onto the newer version, as PATCH itself retries them.
	for round := 0; len(todo) > 0; round++ {
		todo = s.writeItems(ctx, batch, mode, todo, out, round < patchAttempts-1)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(encodeWriteBatchResult(out))
}

// writeItems admits and commits the items todo, recording their answers in
// out; it returns the status patches to try again when retry is set.
func (s *Server) writeItems(ctx context.Context, batch *api.WriteBatch, mode api.FieldValidation, todo []int, out []api.WriteBatchItemResult, retry bool) []int {
	ops := make([]fsm.Op, 0, len(todo))
	admitted := make([]int, 0, len(todo))
	for _, i := range todo {
		out[i] = api.WriteBatchItemResult{}
		op, warnings, err := s.batchOp(&batch.Items[i], mode)
		out[i].Warnings = warnings
		if err != nil {
			out[i].Status = itemStatus(i, err)
			continue
		}
		ops = append(ops, op)
		admitted = append(admitted, i)
	}
	var again []int
	for k, res := range s.commitOps(ctx, ops) {
		i := admitted[k]
		if res.err != nil {
			out[i].Status = itemStatus(i, res.err)
			it := &batch.Items[i]
			if retry && it.Verb == api.BatchPatchStatus && errors.Is(res.err, api.ErrConflict) && !patchNamesVersion(it.Patch) {
				again = append(again, i)
			}
			continue
		}
		out[i].Object = res.object
	}
	return again
}

func readWriteBatch(r *http.Request) (*api.WriteBatch, error) {
	body, err := readBody(r.Body, r.ContentLength)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, api.TooLarge(fmt.Sprintf("request body: a batch holds at most %d bytes", api.MaxBatchBytes))
	}
	if err != nil {
		return nil, api.BadRequest(fmt.Sprintf("request body: %v", err))
	}
	// The v2 decoder: encoding/json would scan every item's object here,
	// only for batchOp to decode it again. Each object is still checked
	// in full when its item is admitted.
	var b api.WriteBatch
	if err := jsonv2.Unmarshal(body, &b); err != nil {
		return nil, api.BadRequest(fmt.Sprintf("body is not a WriteBatch: %v", err))
	}
	if len(b.Items) > api.MaxBatchItems {
		return nil, api.TooLarge(fmt.Sprintf("items: %d items; a batch holds at most %d", len(b.Items), api.MaxBatchItems))
	}
	return &b, nil
}

func batchHasUpdates(b *api.WriteBatch) bool {
	for i := range b.Items {
		if v := b.Items[i].Verb; v == api.BatchUpdate || v == api.BatchPatchStatus {
			return true
		}
	}
	return false
}

// batchOp admits one item: the same decoding, defaults and validation as
// POST, PUT or DELETE on the object's own path.
func (s *Server) batchOp(it *api.WriteBatchItem, mode api.FieldValidation) (fsm.Op, []string, error) {
	switch it.Verb {
	case api.BatchCreate, api.BatchUpdate:
		obj, ignored, err := api.DecodeObjectValidated(bytes.TrimSpace(it.Object), mode)
		if err != nil {
			return fsm.Op{}, nil, err
		}
		rt, err := batchRoute(obj)
		if err != nil {
			return fsm.Op{}, nil, err
		}
		var op fsm.Op
		if it.Verb == api.BatchCreate {
			op, err = createOpFor(obj)
		} else {
			op, err = s.updateOpFor(obj, rt)
		}
		return op, ignored, err
	case api.BatchDelete:
		rt, err := deleteRoute(it)
		if err != nil {
			return fsm.Op{}, nil, err
		}
		op, err := newDeleteOp(rt, it.ResourceVersion, "", it.PropagationPolicy, it.GracePeriodSeconds)
		return op, nil, err
	case api.BatchPatchStatus:
		rt, err := deleteRoute(it)
		if err != nil {
			return fsm.Op{}, nil, err
		}
		if !json.Valid(it.Patch) {
			return fsm.Op{}, nil, api.BadRequest("patch: not valid JSON")
		}
		apply, err := mergePatch.parse(it.Patch, rt.kind.Kind)
		if err != nil {
			return fsm.Op{}, nil, err
		}
		rt.subresource = "status"
		return s.patchOp(rt, apply, mode)
	}
	return fsm.Op{}, nil, api.BadRequest(fmt.Sprintf("verb: %q is not one of create, update, delete, patchStatus", it.Verb))
}

// batchRoute is the path a decoded object would have been written to.
func batchRoute(obj api.Object) (*route, error) {
	k, ok := api.KindOf(obj)
	if !ok {
		return nil, api.BadRequest("object: unknown kind")
	}
	m := obj.GetObjectMeta()
	return scopedRoute(k, m.Namespace, m.Name, "metadata.")
}

func deleteRoute(it *api.WriteBatchItem) (*route, error) {
	k, ok := api.LookupKind(it.Kind)
	if !ok || (it.APIVersion != "" && it.APIVersion != k.APIVersion()) {
		return nil, api.BadRequest(fmt.Sprintf("kind: %s %q is not a kind this server knows", it.APIVersion, it.Kind))
	}
	if it.Name == "" {
		return nil, api.BadRequest(fmt.Sprintf("name: required for %s", it.Verb))
	}
	return scopedRoute(k, it.Namespace, it.Name, "")
}

// patchAttempts bounds how often a status patch is merged and proposed
// when it keeps losing races with other writes (PATCH's own bound).
const patchAttempts = 5

// scopedRoute checks that namespace fits the kind's scope; a batch has no
// URL to take the namespace from, so a namespaced kind must name one.
func scopedRoute(k *api.KindInfo, namespace, name, prefix string) (*route, error) {
	if k.Namespaced && namespace == "" {
		return nil, api.BadRequest(fmt.Sprintf("%snamespace: required for %s in a batch", prefix, k.Resource))
	}
	if !k.Namespaced && namespace != "" {
		return nil, api.BadRequest(fmt.Sprintf("%snamespace: %s are cluster-scoped; leave it empty", prefix, k.Resource))
	}
	return &route{kind: k, namespace: namespace, name: name}, nil
}

// itemStatus is err as the Status of item i, its message saying which.
func itemStatus(i int, err error) *api.Status {
	st := api.AsStatus(err).Status
	st.Message = fmt.Sprintf("items[%d]: %s", i, st.Message)
	return &st
}

// opOutcome is one committed op: the stored object's JSON, or an error.
type opOutcome struct {
	object json.RawMessage
	err    error
}

// commitOps commits admitted ops together: proposed on the leader,
// forwarded to it from a follower.
func (s *Server) commitOps(ctx context.Context, ops []fsm.Op) []opOutcome {
	out := make([]opOutcome, len(ops))
	if len(ops) == 0 {
		return out
	}
	if !s.node.IsLeader() {
		for i, f := range s.fwd.forwardMany(ctx, ops) {
			out[i].object, out[i].err = f.result()
		}
		return out
	}
	fail := func(err error) []opOutcome {
		for i := range out {
			out[i].err = err
		}
		return out
	}
	if !s.leaderReady.Load() {
		return fail(api.Unavailable("the leader is still catching up after its election"))
	}
	// Proposed in chunks of at most proposeChunkBytes, one after the
	// other so that the items apply in order: a batch of 16 MiB becomes
	// several log entries of a normal size.
	for start := 0; start < len(ops); {
		end := chunkEnd(ops, start, proposeChunkBytes, len(ops))
		s.proposeChunk(ctx, ops[start:end], out[start:end])
		start = end
	}
	return out
}

// chunkEnd is the end of the chunk of ops starting at start: at most
// maxOps ops and maxBytes of objects, and never empty.
func chunkEnd(ops []fsm.Op, start, maxBytes, maxOps int) int {
	end, size := start, 0
	for end < len(ops) && end-start < maxOps && (end == start || size+len(ops[end].Object) <= maxBytes) {
		size += len(ops[end].Object)
		end++
	}
	return end
}

// proposeChunkBytes bounds the objects of one proposal from a batch.
const proposeChunkBytes = 2 << 20

func (s *Server) proposeChunk(ctx context.Context, ops []fsm.Op, out []opOutcome) {
	results, _, err := s.node.Propose(ctx, ops)
	for i := range out {
		switch {
		case err != nil:
			out[i].err = err
		case results[i].Err != nil:
			out[i].err = results[i].Err
		default:
			out[i].object, out[i].err = json.Marshal(results[i].Object)
		}
	}
}

// encodeWriteBatchResult writes the answer by hand so that each stored
// object's JSON is copied as it is, not re-scanned.
func encodeWriteBatchResult(items []api.WriteBatchItemResult) []byte {
	var b bytes.Buffer
	size := 128
	for i := range items {
		size += len(items[i].Object) + 16
	}
	b.Grow(size)
	b.WriteString(`{"apiVersion":"barque.io/v1","kind":"WriteBatchResult","items":[`)
	for i := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		it := &items[i]
		b.WriteByte('{')
		sep := ""
		if it.Object != nil {
			b.WriteString(`"object":`)
			b.Write(it.Object)
			sep = ","
		}
		if it.Status != nil {
			st, _ := json.Marshal(it.Status)
			b.WriteString(sep + `"status":`)
			b.Write(st)
			sep = ","
		}
		if len(it.Warnings) > 0 {
			ws, _ := json.Marshal(it.Warnings)
			b.WriteString(sep + `"warnings":`)
			b.Write(ws)
		}
		b.WriteByte('}')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}
