package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/barque-io/barque/api"
)

// Heartbeat tells the leader that node's agent is alive. It writes nothing
// to the log; the answer says whether the stored status needs a real write
// (the node is not Ready) and how often to heartbeat. A PUT: repeating it
// after a lost answer is harmless.
func (c *Client) Heartbeat(ctx context.Context, node string) (api.HeartbeatResponse, error) {
	var out api.HeartbeatResponse
	if node == "" {
		return out, fmt.Errorf("client: heartbeat: empty node name")
	}
	body, _, err := c.call(ctx, &request{method: http.MethodPut, path: "/v1/heartbeat/" + url.PathEscape(node), cas: true /* idempotent */})
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return out, fmt.Errorf("decoding heartbeat answer: %w", err)
	}
	return out, nil
}
