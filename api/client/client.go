// Package client is Barque's Go client: create, read, update, patch, delete,
// list and watch any registered kind, plus the operator endpoints, against a
// set of control-plane replicas.
//
// The client knows several server addresses because any replica may be down
// or may have just lost leadership. It rotates over them and retries only
// where a retry cannot apply a write twice: a request that never reached a
// server, or a 503 (the server guarantees nothing was applied), is retried
// for every verb; a failure after the request was sent (connection reset, 504
// Timeout) is retried only for reads and conditional writes (an update or
// delete with a resourceVersion, a patch naming one or a uid), which can
// take effect once at most. Any other write then ends with
// ErrUnknownOutcome, as does a conditional one whose retry meets a conflict
// (the lost attempt may have applied); a conditional delete whose retry
// finds the object gone succeeded. Coalesced writes follow the same rules.
// Watches resume after a broken stream from the last resourceVersion seen,
// without gap or duplicate.
package client

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultRetryFor         = 10 * time.Second
	DefaultWatchIdleTimeout = 60 * time.Second
)

// Config configures a Client.
type Config struct {
	// Addresses are the API base URLs of the servers, e.g.
	// "http://127.0.0.1:7080". A missing scheme means http.
	Addresses []string
	// Timeout bounds one attempt of a non-streaming request.
	Timeout time.Duration
	// RetryFor bounds how long one call keeps retrying across addresses.
	RetryFor time.Duration
	// WatchIdleTimeout: a watch stream silent this long is taken as broken
	// and resumed. The client always asks for bookmarks, which the server
	// sends every few seconds, so silence means a dead peer, not a quiet kind.
	WatchIdleTimeout time.Duration
	// Logger is optional.
	Logger hclog.Logger
	// Transport overrides the HTTP transport (tests, TLS).
	Transport http.RoundTripper
	// Warnings, when set, is called with each warning the server answers
	// with (fields it ignored); the CLI prints them. Nil drops them.
	Warnings WarningHandler
	// CoalesceWrites makes concurrent Create, Update, Delete and PatchStatus calls share
	// batch requests (POST /v1/batch); each call still gets its own answer
	// and error. For programs that write from many goroutines at once.
	CoalesceWrites bool
	// CoalesceWindow paces coalesced writes: batch requests start at
	// least this far apart, so that writes arriving over a burst share
	// fewer, larger batches. A write after a quiet spell is still sent at
	// once. Zero sends as soon as a sender is free.
	CoalesceWindow time.Duration
}

// Client talks to a Barque cluster. It is safe for concurrent use.
type Client struct {
	addrs    atomic.Pointer[[]string]
	timeout  time.Duration
	retryFor time.Duration
	idle     time.Duration
	logger   hclog.Logger
	warn     WarningHandler
	http     *http.Client
	// preferred is the index of the address that last answered, so that
	// every call starts where the cluster last worked.
	preferred atomic.Int64
	// batch is set when writes are coalesced.
	batch *coalescer
}

// New builds a client from cfg.
func New(cfg Config) (*Client, error) {
	if len(cfg.Addresses) == 0 {
		return nil, errors.New("client: no server addresses")
	}
	addrs := make([]string, 0, len(cfg.Addresses))
	for _, a := range cfg.Addresses {
		norm, err := normalizeAddress(a)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, norm)
	}
	c := &Client{
		timeout:  orDefault(cfg.Timeout, DefaultTimeout),
		retryFor: orDefault(cfg.RetryFor, DefaultRetryFor),
		idle:     orDefault(cfg.WatchIdleTimeout, DefaultWatchIdleTimeout),
		logger:   cfg.Logger,
		warn:     cfg.Warnings,
	}
	if c.logger == nil {
		c.logger = hclog.NewNullLogger()
	}
	c.logger = c.logger.Named("client")
	if cfg.CoalesceWrites {
		c.batch = &coalescer{c: c, window: cfg.CoalesceWindow}
	}
	c.addrs.Store(&addrs)
	rt := cfg.Transport
	if rt == nil {
		rt = newTransport()
	}
	// No http.Client.Timeout: it would cut watch and snapshot streams.
	// Non-streaming attempts get a per-attempt context deadline instead.
	c.http = &http.Client{Transport: rt}
	return c, nil
}

// Addresses returns the server addresses the client rotates over.
func (c *Client) Addresses() []string { return append([]string(nil), c.addresses()...) }

func (c *Client) addresses() []string { return *c.addrs.Load() }

// SetAddresses replaces the server addresses (the node agent follows the
// servers it sees in gossip). An empty list is ignored.
func (c *Client) SetAddresses(addrs []string) error {
	if len(addrs) == 0 {
		return nil
	}
	norm := make([]string, 0, len(addrs))
	for _, a := range addrs {
		n, err := normalizeAddress(a)
		if err != nil {
			return err
		}
		norm = append(norm, n)
	}
	c.preferred.Store(0)
	c.addrs.Store(&norm)
	return nil
}

// newTransport keeps many idle connections per host because benchmarks run
// dozens of concurrent writers against one leader.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

func normalizeAddress(a string) (string, error) {
	a = strings.TrimSpace(a)
	if !strings.Contains(a, "://") {
		a = "http://" + a
	}
	u, err := url.Parse(a)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("client: bad server address %q", a)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
