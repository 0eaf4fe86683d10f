package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/barque-io/barque/api"
)

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// readError turns a non-2xx answer into a *api.StatusError, so that callers
// can test errors.Is(err, api.ErrNotFound) and friends. Answers that are not
// a Status (a proxy's HTML page) still become one, from the HTTP code.
func readError(resp *http.Response) error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return decodeStatus(resp.StatusCode, body)
}

func decodeStatus(code int, body []byte) *api.StatusError {
	var st api.Status
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		if st.Code == 0 {
			st.Code = code
		}
		if st.Reason == "" {
			st.Reason = reasonForCode(st.Code)
		}
		return &api.StatusError{Status: st}
	}
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		msg = http.StatusText(code)
	}
	return api.NewStatusError(code, reasonForCode(code), fmt.Sprintf("the server answered %d: %s", code, msg))
}

// reasonForCode fills a reason the way the server's table in docs/API.md
// would, for answers that carry none.
func reasonForCode(code int) string {
	switch code {
	case http.StatusBadRequest:
		return api.ReasonBadRequest
	case http.StatusUnauthorized, http.StatusForbidden:
		return api.ReasonUnauthorized
	case http.StatusNotFound:
		return api.ReasonNotFound
	case http.StatusMethodNotAllowed:
		return api.ReasonMethodNotAllowed
	case http.StatusConflict:
		return api.ReasonConflict
	case http.StatusGone:
		return api.ReasonGone
	case http.StatusRequestEntityTooLarge:
		return api.ReasonTooLarge
	case http.StatusUnprocessableEntity:
		return api.ReasonInvalid
	case http.StatusServiceUnavailable:
		return api.ReasonServiceUnavail
	case http.StatusGatewayTimeout:
		return api.ReasonTimeout
	}
	return api.ReasonInternal
}

func isStatusTimeout(err error) bool {
	var se *api.StatusError
	return errors.As(err, &se) && se.Status.Reason == api.ReasonTimeout
}
