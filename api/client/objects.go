package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
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
	// UID, when set, makes the delete conditional on the object's uid: an
	// object created again under the name is left alone.
	UID string
	// GracePeriodSeconds is a pod's grace period (nil: its own,
	// terminationGracePeriodSeconds); 0 removes it at once, as
	// `kubectl delete --force --grace-period=0`.
	GracePeriodSeconds *int64
}

// ListOptions select objects in a list or watch.
type ListOptions struct {
	LabelSelector string
	FieldSelector string
	Stale         bool
	// Limit asks for one page of at most Limit objects; List.Continue
	// then names the next page, which Continue asks for (a watch ignores
	// both).
	Limit    int64
	Continue string
	// ChunkSize, without Limit, reads the whole list in pages of that
	// many objects, as kubectl's --chunk-size does: smaller answers for
	// the server to build, one consistent list for the caller.
	ChunkSize int64
}

// List is the answer to a list: the items and the store index they were
// read at, which is where a watch should start to miss nothing.
type List struct {
	Kind            string // the kind of the items, e.g. "ConfigMap"
	ResourceVersion api.Version
	Items           []api.Object
	// Continue is set on a page (ListOptions.Limit) that more objects
	// follow.
	Continue string
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
	return c.PatchAs(ctx, kind, namespace, name, PatchMerge, sub, mergePatch)
}

// Patch types, the Content-Types Kubernetes names them by.
const (
	PatchMerge     = "application/merge-patch+json"           // RFC 7386
	PatchStrategic = "application/strategic-merge-patch+json" // Kubernetes' (kubectl's default)
	PatchJSON      = "application/json-patch+json"            // RFC 6902
)

// PatchAs applies a patch of patchType (PatchMerge, PatchStrategic or
// PatchJSON) to an object, or to its subresource sub ("" or "/status").
// A lost answer is sent again only when the patch names the
// resourceVersion or uid it applies to.
func (c *Client) PatchAs(ctx context.Context, kind, namespace, name, patchType, sub string, patch []byte) (api.Object, error) {
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, err
	}
	raw, err := c.PatchRaw(ctx, kind, namespace, name, patchType, sub, patch)
	if err != nil {
		return nil, err
	}
	return decodeObject(raw, ki.Kind)
}

// PatchRaw is PatchAs answering the server's JSON as it is: the object,
// or for sub "/scale" its Scale.
func (c *Client) PatchRaw(ctx context.Context, kind, namespace, name, patchType, sub string, patch []byte) ([]byte, error) {
	_, p, err := kindPath(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	body, _, err := c.call(ctx, &request{method: http.MethodPatch, path: p + sub,
		body: patch, contentType: patchType, cas: patchType != PatchJSON && patchIsConditional(patch)})
	return body, err
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
	if c.batch != nil && opts.UID == "" {
		_, err := c.batch.write(ctx, api.WriteBatchItem{Verb: api.BatchDelete, APIVersion: ki.APIVersion(), Kind: ki.Kind,
			Namespace: scopedNamespace(ki, namespace), Name: name, ResourceVersion: opts.ResourceVersion,
			PropagationPolicy: opts.PropagationPolicy, GracePeriodSeconds: opts.GracePeriodSeconds})
		return err
	}
	r := &request{method: http.MethodDelete, path: p, cas: opts.ResourceVersion != 0 || opts.UID != ""}
	q := url.Values{}
	if opts.ResourceVersion != 0 {
		q.Set("resourceVersion", opts.ResourceVersion.String())
	}
	if opts.PropagationPolicy != "" {
		q.Set("propagationPolicy", opts.PropagationPolicy)
	}
	if opts.GracePeriodSeconds != nil {
		q.Set("gracePeriodSeconds", strconv.FormatInt(*opts.GracePeriodSeconds, 10))
	}
	if opts.UID != "" {
		r.body, _ = json.Marshal(map[string]any{"preconditions": map[string]string{"uid": opts.UID}})
	}
	if len(q) > 0 {
		r.query = q
	}
	_, _, err = c.call(ctx, r)
	return err
}

// EndPodDeletion removes a pod a node has stopped, as a kubelet ends a
// graceful deletion: a delete of grace 0, of that uid only. The pod being
// gone already, or replaced by another of its name, is success.
func (c *Client) EndPodDeletion(ctx context.Context, namespace, name, uid string) error {
	zero := int64(0)
	err := c.Delete(ctx, "Pod", namespace, name, DeleteOptions{UID: uid, GracePeriodSeconds: &zero})
	if errors.Is(err, api.ErrNotFound) || errors.Is(err, api.ErrConflict) {
		return nil
	}
	return err
}

// List reads the objects of a kind in namespace ns ("" = all namespaces):
// all of them, one page (opts.Limit), or all of them in pages
// (opts.ChunkSize).
func (c *Client) List(ctx context.Context, kind, ns string, opts ListOptions) (*List, error) {
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, err
	}
	if opts.ChunkSize > 0 && opts.Limit == 0 {
		return c.listInChunks(ctx, ki, ns, opts)
	}
	return c.listPage(ctx, ki, ns, opts)
}

func (c *Client) listPage(ctx context.Context, ki *api.KindInfo, ns string, opts ListOptions) (*List, error) {
	body, _, err := c.call(ctx, &request{method: http.MethodGet, path: collectionPath(ki, ns), query: opts.query()})
	if err != nil {
		return nil, err
	}
	return decodeList(ki.Kind, body)
}

// listInChunks reads a list page by page. The server keeps the pages
// consistent with the first; when it no longer can (410 Expired: the
// list took longer than its history covers), the list is read again
// whole, as client-go's pager does.
func (c *Client) listInChunks(ctx context.Context, ki *api.KindInfo, ns string, opts ListOptions) (*List, error) {
	page := opts
	page.Limit, page.ChunkSize = opts.ChunkSize, 0
	var all *List
	for {
		l, err := c.listPage(ctx, ki, ns, page)
		if errors.Is(err, api.ErrGone) && all != nil {
			whole := opts
			whole.ChunkSize = 0
			return c.listPage(ctx, ki, ns, whole)
		}
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = l
		} else {
			all.Items = append(all.Items, l.Items...)
		}
		if l.Continue == "" {
			all.Continue = ""
			return all, nil
		}
		page.Continue = l.Continue
	}
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
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatInt(o.Limit, 10))
	}
	if o.Continue != "" {
		q.Set("continue", o.Continue)
	}
	return q
}

func decodeList(kind string, body []byte) (*List, error) {
	var wire struct {
		Metadata struct {
			ResourceVersion api.Version `json:"resourceVersion"`
			Continue        string      `json:"continue"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, fmt.Errorf("decoding %s list: %w", kind, err)
	}
	l := &List{Kind: kind, ResourceVersion: wire.Metadata.ResourceVersion, Continue: wire.Metadata.Continue,
		Items: make([]api.Object, 0, len(wire.Items))}
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
