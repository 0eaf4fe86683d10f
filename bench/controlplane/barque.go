package controlplane

import (
	"context"

	"fmt"
	"github.com/barque-io/barque/api/client"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Barque is a three-server Barque control plane run from a built binary.
type Barque struct {
	Bin       string   // path of the barque binary
	ExtraArgs []string // appended to every `barque server` command line
	Token     string   // bearer token for every request, when the API wants one
	// GoClient writes through Barque's Go client, which coalesces the
	// concurrent creates of its goroutines into batch requests, as etcd's
	// Go client multiplexes its puts over one gRPC connection; without it,
	// each create is one hand-made HTTP request (as curl or kubectl would
	// send). cpbench measures both (docs/BENCHMARKS.md).
	GoClient bool
	// Label names the system in reports ("" = "barque").
	Label string

	clients [Members]*client.Client
	own     *client.Client // all members' addresses: writes follow the leader

	procs   [Members]*Proc
	members [Members]barqueMember
	http    *http.Client
}

// barqueMember is what one server is started with.
type barqueMember struct {
	name                           string
	dataDir                        string
	httpPort, raftPort, gossipPort int
	joinGossipPort                 int
}

// barqueServerArgs is the ONE place that knows the flags of `barque server`;
// adjust here when the server's flag names settle. Double dashes work with
// both the standard flag package and cobra/pflag (where "-data-dir" would be
// read as a cluster of one-letter flags). Every member, restarts included,
// joins the gossip port of member 1, as an operator's unit file would.
func barqueServerArgs(m barqueMember) []string {
	return []string{
		"server",
		"--data-dir", m.dataDir,
		"--bind", Loopback,
		"--http-port", strconv.Itoa(m.httpPort),
		"--raft-port", strconv.Itoa(m.raftPort),
		"--gossip-port", strconv.Itoa(m.gossipPort),
		"--bootstrap-expect", strconv.Itoa(Members),
		"--join", fmt.Sprintf("%s:%d", Loopback, m.joinGossipPort),
	}
}

// Name implements System.
func (b *Barque) Name() string {
	if b.Label != "" {
		return b.Label
	}
	return "barque"
}

// Start implements System.
func (b *Barque) Start(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ports, err := FreePorts(3 * Members) // http, raft, gossip per member
	if err != nil {
		return err
	}
	b.http = newHTTPClient(b.Token)
	for i := range b.clients {
		// One client per member, as etcd's benchmark has one clientv3 per
		// member: writers to member i go to it alone.
		c, err := client.New(client.Config{Addresses: []string{b.baseOf(ports[3*i])},
			Transport: b.http.Transport, CoalesceWrites: true})
		if err != nil {
			return err
		}
		b.clients[i] = c
	}
	all := make([]string, Members)
	for i := range all {
		all[i] = b.baseOf(ports[3*i])
	}
	// As a user runs it (BARQUE_ADDR with every server): the client sends
	// each request where the last answer's X-Barque-Leader points.
	if b.own, err = client.New(client.Config{Addresses: all, Transport: b.http.Transport,
		CoalesceWrites: true}); err != nil {
		return err
	}
	for i := 0; i < Members; i++ {
		b.members[i] = barqueMember{
			name:     fmt.Sprintf("s%d", i+1),
			dataDir:  filepath.Join(dir, fmt.Sprintf("s%d", i+1)),
			httpPort: ports[3*i], raftPort: ports[3*i+1], gossipPort: ports[3*i+2],
			joinGossipPort: ports[2],
		}
	}
	for i, m := range b.members {
		args := append(barqueServerArgs(m), b.ExtraArgs...)
		b.procs[i] = &Proc{Name: "barque-" + m.name, Path: b.Bin, Args: args,
			LogPath: filepath.Join(dir, m.name+".log")}
		if err := b.procs[i].Start(); err != nil {
			return err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := b.WaitReady(wctx); err != nil {
		return fmt.Errorf("barque not ready (logs in %s): %w", dir, err)
	}
	return b.ensureNamespace(wctx)
}

// ensureNamespace creates "default" in case the server does not make it on
// bootstrap; 409 AlreadyExists is the expected answer when it does.
func (b *Barque) ensureNamespace(ctx context.Context) error {
	body := strings.NewReader(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base(0)+"/api/v1/namespaces", body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	return drain(resp, http.StatusCreated, http.StatusOK, http.StatusConflict)
}

// newHTTPClient keeps enough idle connections per server for 64 clients so
// every request reuses a keep-alive connection.
func newHTTPClient(token string) *http.Client {
	tr := &http.Transport{
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	if token == "" {
		return &http.Client{Transport: tr}
	}
	return &http.Client{Transport: bearer{token: token, next: tr}}
}

// bearer adds the API token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func (b *Barque) base(i int) string { return b.baseOf(b.members[i].httpPort) }

func (b *Barque) baseOf(port int) string { return fmt.Sprintf("http://%s:%d", Loopback, port) }

// Stop implements System.
func (b *Barque) Stop() {
	for _, p := range b.procs {
		if p != nil {
			p.Stop(5 * time.Second)
		}
	}
	if b.http != nil {
		b.http.CloseIdleConnections()
	}
}

// Kill implements System.
func (b *Barque) Kill(i int) error { return b.procs[i].Kill() }

// Restart implements System: same flags, same data dir.
func (b *Barque) Restart(i int) error { return b.procs[i].Start() }

// PID implements System.
func (b *Barque) PID(i int) int { return b.procs[i].PID() }

// ProbeWriter implements ProbeWriterSystem: one HTTP request per write.
func (b *Barque) ProbeWriter(i int) Writer { return barqueWriter{c: b.http, base: b.base(i)} }

// Writer implements System.
func (b *Barque) Writer(i int) Writer {
	if b.GoClient {
		return clientWriter{c: b.clients[i]}
	}
	return barqueWriter{c: b.http, base: b.base(i)}
}

// OwnWriter implements System: Barque's Go client given every server; nil
// for the plain-HTTP writer, which has no client of its own.
func (b *Barque) OwnWriter() Writer {
	if !b.GoClient {
		return nil
	}
	return clientWriter{c: b.own}
}

// WaitReady implements System: /readyz is 200 on every server ("member of a
// cluster with a leader, store caught up") and they all name the same leader.
func (b *Barque) WaitReady(ctx context.Context) error {
	return pollUntil(ctx, 100*time.Millisecond, b.ready)
}

func (b *Barque) ready(ctx context.Context) error {
	if err := checkRunning(b.procs[:]); err != nil {
		return backoffStop{err}
	}
	leader := -1
	for i := range b.members {
		code, err := getStatus(ctx, b.http, b.base(i)+"/readyz")
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("%s /readyz: %d %v", b.members[i].name, code, err)
		}
		l, err := b.leaderFrom(ctx, i)
		if err != nil {
			return err
		}
		if leader >= 0 && l != leader {
			return fmt.Errorf("servers disagree on the leader (%d vs %d)", leader, l)
		}
		leader = l
	}
	return nil
}

// Leader implements System: GET /v1/status/leader on any live server.
func (b *Barque) Leader(ctx context.Context) (int, error) {
	var last error
	for i := range b.members {
		if !b.procs[i].Running() {
			continue
		}
		l, err := b.leaderFrom(ctx, i)
		if err == nil {
			return l, nil
		}
		last = err
	}
	return -1, fmt.Errorf("no leader: %v", last)
}

// leaderInfo is the body of GET /v1/status/leader.
type leaderInfo struct {
	ID      string `json:"id"`
	Address string `json:"address"` // raft address
	API     string `json:"api"`     // http base URL
}

func (b *Barque) leaderFrom(ctx context.Context, i int) (int, error) {
	var li leaderInfo
	if err := getJSON(ctx, b.http, b.base(i)+"/v1/status/leader", &li); err != nil {
		return -1, fmt.Errorf("%s leader: %w", b.members[i].name, err)
	}
	if idx := b.memberOf(li); idx >= 0 {
		return idx, nil
	}
	return -1, fmt.Errorf("%s names leader %+v, not one of ours", b.members[i].name, li)
}

// memberOf maps the leader's answer to a process. The server picks its own
// id, so match on the ports we gave it (API port, then Raft port), and on
// the id only in case the server was told our name.
func (b *Barque) memberOf(li leaderInfo) int {
	apiPort, raftPort := portOf(li.API), portOf(li.Address)
	for i, m := range b.members {
		if (apiPort != 0 && apiPort == m.httpPort) || (raftPort != 0 && raftPort == m.raftPort) ||
			(li.ID != "" && li.ID == m.name) {
			return i
		}
	}
	return -1
}

// portOf takes the port from "http://h:p", "h:p" or "" (0 when absent).
func portOf(s string) int {
	if u, err := url.Parse(s); err == nil && u.Port() != "" {
		p, _ := strconv.Atoi(u.Port())
		return p
	}
	if u, err := url.Parse("//" + s); err == nil && u.Port() != "" {
		p, _ := strconv.Atoi(u.Port())
		return p
	}
	return 0
}

// API is the base URL of member i's API.
func (b *Barque) API(i int) string { return b.base(i) }

// GossipAddr is member i's gossip address, for agents to -join.
func (b *Barque) GossipAddr(i int) string {
	return fmt.Sprintf("%s:%d", Loopback, b.members[i].gossipPort)
}
