package cluster

import (
	"net/http"
	"time"
)

var probe = &http.Client{Timeout: time.Second}

func ready(base string) bool {
	resp, err := probe.Get(base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
