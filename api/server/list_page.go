package server

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/barque-io/barque/api"
)

// listPaging is what a list's query asks about version and paging, read
// as Kubernetes reads limit, continue, resourceVersion and
// resourceVersionMatch.
type listPaging struct {
	limit int
	// at is the index to read at: 0 for the current state.
	at uint64
	// after is the key the page starts after (from a continue token).
	after string
	// continued is set when the list goes on from a continue token.
	continued bool
}

// continueToken is the opaque `continue` of a list page: the index the
// first page was read at (0 once a list went on inconsistently) and the
// key of the last object sent, in Kubernetes' own shape.
type continueToken struct {
	Version string `json:"v"`
	RV      uint64 `json:"rv"`
	Start   string `json:"start"`
}

const continueTokenVersion = "meta.k8s.io/v1"

func encodeContinue(rv uint64, start string) string {
	b, _ := json.Marshal(continueToken{Version: continueTokenVersion, RV: rv, Start: start})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(s, scope string) (continueToken, error) {
	var tok continueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &tok)
	}
	if err == nil && tok.Version != continueTokenVersion {
		err = fmt.Errorf("version %q is not %s", tok.Version, continueTokenVersion)
	}
	if err == nil && (tok.Start == "" || !strings.HasPrefix(tok.Start, scope)) {
		err = fmt.Errorf("it belongs to another list")
	}
	if err != nil {
		return tok, api.BadRequest("continue: Invalid value: the continue token is not valid (" + err.Error() + "); start the list again without it")
	}
	return tok, nil
}

// parseListPaging reads the query. A continue token fixes the version
// itself, so it takes no resourceVersion or resourceVersionMatch. Exact,
// and a resourceVersion other than 0 with a limit (Kubernetes' legacy
// rule), read at that version; everything else reads the current state,
// which is never older than what was asked.
func parseListPaging(r *http.Request, rt *route) (listPaging, error) {
	q := r.URL.Query()
	var p listPaging
	if text := q.Get("limit"); text != "" {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n < 0 {
			return p, api.BadRequest(fmt.Sprintf("limit: Invalid value: %q: must be a non-negative integer", text))
		}
		p.limit = int(min(n, 1<<31))
	}
	rvText, match := q.Get("resourceVersion"), q.Get("resourceVersionMatch")
	if cont := q.Get("continue"); cont != "" {
		if rvText != "" && rvText != "0" {
			return p, api.BadRequest("resourceVersion: Forbidden: specifying resource version is not allowed when using continue")
		}
		if match != "" {
			return p, api.BadRequest("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided")
		}
		tok, err := decodeContinue(cont, namespaceScope(rt))
		if err != nil {
			return p, err
		}
		p.at, p.after, p.continued = tok.RV, tok.Start, true
		return p, nil
	}
	exact, err := listVersionMatch(r)
	if err != nil {
		return p, err
	}
	p.at = uint64(exact)
	if match == "" && p.limit > 0 && rvText != "" && rvText != "0" {
		rv, err := api.ParseVersion(rvText)
		if err != nil {
			return p, api.BadRequest("resourceVersion: " + err.Error())
		}
		p.at = uint64(rv)
	}
	return p, nil
}

// namespaceScope is the key prefix every object of the route's list
// starts with (see state.Key).
func namespaceScope(rt *route) string {
	if rt.namespace == "" {
		return ""
	}
	return rt.namespace + "/"
}

// expiredContinue is the 410 of a list continued from a version the
// history no longer covers, with the token that goes on from now.
func expiredContinue(after string) error {
	err := api.Gone("The provided continue parameter is too old to display a consistent list result. " +
		"You can start a new list without the continue parameter, or use the continue token in this response " +
		"to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent " +
		"list - objects that were created, modified, or deleted between the time the first chunk was returned " +
		"and now may show up in the list.")
	err.Status.Metadata.Continue = encodeContinue(0, after)
	return err
}
