package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// LeaderInfo names the current Raft leader.
type LeaderInfo struct {
	ID      string `json:"id"`
	Address string `json:"address"` // Raft address
	API     string `json:"api"`     // HTTP API URL
}

// RaftServer is one member of the Raft configuration.
type RaftServer struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	API     string `json:"api"`
	Voter   bool   `json:"voter"`
	Leader  bool   `json:"leader"`
}

// RaftConfiguration is the cluster's membership at a log index.
type RaftConfiguration struct {
	Servers []RaftServer `json:"servers"`
	Index   uint64       `json:"index"`
}

// Leader asks which server leads.
func (c *Client) Leader(ctx context.Context) (LeaderInfo, error) {
	var out LeaderInfo
	err := c.getJSON(ctx, "/v1/status/leader", &out)
	return out, err
}

// RaftConfiguration lists the Raft peers.
func (c *Client) RaftConfiguration(ctx context.Context) (RaftConfiguration, error) {
	var out RaftConfiguration
	err := c.getJSON(ctx, "/v1/operator/raft/configuration", &out)
	return out, err
}

// RemovePeer removes server id from the Raft configuration.
func (c *Client) RemovePeer(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("client: remove peer: empty id")
	}
	_, _, err := c.call(ctx, &request{method: http.MethodDelete, path: "/v1/operator/raft/peer",
		query: url.Values{"id": {id}}})
	return err
}

// TransferLeadership asks the leader to hand over to id, or to any voter
// when id is "". It is a POST: a lost answer is reported, not retried,
// because a second transfer would move leadership again.
func (c *Client) TransferLeadership(ctx context.Context, id string) error {
	r := &request{method: http.MethodPost, path: "/v1/operator/raft/transfer-leadership"}
	if id != "" {
		r.query = url.Values{"id": {id}}
	}
	_, _, err := c.call(ctx, r)
	return err
}

// SnapshotSave streams a snapshot of the cluster state into w.
func (c *Client) SnapshotSave(ctx context.Context, w io.Writer) error {
	res, err := c.do(ctx, &request{method: http.MethodGet, path: "/v1/operator/snapshot", stream: true})
	if err != nil {
		return err
	}
	defer res.cancel()
	defer res.resp.Body.Close()
	if _, err := io.Copy(w, res.resp.Body); err != nil {
		return fmt.Errorf("snapshot save: %w", err)
	}
	return nil
}

// SnapshotRestore replaces the cluster state with the snapshot read from r.
// The snapshot is read into memory first so that a retry on another server
// can send it again.
func (c *Client) SnapshotRestore(ctx context.Context, r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("snapshot restore: reading snapshot: %w", err)
	}
	_, _, err = c.call(ctx, &request{method: http.MethodPut, path: "/v1/operator/snapshot",
		body: body, contentType: "application/octet-stream", slow: true})
	return err
}

func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	body, _, err := c.call(ctx, &request{method: http.MethodGet, path: path})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}
