package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/barque-io/barque/api"
)

// ErrUnknownOutcome marks a write that was sent but whose answer was lost,
// and that the client may not send again (see safeToRepeat): it may or may
// not have been applied. A 504
// answer means the same and is returned as the server's *api.StatusError
// with reason Timeout; IsUnknownOutcome matches both.
var ErrUnknownOutcome = errors.New("outcome unknown: the request was sent but no answer came back")

const (
	backoffStart = 50 * time.Millisecond
	backoffMax   = 500 * time.Millisecond
)

// request is one API call before it is bound to an address.
type request struct {
	method      string
	path        string
	query       url.Values
	body        []byte
	contentType string
	// stream: the caller reads the body as it arrives (watch, snapshot), so
	// the attempt has no deadline besides ctx.
	stream bool
	// cas: the write is conditional (or idempotent), so it may be sent
	// again after an unknown outcome (safeToRepeat).
	cas bool
	// slow: no per-attempt deadline besides ctx (snapshot restore).
	slow bool
}

// safeToRepeat reports whether the request may be sent again after an
// attempt whose outcome is unknown (sent, answer lost, or 504). A read may.
// A write may only when it is conditional (cas: a resourceVersion or uid
// precondition), so that it can take effect once at most: an
// unconditional update or patch repeated after another writer's
// acknowledged write would overwrite it with a write that had already
// landed before it, and an unconditional delete could remove an object
// created again meanwhile. Those, and creates, end with ErrUnknownOutcome
// instead, as client-go's do. (An idempotent request, such as a node's
// heartbeat, says so with cas.)
func (r *request) safeToRepeat() bool {
	switch r.method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		return false
	}
	return r.cas
}

// afterLostAttempt reads the final answer to a conditional write sent again
// after an attempt whose answer was lost: that attempt may have applied.
// A delete that finds the object gone succeeded (the lost attempt, or
// another writer, removed that version); a conflict may be the lost
// attempt's own doing, so the outcome is unknown.
func afterLostAttempt(r *request, err error) (gone bool, outErr error) {
	var se *api.StatusError
	switch {
	case !errors.As(err, &se):
		return false, err
	case r.method == http.MethodDelete && se.Code() == http.StatusNotFound:
		return true, nil
	case se.Code() == http.StatusConflict:
		return false, outcomeUnknown(err)
	}
	return false, err
}

// failure classes decide what may be retried.
type failure int

const (
	final       failure = iota // an answer to hand back, success or not
	notSent                    // never reached a server: retry any verb
	unavailable                // 503: nothing applied, retry any verb
	unknown                    // sent, answer lost or 504: retry idempotent only
)

// response is an attempt's answer: body read in full unless streaming.
type response struct {
	resp *http.Response
	body []byte
	// cancel releases the attempt's context; streaming callers call it when
	// they are done with resp.Body.
	cancel context.CancelFunc
}

// call runs r and returns the body of a 2xx answer, or an error.
func (c *Client) call(ctx context.Context, r *request) ([]byte, http.Header, error) {
	res, err := c.do(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	res.cancel()
	return res.body, res.resp.Header, nil
}

// do runs r against the addresses with the retry rules of the package
// comment. On success the response is 2xx; an HTTP error becomes a
// *api.StatusError.
func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	deadline := time.Now().Add(c.retryFor)
	addrs := c.addresses()
	start := int(c.preferred.Load())
	backoff := backoffStart
	lost := false // an attempt was sent and its answer lost (or 504)
	for attempt := 0; ; attempt++ {
		i := (start + attempt) % len(addrs)
		res, class, err := c.attempt(ctx, addrs[i], r)
		if class == final {
			if lost && err != nil {
				gone, lerr := afterLostAttempt(r, err)
				if gone {
					return &response{resp: &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, cancel: func() {}}, nil
				}
				return nil, lerr
			}
			c.remember(addrs, i, res)
			return res, err
		}
		if class == unknown {
			if !r.safeToRepeat() {
				return nil, outcomeUnknown(err)
			}
			lost = true
		}
		// Connection failures rotate at once; after a full round, and for
		// every 503 or lost answer, wait so a leader election can finish.
		wait := time.Duration(0)
		if class != notSent || (attempt+1)%len(addrs) == 0 {
			wait, backoff = backoff, min(backoff*2, backoffMax)
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return nil, err
		}
		c.logger.Debug("retrying request", "method", r.method, "path", r.path, "address", addrs[i], "error", err)
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends r once to addr and classifies the result.
func (c *Client) attempt(ctx context.Context, addr string, r *request) (*response, failure, error) {
	actx, cancel := context.WithCancel(ctx)
	if !r.stream && !r.slow {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	})
	req, err := c.newHTTPRequest(actx, addr, r)
	if err != nil {
		cancel()
		return nil, final, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		cancel()
		return nil, classifyTransport(ctx, err, wrote.Load()), fmt.Errorf("%s %s: %w", r.method, req.URL, err)
	}
	c.handleWarnings(resp.Header)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := readError(resp)
		cancel()
		return nil, statusClass(resp.StatusCode), err
	}
	res := &response{resp: resp, cancel: cancel}
	if r.stream {
		return res, final, nil
	}
	res.body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		cancel()
		return nil, classifyTransport(ctx, err, true), fmt.Errorf("%s %s: reading answer: %w", r.method, req.URL, err)
	}
	return res, final, nil
}

func (c *Client) newHTTPRequest(ctx context.Context, addr string, r *request) (*http.Request, error) {
	u := addr + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	return req, nil
}

// classifyTransport: a request that was never written, or whose connection
// never opened, cannot have been applied.
func classifyTransport(ctx context.Context, err error, wrote bool) failure {
	if ctx.Err() != nil {
		return final
	}
	var op *net.OpError
	if !wrote || (errors.As(err, &op) && op.Op == "dial") {
		return notSent
	}
	return unknown
}

func statusClass(code int) failure {
	switch code {
	case http.StatusServiceUnavailable:
		return unavailable
	case http.StatusGatewayTimeout:
		return unknown
	}
	return final
}

// remember makes the address that answered (or the leader it names, when
// that is one of ours) the first one tried next time.
func (c *Client) remember(addrs []string, i int, res *response) {
	if res != nil && res.resp != nil {
		if leader := res.resp.Header.Get("X-Barque-Leader"); leader != "" {
			for j, a := range addrs {
				if a == leader {
					i = j
					break
				}
			}
		}
	}
	c.preferred.Store(int64(i))
}

func outcomeUnknown(err error) error {
	if isStatusTimeout(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
}

// IsUnknownOutcome reports whether err says a write may or may not have
// been applied (a lost answer, or a 504 Timeout from the server).
func IsUnknownOutcome(err error) bool {
	return errors.Is(err, ErrUnknownOutcome) || isStatusTimeout(err)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
