package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
)

// Server-side apply (PATCH with application/apply-patch+yaml), as
// `kubectl apply --server-side`, Helm 4 and Flux send it. The body is the
// manager's whole intent for the object: the fields it sets. The server
// merges them onto the stored object (lists by their Kubernetes merge
// keys), removes the fields this manager set last time and no longer
// does (unless another manager also set them), and records each
// manager's fields in metadata.managedFields. A field another manager
// set to another value is a conflict (409, one cause per field) unless
// force=true, which takes it over. An object that does not exist is
// created. Only apply operations record ownership: a field changed by a
// plain update or patch has no manager, so it never conflicts.

// applyRequest is a parsed server-side apply.
type applyRequest struct {
	manager string
	force   bool
	config  map[string]any // the applied configuration, JSON form
	mode    api.FieldValidation
}

func (s *Server) handleApply(ctx context.Context, w http.ResponseWriter, r *http.Request, rt *route) {
	req, err := parseApply(r, rt)
	if err != nil {
		writeError(w, err)
		return
	}
	dry, err := isDryRun(r.URL.Query()["dryRun"])
	if err != nil {
		writeError(w, err)
		return
	}
	var res api.Object
	var ignored []string
	var code int
	for {
		var op fsm.Op
		code = http.StatusOK
		if op, ignored, err = s.applyOp(rt, req, time.Now()); err != nil {
			var same *unchangedError
			if errors.As(err, &same) {
				// Nothing to write: the object is as applied, and the
				// manager's fields are those it had. No new version, no
				// watch event (a GitOps loop applies every few minutes).
				res, err = same.obj, nil
			}
			break
		}
		if op.Type == fsm.OpCreate {
			code = http.StatusCreated
		}
		if dry {
			writeWarnings(w, ignored)
			s.answerDryRun(w, code, op, nil)
			return
		}
		res, err = s.proposeOne(ctx, op)
		// Lost a race with another write, or with a create: do it again
		// on what is stored now.
		if !retryOnConflict(ctx, err, false) && !(errors.Is(err, api.ErrAlreadyExists) && ctx.Err() == nil) {
			break
		}
	}
	writeWarnings(w, ignored)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, code, res)
}

func parseApply(r *http.Request, rt *route) (*applyRequest, error) {
	if rt.subresource != "" {
		return nil, unsupportedPatch(fmt.Sprintf("server-side apply to the %s subresource is not supported; apply the object, or patch %s", rt.subresource, rt.subresource))
	}
	q := r.URL.Query()
	req := &applyRequest{manager: q.Get("fieldManager")}
	if req.manager == "" {
		return nil, api.BadRequest("fieldManager: required for server-side apply (application/apply-patch+yaml)")
	}
	switch f := q.Get("force"); f {
	case "", "false":
	case "true":
		req.force = true
	default:
		return nil, api.BadRequest(fmt.Sprintf("force: %q is not a boolean", f))
	}
	var err error
	if req.mode, err = api.ParseFieldValidation(q.Get("fieldValidation")); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, api.TooLarge(err.Error())
	}
	js, err := yaml.YAMLToJSON(body)
	if err != nil {
		return nil, api.BadRequest("the applied configuration is not YAML or JSON: " + err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&req.config); err != nil || req.config == nil {
		return nil, api.BadRequest("the applied configuration must be an object")
	}
	return req, checkApplyIdentity(req.config, rt)
}

