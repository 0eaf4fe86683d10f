package client

import (
	"fmt"
	"net/url"

	"github.com/barque-io/barque/api"
)

// kindInfo looks a kind up in the registry.
// kindPath is a kind's description and an object's path.
func kindPath(kind, namespace, name string) (*api.KindInfo, string, error) {
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, "", err
	}
	p, err := objectPath(ki, namespace, name)
	return ki, p, err
}

func kindInfo(kind string) (*api.KindInfo, error) {
	ki, ok := api.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("client: unknown kind %q", kind)
	}
	return ki, nil
}

// collectionPath is the URL of a kind's collection in namespace ns; ns ""
// on a namespaced kind means all namespaces (list and watch only).
func collectionPath(ki *api.KindInfo, ns string) string {
	if ki.Namespaced && ns != "" {
		return ki.PathPrefix() + "/namespaces/" + url.PathEscape(ns) + "/" + ki.Resource
	}
	return ki.PathPrefix() + "/" + ki.Resource
}

// objectPath is the URL of one object. A namespaced kind needs a namespace.
func objectPath(ki *api.KindInfo, ns, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("client: %s name is empty", ki.Kind)
	}
	if ki.Namespaced && ns == "" {
		return "", fmt.Errorf("client: %s %q needs a namespace", ki.Kind, name)
	}
	return collectionPath(ki, ns) + "/" + url.PathEscape(name), nil
}
