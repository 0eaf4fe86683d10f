package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	jsonpatch "github.com/evanphx/json-patch/v5"
)

// handlePatch applies a JSON merge patch (RFC 7386) to the stored object.
// The update it proposes is conditional on the version it patched, and is
// retried on conflict unless the patch itself names a resourceVersion.
func (s *Server) handlePatch(ctx context.Context, w http.ResponseWriter, r *http.Request, rt *route) {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.Contains(ct, "merge-patch") && !strings.Contains(ct, "application/json") {
		writeError(w, api.NewStatusError(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			fmt.Sprintf("the patch type %q is not supported; use application/merge-patch+json", ct)))
		return
	}
	patch, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, api.TooLarge(err.Error()))
		return
	}
	if !json.Valid(patch) {
		writeError(w, api.BadRequest("the patch is not valid JSON"))
		return
	}
	mode, err := api.ParseFieldValidation(r.URL.Query().Get("fieldValidation"))
	if err != nil {
		writeError(w, err)
		return
	}
	var res api.Object
	var ignored []string
	for attempt := 0; attempt < patchAttempts; attempt++ {
		res, ignored, err = s.patchOnce(ctx, rt, patch, mode)
		if !errors.Is(err, api.ErrConflict) || patchNamesVersion(patch) {
			break
		}
	}
	writeWarnings(w, ignored)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// patchOnce merges the patch onto the stored object and proposes the
// result.
func (s *Server) patchOnce(ctx context.Context, rt *route, patch []byte, mode api.FieldValidation) (api.Object, []string, error) {
	op, ignored, err := s.patchOp(rt, patch, mode)
	if err != nil {
		return nil, ignored, err
	}
	res, err := s.proposeOne(ctx, op)
	return res, ignored, err
}

// patchOp merges the patch onto the stored object and prepares the write,
// conditional on the version it patched. The patched object is checked
// field by field as a body is: a field neither Barque nor Kubernetes knows
// is a 400, one only Kubernetes knows is dropped and returned for a
// Warning header.
func (s *Server) patchOp(rt *route, patch []byte, mode api.FieldValidation) (fsm.Op, []string, error) {
	cur, _ := s.node.Store().Get(rt.kind.Kind, rt.namespace, rt.name)
	if cur == nil {
		return fsm.Op{}, nil, api.NotFound(rt.kind.Resource, rt.name)
	}
	orig, err := json.Marshal(cur)
	if err != nil {
		return fsm.Op{}, nil, api.Internal(err)
	}
	merged, err := jsonpatch.MergePatch(orig, patch)
	if err != nil {
		return fsm.Op{}, nil, api.BadRequest(fmt.Sprintf("applying the merge patch: %v", err))
	}
	obj, ignored, err := api.DecodeKindValidated(rt.kind.Kind, merged, mode)
	if err != nil {
		return fsm.Op{}, nil, api.BadRequest(fmt.Sprintf("the patched object is not a valid %s: %v", rt.kind.Kind, err))
	}
	// The kind is the URL's, whatever the patch says.
	*obj.GetTypeMeta() = api.TypeMeta{APIVersion: rt.kind.APIVersion(), Kind: rt.kind.Kind}
	m := obj.GetObjectMeta()
	if m.Name != rt.name || m.Namespace != rt.namespace {
		return fsm.Op{}, nil, api.BadRequest("metadata.name and metadata.namespace cannot be changed by a patch")
	}
	// A uid in the patch is a precondition, as in Kubernetes: a client
	// patching the pod it knows must not change a newer pod of that name.
	if cm := cur.GetObjectMeta(); m.UID != cm.UID {
		return fsm.Op{}, nil, api.Conflict(rt.kind.Kind, rt.name, fmt.Sprintf("Precondition failed: UID in precondition: %s, UID in object meta: %s", m.UID, cm.UID))
	}
	op, err := prepareOp(opFor(rt), obj, cur)
	if err != nil {
		return fsm.Op{}, ignored, err
	}
	op.ResourceVersion, op.UID = m.ResourceVersion, m.UID
	return op, ignored, nil
}

func patchNamesVersion(patch []byte) bool {
	var p struct {
		Metadata struct {
			ResourceVersion *string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	return json.Unmarshal(patch, &p) == nil && p.Metadata.ResourceVersion != nil
}