// checkApplyIdentity: the configuration names the route's object, and
// carries no patch directives (it is an object, not a patch).
func checkApplyIdentity(config map[string]any, rt *route) error {
	if av, _ := config["apiVersion"].(string); av != rt.kind.APIVersion() {
		return api.BadRequest(fmt.Sprintf("apiVersion: must be %q for %s, not %q", rt.kind.APIVersion(), rt.kind.Resource, av))
	}
	if k, _ := config["kind"].(string); k != rt.kind.Kind {
		return api.BadRequest(fmt.Sprintf("kind: must be %q, not %q", rt.kind.Kind, k))
	}
	md, _ := config["metadata"].(map[string]any)
	if name, _ := md["name"].(string); name != rt.name {
		return api.BadRequest(fmt.Sprintf("metadata.name: %q does not match the name in the URL, %q", name, rt.name))
	}
	if ns, ok := md["namespace"].(string); ok && ns != rt.namespace {
		return api.BadRequest(fmt.Sprintf("metadata.namespace: %q does not match the namespace in the URL, %q", ns, rt.namespace))
	}
	if _, ok := md["managedFields"]; ok {
		return api.BadRequest("metadata.managedFields: must not be set in an applied configuration")
	}
	if d := findDirective(config); d != "" {
		return api.BadRequest(fmt.Sprintf("%s: patch directives are not allowed in an applied configuration", d))
	}
	return nil
}

// findDirective is the path of a "$…" key (a strategic merge patch
// directive), "" when there is none.
func findDirective(v any) string {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if strings.HasPrefix(k, "$") {
				return k
			}
			if d := findDirective(c); d != "" {
				return k + "." + d
			}
		}
	case []any:
		for _, c := range v {
			if d := findDirective(c); d != "" {
				return d
			}
		}
	}
	return ""
}

// applyOp computes the applied object from what is stored now and
// prepares its write (a create, or an update conditional on that version).
func (s *Server) applyOp(rt *route, req *applyRequest, now time.Time) (fsm.Op, []string, error) {
	cur, _ := s.node.Store().Get(rt.kind.Kind, rt.namespace, rt.name)
	var curMap map[string]any
	var entries []api.ManagedFieldsEntry
	if cur != nil {
		b, err := json.Marshal(cur)
		if err == nil {
			err = json.Unmarshal(b, &curMap)
		}
		if err != nil {
			return fsm.Op{}, nil, api.Internal(err)
		}
		entries = cur.GetObjectMeta().ManagedFields
	}
	if err := checkApplyVersion(req.config, cur, rt); err != nil {
		return fsm.Op{}, nil, err
	}
	applied := api.FieldsOf(rt.kind.Kind, req.config)
	entries, removed, err := applyOwnership(rt, req, curMap, entries, applied, now)
	if err != nil {
		return fsm.Op{}, nil, err
	}
	if curMap != nil {
		api.RemoveFields(curMap, removed)
	}
	merged, err := json.Marshal(api.ApplyMerge(rt.kind.Kind, curMap, req.config))
	if err != nil {
		return fsm.Op{}, nil, api.Internal(err)
	}
	obj, ignored, err := api.DecodeKindValidated(rt.kind.Kind, merged, req.mode)
	if err != nil {
		return fsm.Op{}, nil, api.BadRequest(fmt.Sprintf("the applied object is not a valid %s: %v", rt.kind.Kind, err))
	}
	*obj.GetTypeMeta() = api.TypeMeta{APIVersion: rt.kind.APIVersion(), Kind: rt.kind.Kind}
	m := obj.GetObjectMeta()
	m.Name, m.Namespace, m.ManagedFields = rt.name, rt.namespace, entries
	if cur == nil {
		op, err := createOpFor(obj)
		return op, ignored, err
	}
	keepNamespaceFinalizers(obj, cur)
	cm := cur.GetObjectMeta()
	m.UID, m.ResourceVersion = cm.UID, cm.ResourceVersion
	op, err := prepareOp(opFor(rt), obj, cur)
	if err != nil {
		return fsm.Op{}, ignored, err
	}
	if sameObject(obj, cur) {
		return fsm.Op{}, ignored, &unchangedError{obj: cur}
	}
	op.ResourceVersion, op.UID = cm.ResourceVersion, cm.UID
	return op, ignored, nil
}

// unchangedError says an apply changes nothing: obj is the stored object.
type unchangedError struct{ obj api.Object }

func (e *unchangedError) Error() string { return "the object is already as applied" }

