package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	"github.com/google/uuid"
	"sigs.k8s.io/yaml"
)

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, rt *route) {
	tab, err := asTable(r)
	if err != nil {
		writeError(w, err)
		return
	}
	obj, err := s.readStored(r, rt)
	if err != nil {
		writeError(w, err)
		return
	}
	if tab == nil {
		writeJSON(w, http.StatusOK, obj)
		return
	}
	t, err := tab.build(rt.kind.Kind, []api.Object{obj}, true)
	if err != nil {
		writeError(w, err)
		return
	}
	t.Metadata.ResourceVersion = obj.GetObjectMeta().ResourceVersion.String()
	writeJSON(w, http.StatusOK, t)
}

// readStored reads the route's object, linearizably unless the request
// asks for a stale read.
func (s *Server) readStored(r *http.Request, rt *route) (api.Object, error) {
	if err := s.readBarrier(r); err != nil {
		return nil, err
	}
	obj, _ := s.node.Store().Get(rt.kind.Kind, rt.namespace, rt.name)
	if obj == nil {
		return nil, api.NotFound(rt.kind.Resource, rt.name)
	}
	return obj, nil
}

// handleWrite runs on the leader: decode, default, validate, stamp, then
// propose one op and answer once the local FSM has applied it.
func (s *Server) handleWrite(w http.ResponseWriter, r *http.Request, rt *route, verb string) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	var op fsm.Op
	var ignored []string
	var err error
	dryRun := r.URL.Query()["dryRun"]
	switch verb {
	case "create":
		op, ignored, err = s.createOp(r, rt)
	case "update":
		op, ignored, err = s.updateOp(r, rt)
	case "patch":
		s.handlePatch(ctx, w, r, rt)
		return
	case "delete":
		var bodyDryRun []string
		op, bodyDryRun, err = deleteOp(r, rt)
		dryRun = append(dryRun, bodyDryRun...)
	}
	writeWarnings(w, ignored)
	if err != nil {
		writeError(w, err)
		return
	}
	code := http.StatusOK
	if verb == "create" {
		code = http.StatusCreated
	}
	if dry, err := isDryRun(dryRun); err != nil || dry {
		s.answerDryRun(w, code, op, err)
		return
	}
	if !s.node.IsLeader() {
		raw, err := s.fwd.forward(ctx, op)
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write(append(raw, '\n'))
		return
	}
	if !s.leaderReady.Load() {
		writeError(w, api.Unavailable("the leader is still catching up after its election"))
		return
	}
	res, err := s.proposeOne(ctx, op)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, code, res)
}

func (s *Server) proposeOne(ctx context.Context, op fsm.Op) (api.Object, error) {
	start := time.Now()
	results, _, err := s.node.Propose(ctx, []fsm.Op{op})
	s.metrics.commit.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, err
	}
	if results[0].Err != nil {
		return nil, results[0].Err
	}
	return results[0].Object, nil
}

// decodeBody reads a JSON or YAML body into a new object of the route's
// kind (see decodeAs), under the request's fieldValidation.
func decodeBody(r *http.Request, rt *route) (api.Object, []string, error) {
	mode, err := api.ParseFieldValidation(r.URL.Query().Get("fieldValidation"))
	if err != nil {
		return nil, nil, err
	}
	data, err := readBody(r.Body, r.ContentLength)
	if err != nil {
		return nil, nil, api.TooLarge(fmt.Sprintf("request body: %v", err))
	}
	if ct := r.Header.Get("Content-Type"); strings.Contains(ct, "yaml") {
		if data, err = yaml.YAMLToJSON(data); err != nil {
			return nil, nil, api.BadRequest(fmt.Sprintf("body is not valid YAML: %v", err))
		}
	}
	return decodeAs(data, rt, mode)
}

