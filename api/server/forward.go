package server

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/barque-io/barque/api"
)

// leaderProxy forwards writes from a follower to the leader's API.
type leaderProxy struct {
	s      *Server
	client *http.Client
	rp     *httputil.ReverseProxy
}

func newLeaderProxy(s *Server) *leaderProxy {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	p := &leaderProxy{s: s, client: &http.Client{Transport: tr, Timeout: 15 * time.Second}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			target, _ := url.Parse(pr.In.Header.Get(hdrForwardTo))
			pr.SetURL(target)
			pr.Out.Header.Del(hdrForwardTo)
			pr.Out.Header.Set(hdrForwarded, s.id)
			pr.Out.Host = target.Host
		},
		Transport:    tr,
		ErrorHandler: forwardError,
	}
	return p
}

const (
	hdrForwardTo = "X-Barque-Forward-To" // internal: where the proxy sends it
	hdrForwarded = "X-Barque-Forwarded"  // set on forwarded requests
)

// forwardError reports a failed forward. A failure to connect means the
// leader never saw the write (503, safe to retry); any later failure leaves
// the outcome unknown (504).
func forwardError(w http.ResponseWriter, r *http.Request, err error) {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		writeError(w, api.Unavailable("the leader is unreachable: "+err.Error()))
		return
	}
	writeError(w, api.Timeout("forwarding to the leader failed; the write may or may not have been applied: "+err.Error()))
}

// leaderAPI is the leader's API URL, or "" when no leader is known.
func (s *Server) leaderAPI() string {
	id, _ := s.node.Leader()
	if id == "" {
		return ""
	}
	return s.apiOfServer(id)
}

// writeOnLeader runs h on the leader, and forwards the request there from a
// follower. A request that was already forwarded once is never forwarded
// again (leadership moved in between): the client retries instead.
func (s *Server) writeOnLeader(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.node.IsLeader() {
			if !s.leaderReady.Load() {
				writeError(w, api.Unavailable("the leader is still catching up after its election"))
				return
			}
			h(w, r)
			return
		}
		leader := s.leaderAPI()
		if leader == "" || r.Header.Get(hdrForwarded) != "" {
			writeError(w, api.Unavailable("no leader is known right now; retry"))
			return
		}
		r.Header.Set(hdrForwardTo, leader)
		// The leader's answer carries its own index and leader headers;
		// the proxy adds response headers to ours, which would repeat them.
		w.Header().Del("X-Barque-Index")
		w.Header().Del("X-Barque-Leader")
		s.proxy.rp.ServeHTTP(w, r)
	}
}
