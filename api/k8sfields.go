package api

import (
	"strings"
	"sync"
)

// The Kubernetes field graph (k8sfields_gen.go, generated from k8s.io/api)
// lets the decoder tell a field Kubernetes defines but Barque does not
// implement, which it accepts, drops and names in a warning, from a field
// neither knows, a typo, which it refuses. The graph is a string table so
// that the generated file stays small; it is parsed on first use.

// k8sRef is a place in the Kubernetes graph: the struct type typ seen
// through the containers wrap ("[]" list, "{}" map, outermost first). The
// zero k8sRef is a place Kubernetes has no struct for (a leaf, or a field
// only Barque has), under which every field is unknown.
type k8sRef struct {
	wrap string
	typ  string
}

var k8sGraph struct {
	once  sync.Once
	types map[string]map[string]k8sRef
}

func k8sTypeFields(name string) map[string]k8sRef {
	k8sGraph.once.Do(parseK8sGraph)
	return k8sGraph.types[name]
}

func parseK8sGraph() {
	k8sGraph.types = make(map[string]map[string]k8sRef, len(k8sTypes))
	for name, enc := range k8sTypes {
		fields := map[string]k8sRef{}
		for _, f := range strings.Fields(enc) {
			fname, child, _ := strings.Cut(f, ":")
			ref := k8sRef{}
			for child != "" {
				if w, rest, ok := cutContainer(child); ok {
					ref.wrap += w
					child = rest
					continue
				}
				ref.typ = child
				break
			}
			fields[fname] = ref
		}
		k8sGraph.types[name] = fields
	}
}

func cutContainer(s string) (string, string, bool) {
	if strings.HasPrefix(s, "[]") || strings.HasPrefix(s, "{}") {
		return s[:2], s[2:], true
	}
	return "", s, false
}

// k8sRoot is the place of a kind's top level in the graph; the zero
// k8sRef for a kind Kubernetes does not have (NomadJob).
func k8sRoot(kind string) k8sRef {
	return k8sRef{typ: k8sRoots[kind]}
}

// field is the place of struct field name, and whether Kubernetes has it.
func (r k8sRef) field(name string) (k8sRef, bool) {
	if r.wrap != "" || r.typ == "" {
		return k8sRef{}, false
	}
	f, ok := k8sTypeFields(r.typ)[name]
	return f, ok
}

// elem is the place of a list element ("[]") or map value ("{}").
func (r k8sRef) elem(container string) k8sRef {
	if w, rest, ok := cutContainer(r.wrap); ok && w == container {
		return k8sRef{wrap: rest, typ: r.typ}
	}
	return k8sRef{}
}
