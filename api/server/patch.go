package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	jsonpatch "github.com/evanphx/json-patch/v5"
)

// handlePatch applies a JSON merge patch (RFC 7386) or a JSON patch (RFC
// 6902) to the stored object. The update it proposes is conditional on the
// version it patched, and is retried on conflict unless the patch itself
// names a resourceVersion.
func (s *Server) handlePatch(ctx context.Context, w http.ResponseWriter, r *http.Request, rt *route) {
	kind, err := patchKindOf(r.Header.Get("Content-Type"))
	if err != nil {
		writeError(w, err)
		return
	}
	if kind == applyPatch {
		s.handleApply(ctx, w, r, rt)
		return
	}
	patch, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, api.TooLarge(err.Error()))
		return
	}
	apply, err := kind.parse(patch, rt.kind.Kind)
	if err != nil {
		writeError(w, err)
		return
	}
	mode, err := api.ParseFieldValidation(r.URL.Query().Get("fieldValidation"))
	if err != nil {
		writeError(w, err)
		return
	}
	if dry, err := isDryRun(r.URL.Query()["dryRun"]); err != nil || dry {
		op, ignored, perr := s.patchOp(rt, apply, mode)
		writeWarnings(w, ignored)
		s.answerDryRun(w, http.StatusOK, op, errors.Join(err, perr))
		return
	}
	var res api.Object
	var ignored []string
	named := patchNamesVersion(patch)
	for {
		var op fsm.Op
		if op, ignored, err = s.patchOp(rt, apply, mode); err != nil {
			break // a precondition of the patch itself (its uid) is final
		}
		res, err = s.proposeOne(ctx, op)
		if !retryOnConflict(ctx, err, named) {
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

// retryOnConflict says whether a change read from the stored object lost
// a race with another write and is to be made again on the newer version:
// as Kubernetes' GuaranteedUpdate, until the request's deadline, unless
// the change named the version it applies to (then the conflict is its
// answer).
func retryOnConflict(ctx context.Context, err error, named bool) bool {
	return errors.Is(err, api.ErrConflict) && !named && ctx.Err() == nil
}

// patchOp merges the patch onto the stored object and prepares the write,
// conditional on the version it patched. The patched object is checked
// field by field as a body is: a field neither Barque nor Kubernetes knows
// is a 400, one only Kubernetes knows is dropped and returned for a
// Warning header.
func (s *Server) patchOp(rt *route, apply patchFunc, mode api.FieldValidation) (fsm.Op, []string, error) {
	cur, _ := s.node.Store().Get(rt.kind.Kind, rt.namespace, rt.name)
	if cur == nil {
		return fsm.Op{}, nil, api.NotFound(rt.kind.Resource, rt.name)
	}
	orig, err := json.Marshal(cur)
	if err != nil {
		return fsm.Op{}, nil, api.Internal(err)
	}
	merged, err := apply(orig)
	if err != nil {
		return fsm.Op{}, nil, err
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
	keepNamespaceFinalizers(obj, cur)
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

// patchFunc applies a parsed patch to an object's JSON.
type patchFunc func(orig []byte) ([]byte, error)

// patchKind is a patch format, chosen by the request's Content-Type.
type patchKind int

const (
	mergePatch     patchKind = iota // RFC 7386
	jsonPatch                       // RFC 6902
	strategicPatch                  // Kubernetes' strategic merge patch (api.StrategicMergePatch)
	applyPatch                      // server-side apply (apply.go)
)

// patchKindOf maps a Content-Type to the patch format, as Kubernetes names
// them; plain application/json (and none) is a merge patch, as Barque's
// earlier clients send it.
func patchKindOf(contentType string) (patchKind, error) {
	if contentType == "" {
		return mergePatch, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
	case mt == "application/merge-patch+json" || mt == "application/json":
		return mergePatch, nil
	case mt == "application/json-patch+json":
		return jsonPatch, nil
	case mt == "application/strategic-merge-patch+json":
		return strategicPatch, nil
	case mt == "application/apply-patch+yaml":
		return applyPatch, nil
	}
	return 0, unsupportedPatch(fmt.Sprintf("the patch type %q is not supported; use application/merge-patch+json, "+
		"application/strategic-merge-patch+json, application/json-patch+json or application/apply-patch+yaml", contentType))
}

func unsupportedPatch(msg string) error {
	return api.NewStatusError(http.StatusUnsupportedMediaType, "UnsupportedMediaType", msg)
}

// parse checks the patch body and returns the function that applies it to
// an object of kind.
func (k patchKind) parse(patch []byte, kind string) (patchFunc, error) {
	if k == jsonPatch {
		ops, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, api.BadRequest("the JSON patch is not a list of operations: " + err.Error())
		}
		return func(orig []byte) ([]byte, error) {
			out, err := ops.Apply(orig)
			if err != nil {
				return nil, api.NewStatusError(http.StatusUnprocessableEntity, "Invalid", "applying the JSON patch: "+err.Error())
			}
			return out, nil
		}, nil
	}
	if !json.Valid(patch) {
		return nil, api.BadRequest("the patch is not valid JSON")
	}
	if k == strategicPatch {
		return func(orig []byte) ([]byte, error) {
			out, err := api.StrategicMergePatch(kind, orig, patch)
			if err != nil {
				return nil, api.BadRequest(fmt.Sprintf("applying the strategic merge patch: %v", err))
			}
			return out, nil
		}, nil
	}
	return func(orig []byte) ([]byte, error) {
		out, err := jsonpatch.MergePatch(orig, patch)
		if err != nil {
			return nil, api.BadRequest(fmt.Sprintf("applying the merge patch: %v", err))
		}
		return out, nil
	}, nil
}
