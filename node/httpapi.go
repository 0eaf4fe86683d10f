package node

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/internal/netutil"
)

// agentAPI is the agent's HTTP API: the servers proxy `barque logs` and
// `barque exec` (Kubernetes' pods/log and pods/exec) to it. The node
// advertises its URL in status.attributes["agent.api"].
type agentAPI struct {
	ln  net.Listener
	srv *http.Server
	url string
}

// listenAPI opens the API's listener early, so that its port (possibly
// chosen by the OS) is known before the node registers.
func (a *Agent) listenAPI() error {
	port := a.cfg.APIPort
	switch {
	case port == 0:
		port = DefaultAPIPort
	case port < 0:
		port = 0
	}
	ln, err := netutil.Listen(netutil.JoinHostPort(a.cfg.BindAddr, port))
	if err != nil {
		return err
	}
	ip := a.cfg.AdvertiseAddr
	if ip == "" {
		ip = a.cfg.BindAddr
	}
	if parsed := net.ParseIP(ip); ip == "" || (parsed != nil && parsed.IsUnspecified()) {
		ip = "127.0.0.1"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/pods/{uid}/tasks/{task}/logs", a.handleLogs)
	mux.HandleFunc("POST /v1/pods/{uid}/tasks/{task}/exec", a.handleExec)
	mux.HandleFunc("GET /v1/pods/{uid}/tasks/{task}/exec", a.handleExec) // Kubernetes' WebSocket exec
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	a.api = &agentAPI{ln: ln, url: "http://" + netutil.JoinHostPort(ip, netutil.PortOf(ln)),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	return nil
}

// APIURL is the URL the servers reach the agent's API at.
func (a *Agent) APIURL() string { return a.api.url }

func (a *Agent) serveAPI() {
	if err := a.api.srv.Serve(a.api.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.logger.Error("agent API stopped", "error", err)
	}
}

// close stops the API and cuts open streams (log follows, exec sessions).
func (x *agentAPI) close() {
	if x != nil {
		_ = x.srv.Close()
		_ = x.ln.Close()
	}
}

// writeAPIError answers a Kubernetes Status, as the servers do.
func writeAPIError(w http.ResponseWriter, err error) {
	st := api.AsStatus(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st.Status.Code)
	_ = json.NewEncoder(w).Encode(st.Status)
}

func boolParam(r *http.Request, name string) bool {
	v := strings.ToLower(r.URL.Query().Get(name))
	return v == "true" || v == "1"
}
