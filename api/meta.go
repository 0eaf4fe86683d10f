// Package api owns Barque's object model: the Go types of every kind, their
// metadata, defaults, validation, label and field selectors, manifest
// decoding (JSON and YAML), and the errors (in the shape of Kubernetes'
// Status) that every layer above reports.
//
// Objects are plain structs in the shape of Kubernetes manifests (apiVersion,
// kind, metadata, spec, status). Stored objects are immutable: code that wants
// to change one works on a copy (see Clone).
package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// TypeMeta names an object's kind and API version, as in every manifest.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// OwnerReference points at the object that owns this one; garbage collection
// follows these.
type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

// ObjectMeta is the metadata every object carries.
//
// ResourceVersion is the Raft index of the log entry that last changed the
// object. On the wire it is a decimal string, as Kubernetes clients expect.
type ObjectMeta struct {
	Name              string  `json:"name,omitempty"`
	GenerateName      string  `json:"generateName,omitempty"`
	Namespace         string  `json:"namespace,omitempty"`
	UID               string  `json:"uid,omitempty"`
	ResourceVersion   Version `json:"resourceVersion,omitempty"`
	Generation        int64   `json:"generation,omitempty"`
	CreationTimestamp *Time   `json:"creationTimestamp,omitempty"`
	DeletionTimestamp *Time   `json:"deletionTimestamp,omitempty"`
	// DeletionGracePeriodSeconds is set with DeletionTimestamp on a pod
	// deleted gracefully: how long its node has to stop it. The pod stays
	// (Terminating) until the node reports it stopped with a delete of
	// grace 0, which sets it to 0 (see HoldingDeletion).
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string `json:"labels,omitempty"`
	Annotations                map[string]string `json:"annotations,omitempty"`
	OwnerReferences            []OwnerReference  `json:"ownerReferences,omitempty" patchStrategy:"merge" patchMergeKey:"uid"`
	Finalizers                 []string          `json:"finalizers,omitempty" patchStrategy:"merge"`
	// ManagedFields records, per server-side apply manager, the fields
	// its last apply set (docs/API.md, "Server-side apply").
	ManagedFields []ManagedFieldsEntry `json:"managedFields,omitempty"`
}

// ManagedFieldsEntry is one manager's fields, as Kubernetes records them.
type ManagedFieldsEntry struct {
	Manager    string   `json:"manager,omitempty"`
	Operation  string   `json:"operation,omitempty"` // "Apply"
	APIVersion string   `json:"apiVersion,omitempty"`
	Time       *Time    `json:"time,omitempty"`
	FieldsType string   `json:"fieldsType,omitempty"` // "FieldsV1"
	FieldsV1   FieldSet `json:"fieldsV1,omitempty"`
}

// Version is a resourceVersion: a Raft index, written as a string in JSON.
type Version uint64

// MarshalJSON writes the version as a decimal string.
func (v Version) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatUint(uint64(v), 10) + `"`), nil
}

// UnmarshalJSON accepts a decimal string or a bare number.
func (v *Version) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		*v = 0
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("resourceVersion %q is not a decimal number", s)
	}
	*v = Version(n)
	return nil
}

// String renders the version as Kubernetes does.
func (v Version) String() string { return strconv.FormatUint(uint64(v), 10) }

// ParseVersion reads a resourceVersion string; "" is 0.
func ParseVersion(s string) (Version, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("resourceVersion %q is not a decimal number", s)
	}
	return Version(n), nil
}

// Time is a timestamp with second precision in RFC 3339, as Kubernetes writes
// metav1.Time. The leader stamps times; the FSM never reads a clock.
type Time struct{ time.Time }

// NewTime wraps t, truncated to the precision that survives JSON.
func NewTime(t time.Time) *Time { return &Time{t.UTC().Truncate(time.Second)} }

// MarshalJSON writes RFC 3339.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	// RFC 3339 text never needs escaping: quote it directly.
	b := make([]byte, 0, len(time.RFC3339)+8)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"'), nil
}

// UnmarshalJSON reads RFC 3339.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	// Every object decoded carries timestamps: a plain quoted string (no
	// escapes, as RFC 3339 text is) skips a whole JSON decode.
	var s string
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		s = string(b[1 : n-1])
	} else if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = p.UTC()
	return nil
}

// Object is what every kind implements.
type Object interface {
	GetTypeMeta() *TypeMeta
	GetObjectMeta() *ObjectMeta
}

// GetTypeMeta returns the type metadata; embedded by every kind.
func (t *TypeMeta) GetTypeMeta() *TypeMeta { return t }

// GetObjectMeta returns the object metadata; embedded by every kind.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// Key is namespace/name (or just name for cluster-scoped objects).
func (m *ObjectMeta) Key() string {
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// Clone deep-copies an object through its JSON form. Stored objects are
// immutable; anything that edits one edits a clone.
func Clone[T Object](obj T) T {
	b, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("api.Clone: marshal %T: %v", obj, err))
	}
	out := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(fmt.Sprintf("api.Clone: unmarshal %T: %v", obj, err))
	}
	return out
}

// FieldOf returns the exported field named name (e.g. "Spec", "Status") of an
// object struct, or nil if the kind has none.
func FieldOf(obj Object, name string) any {
	v := reflect.ValueOf(obj)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	f := v.FieldByName(name)
	if !f.IsValid() {
		return nil
	}
	return f.Interface()
}

// SetField sets the exported field named name of dst to the same field of
// src; both must be the same kind. It reports whether the field exists.
func SetField(dst, src Object, name string) bool {
	d := reflect.ValueOf(dst).Elem().FieldByName(name)
	s := reflect.ValueOf(src).Elem().FieldByName(name)
	if !d.IsValid() || !s.IsValid() {
		return false
	}
	d.Set(s)
	return true
}

// ShallowCopy copies the top-level struct of an object. The copy shares maps
// and slices with the original, which is safe only because stored objects are
// never modified in place; use it to change metadata scalars (such as the
// resourceVersion of a deletion event) cheaply.
func ShallowCopy(obj Object) Object {
	v := reflect.ValueOf(obj).Elem()
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	return c.Interface().(Object)
}
