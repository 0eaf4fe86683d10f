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

// ErrUnknownOutcome marks a non-idempotent request (a create) that was sent
// but whose answer was lost: it may or may not have been applied. A 504
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
	// slow: no per-attempt deadline besides ctx (snapshot restore).
	slow bool
}

// idempotent reports whether repeating the request after an unknown outcome
// cannot apply it twice. PUT carries the full object (and usually a CAS
// version), PATCH a merge patch (applying one twice gives what applying it
// once gives), DELETE a name: repeating them converges, as if the request
// had been applied only when repeated. A repeated DELETE finds the object
// gone if the lost attempt deleted it; do reports that as the success it
// was (goneAfterLostDelete). A POST (create) is never repeated.
func (r *request) idempotent() bool { return r.method != http.MethodPost }

// goneAfterLostDelete reports whether err, the answer to a repeated DELETE
// whose earlier attempt was sent and lost, is the 404 that attempt caused.
func goneAfterLostDelete(r *request, lostEarlier bool, err error) bool {
	var se *api.StatusError
	return r.method == http.MethodDelete && lostEarlier && errors.As(err, &se) && se.Code() == http.StatusNotFound
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
			if goneAfterLostDelete(r, lost, err) {
				return &response{resp: &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, cancel: func() {}}, nil
			}
			c.remember(addrs, i, res)
			return res, err
		}
		if class == unknown {
			if !r.idempotent() {
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