// sameObject: the prepared object (defaulted, identity copied) is the
// stored one, managedFields included.
func sameObject(obj, cur api.Object) bool {
	a, err1 := json.Marshal(obj)
	b, err2 := json.Marshal(cur)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// checkApplyVersion: a resourceVersion in the configuration is a
// precondition, as in Kubernetes.
func checkApplyVersion(config map[string]any, cur api.Object, rt *route) error {
	md, _ := config["metadata"].(map[string]any)
	rv, ok := md["resourceVersion"]
	if !ok {
		return nil
	}
	want := fmt.Sprint(rv)
	if cur == nil {
		return api.NotFound(rt.kind.Resource, rt.name)
	}
	if have := cur.GetObjectMeta().ResourceVersion.String(); want != have {
		return api.Conflict(rt.kind.Resource, rt.name, fmt.Sprintf("the object has been modified; resourceVersion %s was applied, the object is at %s", want, have))
	}
	return nil
}

// applyOwnership checks the applied fields against the other managers'
// (a conflict where a value changes, unless forced: then the field is
// taken from them), and answers the new managedFields and the fields to
// remove from the object: those this manager set last time and no longer
// does, and that no other manager owns.
func applyOwnership(rt *route, req *applyRequest, cur map[string]any, entries []api.ManagedFieldsEntry,
	applied api.FieldSet, now time.Time) ([]api.ManagedFieldsEntry, api.FieldSet, error) {
	var conflicts []api.StatusCause
	var mine api.FieldSet
	var mineAt *api.Time
	others := api.FieldSet{}
	var out []api.ManagedFieldsEntry
	for _, e := range entries {
		if e.Manager == req.manager && e.Operation == "Apply" {
			mine, mineAt = e.FieldsV1, e.Time
			continue
		}
		e.FieldsV1 = e.FieldsV1.Clone() // the stored entry is shared: never edit it
		for _, path := range applied.Leaves() {
			if !e.FieldsV1.Has(path) {
				continue
			}
			was, there := api.ValueAt(cur, path)
			if !there {
				// Gone from the object (an update removed it, or it was
				// never stored): the old claim is stale, no conflict.
				e.FieldsV1.Remove(path)
				continue
			}
			want, _ := api.ValueAt(req.config, path)
			if equalJSON(was, want) {
				continue // the same value: both own it
			}
			if req.force {
				e.FieldsV1.Remove(path)
				continue
			}
			p := api.PathString(path)
			conflicts = append(conflicts, api.StatusCause{Type: "FieldManagerConflict", Field: p,
				Message: fmt.Sprintf("conflict with %q: %s", e.Manager, p)})
		}
		if len(e.FieldsV1) > 0 {
			others = others.Union(e.FieldsV1)
			out = append(out, e)
		}
	}
	if len(conflicts) > 0 {
		return nil, nil, applyConflict(rt, conflicts)
	}
	removed := mine.Prune(applied, others)
	if len(applied) > 0 {
		at := api.NewTime(now)
		if mineAt != nil && equalJSON(mine, applied) {
			at = mineAt // the same fields: an unchanged apply writes nothing
		}
		out = append(out, api.ManagedFieldsEntry{Manager: req.manager, Operation: "Apply", APIVersion: rt.kind.APIVersion(),
			Time: at, FieldsType: "FieldsV1", FieldsV1: applied})
	}
	slices.SortStableFunc(out, func(a, b api.ManagedFieldsEntry) int { return strings.Compare(a.Manager, b.Manager) })
	return out, removed, nil
}

func applyConflict(rt *route, causes []api.StatusCause) error {
	msgs := make([]string, len(causes))
	for i, c := range causes {
		msgs[i] = c.Message
	}
	word := "conflicts"
	if len(causes) == 1 {
		word = "conflict"
	}
	e := api.NewStatusError(http.StatusConflict, api.ReasonConflict,
		fmt.Sprintf("Apply failed with %d %s: %s", len(causes), word, strings.Join(msgs, "; ")))
	e.Status.Details = &api.StatusDetails{Name: rt.name, Kind: rt.kind.Resource, Causes: causes}
	return e
}

func equalJSON(a, b any) bool {
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var x, y any
	_ = json.Unmarshal(ab, &x)
	_ = json.Unmarshal(bb, &y)
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
