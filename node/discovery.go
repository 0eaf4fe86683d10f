package node

import (
	"context"
	"sort"
	"time"

	"github.com/barque-io/barque/gossip"
)

// serverURLs lists the API URLs of the alive servers seen in gossip.
func (a *Agent) serverURLs() []string {
	var out []string
	for _, m := range a.pool.Servers() {
		if m.Meta.API != "" {
			out = append(out, m.Meta.API)
		}
	}
	sort.Strings(out)
	return out
}

// followServers keeps the client's addresses equal to the servers gossip
// knows, so the agent needs no server list and follows replacements.
func (a *Agent) followServers(ctx context.Context) {
	for {
		changed := a.pool.Changed()
		if urls := a.serverURLs(); len(urls) > 0 {
			if err := a.client.SetAddresses(urls); err != nil {
				a.logger.Warn("bad server address in gossip", "error", err)
			}
		}
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
		case <-ctx.Done():
			return
		}
	}
}

// waitForServers blocks until gossip (or the configured list) names a server.
func (a *Agent) waitForServers(ctx context.Context) error {
	for len(a.serverURLs()) == 0 && len(a.cfg.Servers) == 0 {
		select {
		case <-a.pool.Changed():
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (a *Agent) gossipMeta() gossip.Meta {
	return gossip.Meta{Role: gossip.RoleNode, ID: a.cfg.Name, DC: a.cfg.Datacenter}
}
