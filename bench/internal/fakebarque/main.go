// Command fakebarque stands in for `barque server` in cpbench's own tests,
// until the real server lands: it takes the same flags and serves the few
// endpoints of docs/API.md the bench uses. The three "replicas" share one
// directory of files instead of a Raft log, and the leader is the live
// member with the lowest HTTP port. It measures nothing; it only lets the
// Barque code path of the bench (start, ready, leader, kill, restart, loss
// check, RSS) run end to end.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

const cmPath = "/api/v1/namespaces/default/configmaps"

type server struct {
	shared, bind   string
	httpPort, raft int
}

func main() {
	if len(os.Args) < 2 || os.Args[1] != "server" {
		log.Fatal("usage: fakebarque server --data-dir D --bind IP --http-port P --raft-port P ...")
	}
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	dataDir := fs.String("data-dir", "", "")
	s := &server{}
	fs.StringVar(&s.bind, "bind", "127.0.0.1", "")
	fs.IntVar(&s.httpPort, "http-port", 0, "")
	fs.IntVar(&s.raft, "raft-port", 0, "")
	fs.Int("gossip-port", 0, "")
	fs.Int("bootstrap-expect", 3, "")
	fs.String("join", "", "")
	fs.Parse(os.Args[2:])
	s.shared = filepath.Join(filepath.Dir(*dataDir), "fake-shared")
	for _, d := range []string{"objs", "members"} {
		if err := os.MkdirAll(filepath.Join(s.shared, d), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	me := fmt.Sprintf("%d %d", os.Getpid(), s.raft)
	if err := os.WriteFile(filepath.Join(s.shared, "members", strconv.Itoa(s.httpPort)), []byte(me), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(fmt.Sprintf("%s:%d", s.bind, s.httpPort), s))
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/readyz":
	case p == "/v1/status/leader":
		s.leader(w)
	case p == "/api/v1/namespaces" && r.Method == http.MethodPost:
		w.WriteHeader(http.StatusConflict) // "default" always exists here
	case p == cmPath && r.Method == http.MethodPost:
		s.create(w, r)
	case p == "/v1/batch" && r.Method == http.MethodPost:
		s.batch(w, r)
	case p == cmPath && r.Method == http.MethodGet:
		s.list(w, r)
	case strings.HasPrefix(p, cmPath+"/") && r.Method == http.MethodGet:
		if _, err := os.Stat(filepath.Join(s.shared, "objs", filepath.Base(p))); err != nil {
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

// leader names the live member with the lowest HTTP port.
func (s *server) leader(w http.ResponseWriter) {
	ents, _ := os.ReadDir(filepath.Join(s.shared, "members"))
	var ports []int
	raft := map[int]string{}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(s.shared, "members", e.Name()))
		var pid int
		var rp string
		fmt.Sscan(string(b), &pid, &rp)
		if pid > 0 && syscall.Kill(pid, 0) == nil {
			port, _ := strconv.Atoi(e.Name())
			ports = append(ports, port)
			raft[port] = rp
		}
	}
	if len(ports) == 0 {
		http.Error(w, "no leader", http.StatusServiceUnavailable)
		return
	}
	sort.Ints(ports)
	json.NewEncoder(w).Encode(map[string]string{"id": fmt.Sprintf("fake-%d", ports[0]),
		"address": s.bind + ":" + raft[ports[0]], "api": fmt.Sprintf("http://%s:%d", s.bind, ports[0])})
}

type object struct {
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	var o object
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		o = object{}
	}
	code := s.store(o)
	if code != http.StatusCreated {
		http.Error(w, fmt.Sprintf(`{"kind":"Status","code":%d}`, code), code)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// store keeps o and answers the HTTP code a create of it gets.
func (s *server) store(o object) int {
	if o.Metadata.Name == "" || strings.ContainsAny(o.Metadata.Name, "/.") {
		return http.StatusBadRequest
	}
	f, err := os.OpenFile(filepath.Join(s.shared, "objs", o.Metadata.Name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return http.StatusConflict
	} else if err != nil {
		return http.StatusInternalServerError
	}
	json.NewEncoder(f).Encode(o.Metadata.Labels)
	f.Close()
	return http.StatusCreated
}

// batch serves POST /v1/batch (creates only), as Barque's Go client sends.
func (s *server) batch(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Items []struct {
			Verb   string          `json:"verb"`
			Object json.RawMessage `json:"object"`
		} `json:"items"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, `{"kind":"Status","code":400}`, http.StatusBadRequest)
		return
	}
	out := make([]map[string]any, len(b.Items))
	for i, it := range b.Items {
		var o object
		code := http.StatusBadRequest
		if it.Verb == "create" && json.Unmarshal(it.Object, &o) == nil {
			code = s.store(o)
		}
		if code == http.StatusCreated {
			out[i] = map[string]any{"object": it.Object}
		} else {
			out[i] = map[string]any{"status": map[string]any{"kind": "Status", "code": code, "message": http.StatusText(code)}}
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"kind": "WriteBatchResult", "items": out})
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	k, v, _ := strings.Cut(r.URL.Query().Get("labelSelector"), "=")
	ents, _ := os.ReadDir(filepath.Join(s.shared, "objs"))
	items := []any{}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(s.shared, "objs", e.Name()))
		var labels map[string]string
		json.Unmarshal(b, &labels)
		if k == "" || labels[k] == v {
			items = append(items, map[string]any{"metadata": map[string]string{"name": e.Name()}})
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"kind": "ConfigMapList", "apiVersion": "v1", "items": items})
}
