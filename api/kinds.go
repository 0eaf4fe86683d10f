package api

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// KindInfo describes one kind: how it is named on the wire and in URLs, and
// how to make an empty value of it.
type KindInfo struct {
	Kind       string // "Deployment"
	Resource   string // "deployments": the URL segment
	Group      string // "" for the core group, "apps", "batch"…
	Version    string // "v1"
	Namespaced bool
	ShortNames []string
	New        func() Object
}

// APIVersion is group/version, or just the version for the core group.
func (k *KindInfo) APIVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// PathPrefix is "/api/v1" for the core group, "/apis/GROUP/VERSION" otherwise.
func (k *KindInfo) PathPrefix() string {
	if k.Group == "" {
		return "/api/" + k.Version
	}
	return "/apis/" + k.Group + "/" + k.Version
}

var (
	kindsByName     = map[string]*KindInfo{}
	kindsByResource = map[string]*KindInfo{}
	kindsByType     = map[reflect.Type]*KindInfo{}
)

// Register adds a kind to the registry. Each kind's file calls it from init.
func Register(k KindInfo) {
	if _, dup := kindsByName[k.Kind]; dup {
		panic("api: kind registered twice: " + k.Kind)
	}
	ki := k
	kindsByName[k.Kind] = &ki
	kindsByResource[k.Group+"/"+k.Resource] = &ki
	kindsByType[reflect.TypeOf(k.New())] = &ki
}

// KindOf finds the kind of an object from its Go type, so that callers need
// not trust (or fill) TypeMeta.
func KindOf(obj Object) (*KindInfo, bool) {
	k, ok := kindsByType[reflect.TypeOf(obj)]
	return k, ok
}

// LookupKind finds a kind by its name ("Pod").
func LookupKind(kind string) (*KindInfo, bool) {
	k, ok := kindsByName[kind]
	return k, ok
}

// LookupResource finds a kind by API group and resource ("apps", "deployments").
func LookupResource(group, resource string) (*KindInfo, bool) {
	k, ok := kindsByResource[group+"/"+resource]
	return k, ok
}

// ResolveName finds a kind from what a user types on the command line: the
// kind, its resource (plural), singular, or a short name, any case.
func ResolveName(s string) (*KindInfo, error) {
	l := strings.ToLower(s)
	for _, k := range kindsByName {
		if strings.ToLower(k.Kind) == l || k.Resource == l || strings.TrimSuffix(k.Resource, "s") == l {
			return k, nil
		}
		for _, sn := range k.ShortNames {
			if sn == l {
				return k, nil
			}
		}
	}
	return nil, fmt.Errorf("the server doesn't have a resource type %q", s)
}

// Kinds lists every registered kind, sorted by name so that callers that
// iterate (snapshots, schemas) are deterministic.
func Kinds() []*KindInfo {
	out := make([]*KindInfo, 0, len(kindsByName))
	for _, k := range kindsByName {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// NewObject makes an empty object of the named kind with its TypeMeta set.
func NewObject(kind string) (Object, error) {
	k, ok := LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	obj := k.New()
	*obj.GetTypeMeta() = TypeMeta{APIVersion: k.APIVersion(), Kind: k.Kind}
	return obj, nil
}
