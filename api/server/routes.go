package server

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/barque-io/barque/api"
)

// route is a parsed object path.
type route struct {
	kind        *api.KindInfo
	namespace   string // "" for cluster-scoped kinds and all-namespace lists
	name        string // "" for collections
	subresource string // "status", "" or, for pods, "log" and "exec", for Deployments, ReplicaSets and StatefulSets "scale"
}

// parseObjectPath reads Kubernetes' path shapes:
//
//	/api/v1/{resource}[/{name}[/status]]
//	/api/v1/namespaces/{ns}/{resource}[/{name}[/status]]
//	/apis/{group}/{version}/... the same
func parseObjectPath(path string) (*route, error) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var group, version string
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		group, version, parts = parts[1], parts[2], parts[3:]
	default:
		return nil, api.NotFound("path", path)
	}
	r := &route{}
	// "namespaces/{ns}/{resource}..." scopes to a namespace; "namespaces"
	// alone or "namespaces/{name}" is the Namespace kind itself.
	// (".../namespaces/{name}/status" is the Namespace's own status.)
	nsStatus := len(parts) == 3 && parts[0] == "namespaces" && parts[2] == "status"
	if len(parts) >= 3 && parts[0] == "namespaces" && !nsStatus {
		r.namespace, parts = parts[1], parts[2:]
	}
	k, ok := api.LookupResource(group, parts[0])
	if !ok || k.Version != version {
		return nil, api.NotFound("resource", strings.Trim(group+"/"+version+"/"+parts[0], "/"))
	}
	r.kind = k
	if len(parts) > 1 {
		r.name = parts[1]
	}
	if len(parts) > 2 {
		r.subresource = parts[2]
		known := r.subresource == "status" || isPodStream(k, r.subresource) || (r.subresource == "scale" && isScalable(k))
		if !known || len(parts) > 3 {
			return nil, api.NotFound("subresource", strings.Join(parts[2:], "/"))
		}
	}
	if !k.Namespaced && r.namespace != "" {
		return nil, api.NotFound("resource", fmt.Sprintf("%s is cluster-scoped; it has no namespace %q", k.Resource, r.namespace))
	}
	if k.Namespaced && r.namespace == "" && r.name != "" {
		return nil, api.BadRequest(fmt.Sprintf("%s are namespaced: use /namespaces/{namespace}/%s/%s", k.Resource, k.Resource, r.name))
	}
	return r, nil
}

// routes builds the HTTP handler.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.handleHealthz)
	mux.HandleFunc("/readyz", s.handleReadyz)
	mux.HandleFunc("/v1/status/leader", s.handleLeader)
	mux.HandleFunc("/v1/internal/read-index", s.handleReadIndex)
	mux.HandleFunc(pathPropose, s.handlePropose)
	mux.HandleFunc(pathProposeStream, s.handleProposeStream)
	mux.HandleFunc(api.PathWriteBatch, s.handleWriteBatch)
	mux.HandleFunc("/v1/operator/raft/configuration", s.handleRaftConfiguration)
	mux.HandleFunc("/v1/operator/raft/peer", s.writeOnLeader(s.handleRemovePeer))
	mux.HandleFunc("/v1/operator/raft/transfer-leadership", s.writeOnLeader(s.handleTransferLeadership))
	mux.HandleFunc("/v1/operator/snapshot", s.handleSnapshot)
	mux.HandleFunc(pathHeartbeat, s.writeOnLeader(s.handleHeartbeat))
	mux.Handle("/metrics", s.metrics.handler())
	if s.cfg.EnableDebug {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("/api/", s.handleObjects)
	mux.HandleFunc("/apis/", s.handleObjects)
	mux.HandleFunc("/api", s.handleObjects)
	mux.HandleFunc("/apis", s.handleObjects)
	mux.HandleFunc("/version", handleVersion)
	mux.HandleFunc("/openapi/v2", handleOpenAPIv2)
	mux.HandleFunc("/openapi/v3", handleOpenAPI)
	mux.HandleFunc("/openapi/v3/", handleOpenAPI)
	return s.withCommonHeaders(mux)
}

// handleObjects dispatches every object path by method.
func (s *Server) handleObjects(w http.ResponseWriter, r *http.Request) {
	if s.handleDiscovery(w, r) {
		return
	}
	rt, err := parseObjectPath(r.URL.Path)
	if err != nil {
		writeError(w, err)
		return
	}
	if isPodStream(rt.kind, rt.subresource) {
		s.handlePodStream(w, r, rt)
		return
	}
	if rt.subresource == "scale" {
		s.handleScale(w, r, rt)
		return
	}
	verb := verbOf(r, rt)
	defer s.metrics.observe(verb, rt.kind.Kind)()
	switch verb {
	case "get":
		s.handleGet(w, r, rt)
	case "list":
		s.handleList(w, r, rt)
	case "watch":
		s.handleWatch(w, r, rt)
	case "patch":
		s.writeOnLeader(func(w http.ResponseWriter, r *http.Request) { s.handleWrite(w, r, rt, verb) })(w, r)
	case "create", "update", "delete":
		// Any replica admits these and hands the op to the leader.
		s.handleWrite(w, r, rt, verb)
	default:
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed,
			fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)))
	}
}

// verbOf names the request the way Kubernetes' audit and metrics do.
func verbOf(r *http.Request, rt *route) string {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet:
		if rt.name != "" {
			return "get"
		}
		if w := q.Get("watch"); w == "true" || w == "1" {
			return "watch"
		}
		return "list"
	case http.MethodPost:
		if rt.name == "" {
			return "create"
		}
	case http.MethodPut:
		if rt.name != "" {
			return "update"
		}
	case http.MethodPatch:
		if rt.name != "" {
			return "patch"
		}
	case http.MethodDelete:
		if rt.name != "" {
			return "delete"
		}
	}
	return "unsupported"
}