// decodeAs decodes JSON into a new object of the route's kind. An unknown
// field is a 400 naming it (fieldValidation Strict, the default), or is
// dropped with (Warn) or without (Ignore) a warning. A field Kubernetes
// defines but Barque does not implement is dropped with a warning. It
// returns the warnings, for Warning headers. A body without apiVersion and
// kind is taken to be of the route's kind.
func decodeAs(data []byte, rt *route, mode api.FieldValidation) (api.Object, []string, error) {
	data = withTypeMeta(bytes.TrimSpace(data), rt.kind)
	obj, ignored, err := api.DecodeObjectValidated(data, mode)
	if err != nil {
		return nil, nil, err
	}
	if tm := obj.GetTypeMeta(); tm.Kind != rt.kind.Kind {
		return nil, nil, api.BadRequest(fmt.Sprintf("kind: body is a %q, but the URL is for %s", tm.Kind, rt.kind.Resource))
	}
	m := obj.GetObjectMeta()
	if m.Namespace != "" && rt.namespace != "" && m.Namespace != rt.namespace {
		return nil, nil, api.BadRequest(fmt.Sprintf("metadata.namespace: %q does not match the namespace of the URL (%q)", m.Namespace, rt.namespace))
	}
	m.Namespace = rt.namespace
	return obj, ignored, nil
}

// withTypeMeta fills in apiVersion and kind when a JSON body leaves both out.
func withTypeMeta(data []byte, k *api.KindInfo) []byte {
	if len(data) < 2 || data[0] != '{' {
		return data
	}
	if tm, err := api.PeekTypeMeta(data); err != nil || tm.Kind != "" || tm.APIVersion != "" {
		return data
	}
	head := fmt.Sprintf(`{"apiVersion":%q,"kind":%q`, k.APIVersion(), k.Kind)
	rest := bytes.TrimSpace(data[1:])
	if len(rest) > 0 && rest[0] != '}' {
		head += ","
	}
	return append([]byte(head), rest...)
}

func (s *Server) createOp(r *http.Request, rt *route) (fsm.Op, []string, error) {
	obj, ignored, err := decodeBody(r, rt)
	if err != nil {
		return fsm.Op{}, nil, err
	}
	op, err := createOpFor(obj)
	return op, ignored, err
}

// createOpFor stamps a decoded object's identity and prepares its create.
func createOpFor(obj api.Object) (fsm.Op, error) {
	m := obj.GetObjectMeta()
	if m.Name == "" && m.GenerateName != "" {
		m.Name = m.GenerateName + strings.ReplaceAll(uuid.NewString()[:5], "-", "x")
	}
	// The leader stamps identity and time; the FSM must not.
	m.UID = uuid.NewString()
	m.CreationTimestamp = api.NewTime(time.Now())
	m.ResourceVersion, m.DeletionTimestamp, m.Generation = 0, nil, 0
	api.ResetStatusForCreate(obj)
	if ns, ok := obj.(*api.Namespace); ok && !slices.Contains(ns.Spec.Finalizers, api.FinalizerKubernetes) {
		// As Kubernetes: a deleted namespace stays, Terminating, until the
		// garbage collector has emptied it, so that one created again
		// under its name cannot inherit what it held.
		ns.Spec.Finalizers = append(ns.Spec.Finalizers, api.FinalizerKubernetes)
	}
	return prepareOp(fsm.OpCreate, obj, nil)
}

func (s *Server) updateOp(r *http.Request, rt *route) (fsm.Op, []string, error) {
	obj, ignored, err := decodeBody(r, rt)
	if err != nil {
		return fsm.Op{}, nil, err
	}
	// Immutability is checked against the stored version, read after a
	// read barrier so that a follower has seen every acknowledged write (an
	// update right after a create through another replica must find it).
	// The write itself is still conditional when the client gave a version.
	if err := s.readBarrier(r); err != nil {
		return fsm.Op{}, nil, err
	}
	op, err := s.updateOpFor(obj, rt)
	return op, ignored, err
}

// updateOpFor prepares the update of a decoded object against the stored
// version; the caller has passed a read barrier.
func (s *Server) updateOpFor(obj api.Object, rt *route) (fsm.Op, error) {
	m := obj.GetObjectMeta()
	if m.Name != "" && m.Name != rt.name {
		return fsm.Op{}, api.BadRequest(fmt.Sprintf("metadata.name: %q does not match the name in the URL (%q)", m.Name, rt.name))
	}
	m.Name = rt.name
	old, _ := s.node.Store().Get(rt.kind.Kind, rt.namespace, rt.name)
	if old == nil {
		return fsm.Op{}, api.NotFound(rt.kind.Resource, rt.name)
	}
	keepNamespaceFinalizers(obj, old)
	if m.ManagedFields == nil {
		// As Kubernetes: an update that leaves managedFields out keeps
		// them (clients that never heard of them, Barque's own).
		m.ManagedFields = old.GetObjectMeta().ManagedFields
	}
	op, err := prepareOp(opFor(rt), obj, old)
	op.ResourceVersion, op.UID = m.ResourceVersion, m.UID
	return op, err
}

