package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sync"

	"github.com/barque-io/barque/api"
)

// GetOptions tune a read of one object.
type GetOptions struct {
	// Stale reads the serving replica's store at once instead of a
	// linearizable read.
	Stale bool
}

// DeleteOptions tune a delete.
type DeleteOptions struct {
	// ResourceVersion, when set, makes the delete conditional on it.
	ResourceVersion api.Version
	// PropagationPolicy is Background (default), Foreground or Orphan.
	PropagationPolicy string
}

// ListOptions select objects in a list or watch.
type ListOptions struct {
	LabelSelector string
	FieldSelector string
	Stale         bool
}

// List is the answer to a list: the items and the store index they were
// read at, which is where a watch should start to miss nothing.
type List struct {
	Kind            string // the kind of the items, e.g. "ConfigMap"
	ResourceVersion api.Version
	Items           []api.Object
}

// Create writes a new object (POST). A lost answer is not retried; the
// error then satisfies IsUnknownOutcome.
func (c *Client) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	ki, body, err := encodeObject(obj)
	if err != nil {
		return nil, err
	}
	p := collectionPath(ki, obj.GetObjectMeta().Namespace)
	if ki.Namespaced && obj.GetObjectMeta().Namespace == "" {
		return nil, fmt.Errorf("client: create %s: metadata.namespace is empty", ki.Kind)
	}
	if c.batch != nil {
		return c.batchedObject(ctx, ki, api.WriteBatchItem{Verb: api.BatchCreate, Object: body})
	}
	return c.objectCall(ctx, ki, &request{method: http.MethodPost, path: p, body: body})
}

// Get reads one object. namespace is ignored for cluster-scoped kinds.
func (c *Client) Get(ctx context.Context, kind, namespace, name string, opts GetOptions) (api.Object, error) {
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, err
	}
	p, err := objectPath(ki, namespace, name)
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodGet, path: p}
	if opts.Stale {
		r.query = url.Values{"stale": {"true"}}
	}
	return c.objectCall(ctx, ki, r)
}

// Update replaces an object (PUT). When metadata.resourceVersion is set the
// write is a compare-and-swap and fails with api.ErrConflict if it moved.
func (c *Client) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	return c.put(ctx, obj, "")
}

// UpdateStatus replaces an object's status only (PUT .../status).
func (c *Client) UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error) {
	return c.put(ctx, obj, "/status")
}

func (c *Client) put(ctx context.Context, obj api.Object, sub string) (api.Object, error) {
	ki, body, err := encodeObject(obj)
	if err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	p, err := objectPath(ki, m.Namespace, m.Name)
	if err != nil {
		return nil, err
	}
	if c.batch != nil && sub == "" {
		return c.batchedObject(ctx, ki, api.WriteBatchItem{Verb: api.BatchUpdate, Object: body})
	}
	return c.objectCall(ctx, ki, &request{method: http.MethodPut, path: p + sub, body: body, cas: m.ResourceVersion != 0})
}

// Patch applies a JSON merge patch (RFC 7386) to an object.
func (c *Client) Patch(ctx context.Context, kind, namespace, name string, mergePatch []byte) (api.Object, error) {
	return c.patch(ctx, kind, namespace, name, "", mergePatch)
}

// PatchStatus applies a JSON merge patch to the status subresource.
// With CoalesceWrites, concurrent status patches share batch requests (the
// batch verb patchStatus), as node agents reporting many pods need.
func (c *Client) PatchStatus(ctx context.Context, kind, namespace, name string, mergePatch []byte) (api.Object, error) {
	if c.batch != nil {
		ki, err := kindInfo(kind)
		if err != nil {
			return nil, err
		}
		return c.batchedObject(ctx, ki, api.WriteBatchItem{Verb: api.BatchPatchStatus, APIVersion: ki.APIVersion(), Kind: ki.Kind,
			Namespace: scopedNamespace(ki, namespace), Name: name, Patch: mergePatch})
	}
	return c.patch(ctx, kind, namespace, name, "/status", mergePatch)
}

func (c *Client) patch(ctx context.Context, kind, namespace, name, sub string, mergePatch []byte) (api.Object, error) {
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, err
	}
	p, err := objectPath(ki, namespace, name)
	if err != nil {
		return nil, err
	}
	return c.objectCall(ctx, ki, &request{method: http.MethodPatch, path: p + sub,
		body: mergePatch, contentType: "application/merge-patch+json", cas: patchIsConditional(mergePatch)})
}

