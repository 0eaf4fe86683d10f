package server

import (
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/barque-io/barque/api"
)

// API discovery, in Kubernetes' shapes, so that clients that discover what
// a server serves before they ask (kubectl, client-go's RESTMapper) find
// Barque's kinds: /api (the core group's versions), /apis (the groups),
// /api/v1 and /apis/GROUP/VERSION (the resources, their verbs, short
// names and subresources), and /version. The aggregated discovery
// documents of Kubernetes 1.30 are not served; clients asking for them
// fall back to these when the answer is plain JSON.

// The Kubernetes release whose API Barque's types follow, as /version
// reports it.
const (
	kubeMajor = "1"
	kubeMinor = "31"
)

type groupVersion struct {
	GroupVersion string `json:"groupVersion"`
	Version      string `json:"version"`
}

type apiGroup struct {
	Name             string         `json:"name"`
	Versions         []groupVersion `json:"versions"`
	PreferredVersion groupVersion   `json:"preferredVersion"`
}

type apiResource struct {
	Name         string   `json:"name"`
	SingularName string   `json:"singularName"`
	Namespaced   bool     `json:"namespaced"`
	Group        string   `json:"group,omitempty"`
	Version      string   `json:"version,omitempty"`
	Kind         string   `json:"kind"`
	Verbs        []string `json:"verbs"`
	ShortNames   []string `json:"shortNames,omitempty"`
	Categories   []string `json:"categories,omitempty"`
}

// objectVerbs are what every kind's resource serves (no deletecollection).
var objectVerbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"}

// inAll are the kinds `kubectl get all` lists, as in Kubernetes.
var inAll = map[string]bool{"Pod": true, "Service": true, "Deployment": true, "ReplicaSet": true,
	"StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true}

// handleDiscovery serves the discovery paths; it reports whether path was
// one.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/api":
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}})
	case path == "/apis":
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": apiGroups()})
	case path == "/api/v1":
		writeResourceList(w, "", "v1")
	case strings.HasPrefix(path, "/apis/") && strings.Count(path, "/") == 3:
		gv := strings.TrimPrefix(path, "/apis/")
		group, version, _ := strings.Cut(gv, "/")
		writeResourceList(w, group, version)
	case strings.HasPrefix(path, "/apis/") && strings.Count(path, "/") == 2:
		name := strings.TrimPrefix(path, "/apis/")
		groups := apiGroups()
		i := slices.IndexFunc(groups, func(g apiGroup) bool { return g.Name == name })
		if i < 0 {
			writeError(w, api.NotFound("group", name))
			return true
		}
		g := groups[i]
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIGroup", "apiVersion": "v1", "name": g.Name,
			"versions": g.Versions, "preferredVersion": g.PreferredVersion})
	default:
		return false
	}
	return true
}

// apiGroups lists the named groups of the registered kinds.
func apiGroups() []apiGroup {
	seen := map[string]bool{}
	var out []apiGroup
	for _, k := range api.Kinds() {
		if k.Group == "" || seen[k.APIVersion()] {
			continue
		}
		seen[k.APIVersion()] = true
		gv := groupVersion{GroupVersion: k.APIVersion(), Version: k.Version}
		if i := slices.IndexFunc(out, func(g apiGroup) bool { return g.Name == k.Group }); i >= 0 {
			out[i].Versions = append(out[i].Versions, gv)
			continue
		}
		out = append(out, apiGroup{Name: k.Group, Versions: []groupVersion{gv}, PreferredVersion: gv})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// writeResourceList answers an APIResourceList for a group version, or 404
// when no kind is served there.
func writeResourceList(w http.ResponseWriter, group, version string) {
	var res []apiResource
	for _, k := range api.Kinds() {
		if k.Group != group || k.Version != version {
			continue
		}
		res = append(res, apiResource{Name: k.Resource, SingularName: strings.ToLower(k.Kind), Namespaced: k.Namespaced,
			Kind: k.Kind, Verbs: objectVerbs, ShortNames: k.ShortNames, Categories: categoriesOf(k)})
		res = append(res, subresourcesOf(k)...)
	}
	gv := version
	if group != "" {
		gv = group + "/" + version
	}
	if len(res) == 0 {
		writeError(w, api.NotFound("group version", gv))
		return
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].Name < res[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res})
}

func categoriesOf(k *api.KindInfo) []string {
	if inAll[k.Kind] {
		return []string{"all"}
	}
	return nil
}

// subresourcesOf lists what parseObjectPath serves under a kind's objects.
func subresourcesOf(k *api.KindInfo) []apiResource {
	sub := func(name, kind string, verbs ...string) apiResource {
		return apiResource{Name: k.Resource + "/" + name, Namespaced: k.Namespaced, Kind: kind, Verbs: verbs}
	}
	var out []apiResource
	if api.FieldOf(k.New(), "Status") != nil {
		out = append(out, sub("status", k.Kind, "get", "patch", "update"))
	}
	if isScalable(k) {
		scale := sub("scale", "Scale", "get", "patch", "update")
		scale.Group, scale.Version = "autoscaling", "v1"
		out = append(out, scale)
	}
	if k.Kind == "Pod" {
		out = append(out, sub("log", "Pod", "get"), sub("exec", "PodExecOptions", "create", "get"))
	}
	return out
}

// handleVersion answers /version as Kubernetes' version.Info: the
// Kubernetes API Barque follows, and the Go it was built with.
func handleVersion(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"major": kubeMajor, "minor": kubeMinor,
		"gitVersion": "v" + kubeMajor + "." + kubeMinor + ".0-barque", "goVersion": runtime.Version(),
		"compiler": runtime.Compiler, "platform": runtime.GOOS + "/" + runtime.GOARCH})
}
