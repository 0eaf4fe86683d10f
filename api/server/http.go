package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/barque-io/barque/api"
)

// withCommonHeaders stamps every response with the store index it was served
// at and the leader's API URL, which clients use to follow the leader.
func (s *Server) withCommonHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Barque-Index", strconv.FormatUint(s.node.Store().Index(), 10))
		if id, _ := s.node.Leader(); id != "" {
			if u := s.apiOfServer(id); u != "" {
				w.Header().Set("X-Barque-Leader", u)
			}
		}
		switch r.URL.Path {
		case "/v1/operator/snapshot":
		case pathPropose:
			r.Body = http.MaxBytesReader(w, r.Body, 2*forwardMaxBytes)
		case api.PathWriteBatch:
			r.Body = http.MaxBytesReader(w, r.Body, api.MaxBatchBytes)
		default:
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes any error as a Kubernetes Status body.
func writeError(w http.ResponseWriter, err error) {
	st := api.AsStatus(err)
	if st.Status.Code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, st.Status.Code, st.Status)
}
