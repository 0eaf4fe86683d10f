package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// configMapsPath is the collection every Barque workload writes to.
const configMapsPath = "/api/v1/namespaces/default/configmaps"

// groupLabel tags each object with its workload so a member can list just
// that workload's objects.
const groupLabel = "cpbench"

type barqueWriter struct {
	c    *http.Client
	base string
}

// configMap is the smallest ConfigMap the API accepts (docs/API.md).
type configMap struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   cmMeta            `json:"metadata"`
	Data       map[string]string `json:"data,omitempty"`
}

type cmMeta struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Create POSTs a new ConfigMap; a follower forwards it to the leader.
func (w barqueWriter) Create(ctx context.Context, group, key string, value []byte) error {
	body, err := json.Marshal(configMap{
		APIVersion: "v1", Kind: "ConfigMap",
		Metadata: cmMeta{Name: key, Labels: map[string]string{groupLabel: group}},
		Data:     map[string]string{"v": string(value)},
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.base+configMapsPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.c.Do(req)
	if err != nil {
		return err
	}
	return drain(resp, http.StatusCreated, http.StatusOK)
}

// clientWriter creates through Barque's Go client (api/client), whose
// coalescing sends the concurrent creates of all goroutines sharing it in
// batch requests.
type clientWriter struct{ c *client.Client }

// Create implements Writer.
func (w clientWriter) Create(ctx context.Context, group, key string, value []byte) error {
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: key, Namespace: "default",
		Labels: map[string]string{groupLabel: group}}, Data: map[string]string{"v": string(value)}}
	_, err := w.c.Create(ctx, cm)
	return err
}

// drain reads the whole body (so the keep-alive connection is reused) and
// turns an unexpected status into an error carrying the server's message.
func drain(resp *http.Response, ok ...int) error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	for _, c := range ok {
		if resp.StatusCode == c {
			return nil
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
}

// getStatus returns the HTTP status of a GET.
func getStatus(ctx context.Context, c *http.Client, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// getJSON GETs u and decodes a 200 answer into v.
func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return drain(resp, http.StatusOK)
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// Missing implements System. One stale list of the workload's label on
// member i finds most keys at once; each key absent from it is confirmed
// with a stale GET by name, so a server whose list ignores the selector or
// fails still gets a correct (if slower) answer.
func (b *Barque) Missing(ctx context.Context, i int, group string, keys []string) ([]string, error) {
	have := b.listNames(ctx, i, group) // nil on error: fall back to GETs
	var missing []string
	for _, k := range keys {
		if have[k] {
			continue
		}
		code, err := getStatus(ctx, b.http, b.base(i)+configMapsPath+"/"+url.PathEscape(k)+"?stale=true")
		if err != nil {
			return nil, err
		}
		switch code {
		case http.StatusOK:
		case http.StatusNotFound:
			missing = append(missing, k)
		default:
			return nil, fmt.Errorf("GET %s on %s: HTTP %d", k, b.members[i].name, code)
		}
	}
	return missing, nil
}

func (b *Barque) listNames(ctx context.Context, i int, group string) map[string]bool {
	q := url.Values{"stale": {"true"}, "labelSelector": {groupLabel + "=" + group}}
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := getJSON(ctx, b.http, b.base(i)+configMapsPath+"?"+q.Encode(), &list); err != nil {
		return nil
	}
	have := make(map[string]bool, len(list.Items))
	for _, it := range list.Items {
		have[it.Metadata.Name] = true
	}
	return have
}
