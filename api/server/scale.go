package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
)

// scale is autoscaling/v1 Scale, the body of the scale subresource of
// Deployments, ReplicaSets and StatefulSets (kubectl scale, autoscalers).
type scale struct {
	api.TypeMeta `json:",inline"`
	Metadata     api.ObjectMeta `json:"metadata"`
	Spec         scaleSpec      `json:"spec"`
	Status       scaleStatus    `json:"status"`
}

type scaleSpec struct {
	Replicas *int32 `json:"replicas,omitempty"`
}

type scaleStatus struct {
	Replicas int32  `json:"replicas"`
	Selector string `json:"selector,omitempty"`
}

// replicasOf gives access to a scalable object's replica counts.
func replicasOf(obj api.Object) (spec **int32, status int32, sel *api.LabelSelector, ok bool) {
	switch o := obj.(type) {
	case *api.Deployment:
		return &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector, true
	case *api.ReplicaSet:
		return &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector, true
	case *api.StatefulSet:
		return &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector, true
	}
	return nil, 0, nil, false
}

func isScalable(k *api.KindInfo) bool {
	switch k.Kind {
	case "Deployment", "ReplicaSet", "StatefulSet":
		return true
	}
	return false
}

// scaleOf is obj's Scale.
func scaleOf(obj api.Object) scale {
	spec, status, sel, _ := replicasOf(obj)
	m := obj.GetObjectMeta()
	sc := scale{TypeMeta: api.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"},
		Metadata: api.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
			CreationTimestamp: m.CreationTimestamp},
		Status: scaleStatus{Replicas: status}}
	replicas := int32(1) // the default of all three kinds
	if *spec != nil {
		replicas = **spec
	}
	sc.Spec.Replicas = &replicas
	if s, err := api.SelectorFromLabelSelector(sel); err == nil && sel != nil {
		sc.Status.Selector = s.String()
	}
	return sc
}

// handleScale serves {deployments,replicasets,statefulsets}/NAME/scale:
// GET reads the Scale, PUT and PATCH (any patch type) change
// spec.replicas alone, conditional on the version read (or the one the
// body names: 409 when the object changed since).
func (s *Server) handleScale(w http.ResponseWriter, r *http.Request, rt *route) {
	switch r.Method {
	case http.MethodGet:
		defer s.metrics.observe("get", rt.kind.Kind)()
		obj, err := s.readStored(r, rt)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, scaleOf(obj))
	case http.MethodPut, http.MethodPatch:
		defer s.metrics.observe(verbOf(r, rt), rt.kind.Kind)()
		s.writeOnLeader(func(w http.ResponseWriter, r *http.Request) { s.handleScaleWrite(w, r, rt) })(w, r)
	default:
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed,
			fmt.Sprintf("method %s is not allowed on %s/scale", r.Method, rt.kind.Resource)))
	}
}

func (s *Server) handleScaleWrite(w http.ResponseWriter, r *http.Request, rt *route) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, api.TooLarge(err.Error()))
		return
	}
	ch, err := parseScaleChange(r, body)
	if err != nil {
		writeError(w, err)
		return
	}
	dry, err := isDryRun(r.URL.Query()["dryRun"])
	if err != nil {
		writeError(w, err)
		return
	}
	if dry {
		s.answerScaleDryRun(w, rt, ch)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	var res api.Object
	for {
		var op fsm.Op
		if op, err = s.scaleOp(rt, ch); err != nil {
			break // the Scale's own preconditions are final
		}
		res, err = s.proposeOne(ctx, op)
		if !retryOnConflict(ctx, err, ch.named) {
			break
		}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, scaleOf(res))
}

// answerScaleDryRun answers the Scale the change would give, storing
// nothing, with the object's current resourceVersion.
func (s *Server) answerScaleDryRun(w http.ResponseWriter, rt *route, ch scaleChange) {
	op, err := s.scaleOp(rt, ch)
	if err == nil {
		res := fsm.DryRun(s.node.Store(), op)
		if err = res.Err; err == nil {
			res.Object.GetObjectMeta().ResourceVersion = op.ResourceVersion
			writeJSON(w, http.StatusOK, scaleOf(res.Object))
			return
		}
	}
	writeError(w, err)
}

// scaleChange is a PUT's Scale or a PATCH: apply makes the new Scale's
// JSON from the current one's; named says whether it names the
// resourceVersion it applies to (then a conflict is the answer, not a
// reason to try again); mode is its fieldValidation.
type scaleChange struct {
	apply func([]byte) ([]byte, error)
	named bool
	mode  api.FieldValidation
}