// writeWarnings answers with a Warning header per warning (ignored or
// dropped fields), in the form Kubernetes uses, so that kubectl and
// Barque's client show them.
func writeWarnings(w http.ResponseWriter, texts []string) {
	for _, text := range texts {
		w.Header().Add("Warning", fmt.Sprintf("299 - %s", quoteWarning(text)))
	}
}

// quoteWarning quotes text as an RFC 7230 quoted-string: only \ and "
// are escaped (strconv.Quote would escape non-ASCII as Go does).
func quoteWarning(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(text) + `"`
}

func opFor(rt *route) fsm.OpType {
	if rt.subresource == "status" {
		return fsm.OpUpdateStatus
	}
	return fsm.OpUpdate
}

// prepareOp applies defaults, encodes the object once for the log entry,
// and validates it (size from that encoding), the same for every write
// path. old is the stored version for updates (nil for creates); status
// updates keep the stored spec, so only the object's own rules apply.
func prepareOp(t fsm.OpType, obj, old api.Object) (fsm.Op, error) {
	defaultObject(obj)
	op, err := fsm.NewOp(t, obj)
	if err != nil {
		return op, api.BadRequest(err.Error())
	}
	if old != nil && t == fsm.OpUpdate {
		return op, api.ValidateUpdateEncoded(old, obj, len(op.Object))
	}
	return op, api.ValidateEncoded(obj, len(op.Object))
}

// deleteOptions is the body Kubernetes clients send with DELETE.
type deleteOptions struct {
	DryRun             []string `json:"dryRun"`
	PropagationPolicy  *string  `json:"propagationPolicy"`
	GracePeriodSeconds *int64   `json:"gracePeriodSeconds"`
	Preconditions      *struct {
		ResourceVersion *string `json:"resourceVersion"`
		UID             *string `json:"uid"`
	} `json:"preconditions"`
}

// deleteOp builds a delete from the request's query and body; it also
// returns the body's dryRun values (DeleteOptions carries them there).
func deleteOp(r *http.Request, rt *route) (fsm.Op, []string, error) {
	rv, err := api.ParseVersion(r.URL.Query().Get("resourceVersion"))
	if err != nil {
		return fsm.Op{}, nil, api.BadRequest(err.Error())
	}
	uid, propagation := "", r.URL.Query().Get("propagationPolicy")
	grace, err := gracePeriodQuery(r)
	if err != nil {
		return fsm.Op{}, nil, err
	}
	var dryRun []string
	body, _ := io.ReadAll(r.Body)
	if len(strings.TrimSpace(string(body))) > 0 {
		var opts deleteOptions
		if err := json.Unmarshal(body, &opts); err != nil {
			return fsm.Op{}, nil, api.BadRequest(fmt.Sprintf("delete options: %v", err))
		}
		dryRun = opts.DryRun
		if p := opts.Preconditions; p != nil {
			if p.ResourceVersion != nil {
				if rv, err = api.ParseVersion(*p.ResourceVersion); err != nil {
					return fsm.Op{}, nil, api.BadRequest("preconditions.resourceVersion: " + err.Error())
				}
			}
			if p.UID != nil {
				uid = *p.UID
			}
		}
		if opts.PropagationPolicy != nil {
			propagation = *opts.PropagationPolicy
		}
		if opts.GracePeriodSeconds != nil {
			grace = opts.GracePeriodSeconds
		}
	}
	op, err := newDeleteOp(rt, rv, uid, propagation, grace)
	return op, dryRun, err
}

