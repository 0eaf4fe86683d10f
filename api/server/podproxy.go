package server

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/barque-io/barque/api"
)

// Pods' log and exec subresources (Kubernetes' pods/log and pods/exec) are
// streams served by the node agent that runs the pod: any replica reads the
// pod and its node, then proxies the request to the agent's API (the URL
// the agent advertises in its Node's status.attributes["agent.api"]).
// Upgraded connections (interactive exec) pass through the proxy.

// isPodStream reports whether sub is a streamed subresource of kind.
func isPodStream(k *api.KindInfo, sub string) bool {
	return k.Kind == "Pod" && (sub == "log" || sub == "exec")
}

func (s *Server) handlePodStream(w http.ResponseWriter, r *http.Request, rt *route) {
	if (rt.subresource == "log" && r.Method != http.MethodGet) ||
		(rt.subresource == "exec" && r.Method != http.MethodPost && r.Method != http.MethodGet) {
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed,
			fmt.Sprintf("method %s is not allowed on pods/%s", r.Method, rt.subresource)))
		return
	}
	if rt.subresource == "exec" && r.Method == http.MethodGet && !websocket.IsWebSocketUpgrade(r) {
		writeError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed,
			"exec with GET needs a WebSocket upgrade (v5.channel.k8s.io); send POST otherwise"))
		return
	}
	defer s.metrics.observe(rt.subresource, rt.kind.Kind)()
	target, err := s.podStreamTarget(r, rt)
	if err != nil {
		writeError(w, err)
		return
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = target.Host
		},
		FlushInterval: -1, // follow logs and exec output as they come
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, api.Unavailable(fmt.Sprintf("the agent of pod %s is unreachable: %v", rt.name, err)))
		},
	}
	proxy.ServeHTTP(w, r)
}

// podStreamTarget resolves the agent URL for the pod's container.
func (s *Server) podStreamTarget(r *http.Request, rt *route) (*url.URL, error) {
	if err := s.readBarrier(r); err != nil {
		return nil, err
	}
	obj, _ := s.node.Store().Get("Pod", rt.namespace, rt.name)
	if obj == nil {
		return nil, api.NotFound("pods", rt.name)
	}
	pod := obj.(*api.Pod)
	if pod.Spec.NodeName == "" {
		return nil, api.BadRequest(fmt.Sprintf("pod %s is not scheduled", rt.name))
	}
	task, err := podContainer(pod, r.URL.Query().Get("container"))
	if err != nil {
		return nil, err
	}
	nobj, _ := s.node.Store().Get("Node", "", pod.Spec.NodeName)
	if nobj == nil {
		return nil, api.Unavailable(fmt.Sprintf("node %s of pod %s is not registered", pod.Spec.NodeName, rt.name))
	}
	base := nobj.(*api.Node).Status.Attributes["agent.api"]
	if base == "" {
		return nil, api.Unavailable(fmt.Sprintf("node %s does not advertise an agent API", pod.Spec.NodeName))
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, api.Unavailable(fmt.Sprintf("node %s advertises a bad agent API URL %q", pod.Spec.NodeName, base))
	}
	what := "logs"
	if rt.subresource == "exec" {
		what = "exec"
	}
	u.Path = "/v1/pods/" + url.PathEscape(pod.UID) + "/tasks/" + url.PathEscape(task) + "/" + what
	u.RawQuery = agentQuery(rt.subresource, r.URL.Query()).Encode()
	return u, nil
}

// podContainer picks the container: the one named, else the only one.
func podContainer(pod *api.Pod, name string) (string, error) {
	var names []string
	for _, c := range append(append([]api.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.Name == name {
			return name, nil
		}
		names = append(names, c.Name)
	}
	var msg string
	switch {
	case name == "" && len(pod.Spec.Containers) == 1:
		return pod.Spec.Containers[0].Name, nil
	case name == "":
		msg = fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(names, " "))
	default:
		msg = fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name)
	}
	e := api.BadRequest(msg)
	e.Status.Details = &api.StatusDetails{Name: pod.Name, Kind: "pods",
		Causes: []api.StatusCause{{Type: "FieldValueInvalid", Message: msg, Field: "container"}}}
	return "", e
}

// agentQuery translates Kubernetes' query parameters to the agent's.
func agentQuery(sub string, q url.Values) url.Values {
	out := url.Values{}
	if sub == "exec" {
		out["command"] = q["command"]
		out.Set("stdin", q.Get("stdin"))
		out.Set("tty", q.Get("tty"))
		for _, stream := range []string{"stdout", "stderr"} { // kubectl sends both
			if v := q.Get(stream); v != "" {
				out.Set(stream, v)
			}
		}
		return out
	}
	out.Set("follow", q.Get("follow"))
	out.Set("previous", q.Get("previous"))
	if t := q.Get("tailLines"); t != "" {
		out.Set("tail", t)
	}
	// Barque's own: resume a broken follow at a byte offset of one stream.
	if b := q.Get("sinceBytes"); b != "" {
		out.Set("sinceBytes", b)
	}
	switch strings.ToLower(q.Get("stream")) {
	case "stdout":
		out.Set("stream", "stdout")
	case "stderr":
		out.Set("stream", "stderr")
	}
	return out
}