// Delete removes an object. Without opts.ResourceVersion, a delete whose
// answer is lost is not sent again (ErrUnknownOutcome); with it, it is,
// and finding the object gone then counts as done.
func (c *Client) Delete(ctx context.Context, kind, namespace, name string, opts DeleteOptions) error {
	ki, err := kindInfo(kind)
	if err != nil {
		return err
	}
	p, err := objectPath(ki, namespace, name)
	if err != nil {
		return err
	}
	if c.batch != nil {
		_, err := c.batch.write(ctx, api.WriteBatchItem{Verb: api.BatchDelete, APIVersion: ki.APIVersion(), Kind: ki.Kind,
			Namespace: scopedNamespace(ki, namespace), Name: name, ResourceVersion: opts.ResourceVersion, PropagationPolicy: opts.PropagationPolicy})
		return err
	}
	r := &request{method: http.MethodDelete, path: p, cas: opts.ResourceVersion != 0}
	q := url.Values{}
	if opts.ResourceVersion != 0 {
		q.Set("resourceVersion", opts.ResourceVersion.String())
	}
	if opts.PropagationPolicy != "" {
		q.Set("propagationPolicy", opts.PropagationPolicy)
	}
	if len(q) > 0 {
		r.query = q
	}
	_, _, err = c.call(ctx, r)
	return err
}

// List reads the objects of a kind in namespace ns ("" = all namespaces).
func (c *Client) List(ctx context.Context, kind, ns string, opts ListOptions) (*List, error) {
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, err
	}
	body, _, err := c.call(ctx, &request{method: http.MethodGet, path: collectionPath(ki, ns), query: opts.query()})
	if err != nil {
		return nil, err
	}
	return decodeList(ki.Kind, body)
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.LabelSelector != "" {
		q.Set("labelSelector", o.LabelSelector)
	}
	if o.FieldSelector != "" {
		q.Set("fieldSelector", o.FieldSelector)
	}
	if o.Stale {
		q.Set("stale", "true")
	}
	return q
}

func decodeList(kind string, body []byte) (*List, error) {
	var wire struct {
		Metadata struct {
			ResourceVersion api.Version `json:"resourceVersion"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, fmt.Errorf("decoding %s list: %w", kind, err)
	}
	l := &List{Kind: kind, ResourceVersion: wire.Metadata.ResourceVersion, Items: make([]api.Object, 0, len(wire.Items))}
	for _, raw := range wire.Items {
		obj, err := decodeObject(raw, kind)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, obj)
	}
	return l, nil
}

// batchedObject sends a coalesced write and decodes the stored object.
func (c *Client) batchedObject(ctx context.Context, ki *api.KindInfo, item api.WriteBatchItem) (api.Object, error) {
	raw, err := c.batch.write(ctx, item)
	if err != nil {
		return nil, err
	}
	return decodeObject(raw, ki.Kind)
}

func (c *Client) objectCall(ctx context.Context, ki *api.KindInfo, r *request) (api.Object, error) {
	body, _, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	return decodeObject(body, ki.Kind)
}

// encodeObject marshals obj with its TypeMeta filled, inferring the kind
// from the Go type when the caller left it empty. obj is never modified:
// it may be an immutable stored object.
func encodeObject(obj api.Object) (*api.KindInfo, []byte, error) {
	kind := obj.GetTypeMeta().Kind
	if kind == "" {
		kind = kindOfType(obj)
	}
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, nil, err
	}
	if obj.GetTypeMeta().Kind == "" || obj.GetTypeMeta().APIVersion == "" {
		// A shallow copy is enough: only its TypeMeta changes.
		obj = api.ShallowCopy(obj)
		*obj.GetTypeMeta() = api.TypeMeta{APIVersion: ki.APIVersion(), Kind: ki.Kind}
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding %s: %w", kind, err)
	}
	return ki, body, nil
}

func kindOfType(obj api.Object) string {
	return kindsByType()[reflect.TypeOf(obj)]
}

// kindsByType maps each kind's Go type to its name, built on first use.
var kindsByType = sync.OnceValue(func() map[reflect.Type]string {
	m := map[reflect.Type]string{}
	for _, ki := range api.Kinds() {
		m[reflect.TypeOf(ki.New())] = ki.Kind
	}
	return m
})

// patchIsConditional reports whether a merge patch names the object's
// resourceVersion or uid, which the server takes as preconditions.
func patchIsConditional(patch []byte) bool {
	var p struct {
		Metadata struct {
			ResourceVersion *string `json:"resourceVersion"`
			UID             *string `json:"uid"`
		} `json:"metadata"`
	}
	return json.Unmarshal(patch, &p) == nil && (p.Metadata.ResourceVersion != nil || p.Metadata.UID != nil)
}