// gracePeriodQuery reads a delete's gracePeriodSeconds query parameter
// (nil when absent); DeleteOptions in the body may also carry it.
func gracePeriodQuery(r *http.Request) (*int64, error) {
	text := r.URL.Query().Get("gracePeriodSeconds")
	if text == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, api.BadRequest(fmt.Sprintf("gracePeriodSeconds: Invalid value: %q: must be a whole number of seconds", text))
	}
	return &n, nil
}

// newDeleteOp builds a delete, conditional on rv and uid when they are set.
// grace is the grace period asked for a pod (nil: its own).
func newDeleteOp(rt *route, rv api.Version, uid, propagation string, grace *int64) (fsm.Op, error) {
	// As Kubernetes keeps default, kube-system and kube-public. The
	// barque-system namespace's uid is also the cluster's identity
	// (clusterID).
	if rt.kind.Kind == "Namespace" && slices.Contains(builtinNamespaces, rt.name) {
		return fsm.Op{}, api.Forbidden(fmt.Sprintf("namespaces %q is forbidden: this namespace may not be deleted", rt.name))
	}
	op := fsm.Op{Type: fsm.OpDelete, Kind: rt.kind.Kind, Namespace: rt.namespace, Name: rt.name,
		Time: api.NewTime(time.Now()), ResourceVersion: rv, UID: uid, Propagation: propagation}
	if !api.ValidPropagationPolicy(op.Propagation) {
		return op, api.BadRequest(fmt.Sprintf("propagationPolicy %q: must be Background, Foreground or Orphan", op.Propagation))
	}
	if grace != nil && *grace < 0 {
		return op, api.BadRequest(fmt.Sprintf("gracePeriodSeconds: Invalid value: %d: must be greater than or equal to 0", *grace))
	}
	op.GracePeriodSeconds = grace
	return op, nil
}

// maxPresizedBody bounds the buffer readBody allocates on a client's word
// (an object is at most 1 MiB; a larger batch grows its buffer).
const maxPresizedBody = 2 << 20

// readBody reads a request or response body into a buffer of its announced
// length (Content-Length, -1 when unknown). io.ReadAll grows its buffer
// from 512 bytes by doubling: two to three times the body in garbage on
// every write.
func readBody(r io.Reader, announced int64) ([]byte, error) {
	if announced <= 0 || announced > maxPresizedBody {
		return io.ReadAll(r)
	}
	// One spare byte, so that the read which meets EOF has room.
	buf := make([]byte, 0, announced+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		case len(buf) == cap(buf):
			// Longer than announced: read the rest as io.ReadAll would.
			rest, err := io.ReadAll(r)
			return append(buf, rest...), err
		}
	}
}

// isDryRun reads dryRun as Kubernetes does: "All" runs the write through
// every check and answers with its result, storing nothing; any other
// value is a 400, so that a dry run is never carried out by mistake.
func isDryRun(vals []string) (bool, error) {
	for _, v := range vals {
		if v != "All" {
			return false, api.BadRequest(fmt.Sprintf("dryRun: Unsupported value: %q: supported values: \"All\"", v))
		}
	}
	return len(vals) > 0, nil
}

// answerDryRun answers a dry run with what the write would do against this
// replica's store: the object it would store (201 or 200), or the error.
// The resourceVersion of a would-be object means nothing and is cleared.
func (s *Server) answerDryRun(w http.ResponseWriter, code int, op fsm.Op, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	res := fsm.DryRun(s.node.Store(), op)
	if res.Err != nil {
		writeError(w, res.Err)
		return
	}
	obj := res.Object
	if op.Type != fsm.OpDelete { // a delete's result may be the stored object itself
		obj.GetObjectMeta().ResourceVersion = 0
	}
	writeJSON(w, code, obj)
}

// keepNamespaceFinalizers leaves a namespace's spec.finalizers as stored
// while it is not being deleted, as Kubernetes' update and patch do:
// dropping "kubernetes" would let a delete skip emptying the namespace.
// Once it is terminating they may go (Kubernetes' /finalize): the garbage
// collector releases an emptied namespace so, and an operator may force a
// stuck one.
func keepNamespaceFinalizers(obj, old api.Object) {
	if ns, ok := obj.(*api.Namespace); ok {
		if o, ok := old.(*api.Namespace); ok && o.DeletionTimestamp == nil {
			ns.Spec.Finalizers = o.Spec.Finalizers
		}
	}
}