func parseScaleChange(r *http.Request, body []byte) (scaleChange, error) {
	mode, err := api.ParseFieldValidation(r.URL.Query().Get("fieldValidation"))
	if err != nil {
		return scaleChange{}, err
	}
	if r.Method == http.MethodPut {
		if isYAML(r.Header.Get("Content-Type")) {
			if body, err = yaml.YAMLToJSON(body); err != nil {
				return scaleChange{}, api.BadRequest("the body is not a Scale: " + err.Error())
			}
		}
		if !json.Valid(body) {
			return scaleChange{}, api.BadRequest("the body is not a Scale: not valid JSON")
		}
		return scaleChange{apply: func([]byte) ([]byte, error) { return body, nil }, named: patchNamesVersion(body), mode: mode}, nil
	}
	kind, err := patchKindOf(r.Header.Get("Content-Type"))
	if err != nil {
		return scaleChange{}, err
	}
	switch kind {
	case strategicPatch:
		kind = mergePatch // a Scale has no list to merge by key
	case applyPatch:
		return scaleChange{}, unsupportedPatch("server-side apply to the scale subresource is not supported; apply the object, or patch scale")
	}
	apply, err := kind.parse(body, "")
	if err != nil {
		return scaleChange{}, err
	}
	return scaleChange{apply: apply, named: kind != jsonPatch && patchNamesVersion(body), mode: mode}, nil
}

func isYAML(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml"
}

// decodeScale reads the new Scale: an unknown field is a 400 under
// Strict (a typo of replicas would otherwise scale to 0), and a body of
// another kind is refused, as Kubernetes does.
func decodeScale(data []byte, mode api.FieldValidation) (scale, error) {
	var sc scale
	dec := json.NewDecoder(bytes.NewReader(data))
	if mode == api.FieldStrict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&sc); err != nil {
		return sc, api.BadRequest("the body is not a Scale: " + err.Error())
	}
	if sc.Kind != "" && sc.Kind != "Scale" {
		return sc, api.BadRequest(fmt.Sprintf("kind: %q: the scale subresource takes a Scale", sc.Kind))
	}
	if sc.APIVersion != "" && sc.APIVersion != "autoscaling/v1" {
		return sc, api.BadRequest(fmt.Sprintf("apiVersion: %q: the scale subresource takes autoscaling/v1", sc.APIVersion))
	}
	return sc, nil
}

// scaleOp applies the change to the stored object's Scale and prepares the
// update of the object with the new spec.replicas, conditional on the
// version read. The Scale's own name, namespace, uid and resourceVersion,
// when given, are preconditions.
func (s *Server) scaleOp(rt *route, ch scaleChange) (fsm.Op, error) {
	cur, _ := s.node.Store().Get(rt.kind.Kind, rt.namespace, rt.name)
	if cur == nil {
		return fsm.Op{}, api.NotFound(rt.kind.Resource, rt.name)
	}
	now, err := json.Marshal(scaleOf(cur))
	if err != nil {
		return fsm.Op{}, api.Internal(err)
	}
	out, err := ch.apply(now)
	if err != nil {
		return fsm.Op{}, err
	}
	want, err := decodeScale(out, ch.mode)
	if err != nil {
		return fsm.Op{}, err
	}
	m := cur.GetObjectMeta()
	if err := scalePreconditions(rt, m, want.Metadata); err != nil {
		return fsm.Op{}, err
	}
	if want.Spec.Replicas == nil {
		// autoscaling/v1 omits a count of 0 (omitempty): client-go's
		// scale to zero sends "spec": {}.
		want.Spec.Replicas = new(int32)
	}
	if *want.Spec.Replicas < 0 {
		return fsm.Op{}, api.Invalid("Scale.autoscaling", rt.name, api.FieldErrors{{Field: "spec.replicas",
			Detail: fmt.Sprintf("Invalid value: %d: must be greater than or equal to 0", *want.Spec.Replicas)}})
	}
	obj := api.Clone(cur)
	spec, _, _, _ := replicasOf(obj)
	*spec = want.Spec.Replicas
	op, err := prepareOp(opFor(&route{kind: rt.kind, namespace: rt.namespace, name: rt.name}), obj, cur)
	if err != nil {
		return fsm.Op{}, err
	}
	op.ResourceVersion, op.UID = m.ResourceVersion, m.UID
	return op, nil
}

func scalePreconditions(rt *route, m *api.ObjectMeta, want api.ObjectMeta) error {
	switch {
	case want.Name != "" && want.Name != rt.name:
		return api.BadRequest(fmt.Sprintf("metadata.name: the Scale's name %q is not the object's, %q", want.Name, rt.name))
	case want.Namespace != "" && want.Namespace != rt.namespace:
		return api.BadRequest(fmt.Sprintf("metadata.namespace: the Scale's namespace %q is not the object's, %q", want.Namespace, rt.namespace))
	case want.UID != "" && want.UID != m.UID:
		return api.Conflict(rt.kind.Resource, rt.name, fmt.Sprintf("Precondition failed: UID in precondition: %s, UID in object meta: %s", want.UID, m.UID))
	case want.ResourceVersion != 0 && want.ResourceVersion != m.ResourceVersion:
		return api.Conflict(rt.kind.Resource, rt.name, fmt.Sprintf(
			"the object has been modified; please apply your changes to the latest version and try again (have %d, stored %d)",
			want.ResourceVersion, m.ResourceVersion))
	}
	return nil
}
