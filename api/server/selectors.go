package server

import (
	"net/http"

	"github.com/barque-io/barque/api"
)

// selectorsFromQuery turns labelSelector and fieldSelector into one filter;
// nil means "everything".
func selectorsFromQuery(r *http.Request, kind string) (func(api.Object) bool, error) {
	q := r.URL.Query()
	ls, fs := q.Get("labelSelector"), q.Get("fieldSelector")
	if ls == "" && fs == "" {
		return nil, nil
	}
	lsel, err := api.ParseSelector(ls)
	if err != nil {
		return nil, api.BadRequest("labelSelector: " + err.Error())
	}
	fsel, err := api.ParseFieldSelector(fs)
	if err == nil {
		err = fsel.CheckKind(kind)
	}
	if err != nil {
		return nil, api.BadRequest("fieldSelector: " + err.Error())
	}
	return func(obj api.Object) bool {
		return lsel.Matches(obj.GetObjectMeta().Labels) && fsel.Matches(obj)
	}, nil
}
