package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// deletedObject is an object a delete was accepted for, with the uid it
// had (empty when it could not be read first).
type deletedObject struct {
	target
	uid string
}

// waitUntilGone waits, as kubectl delete --wait does, until every deleted
// object is gone: a pod until its node stopped it, an object with
// finalizers until they are done. An object of another uid under the name
// counts as gone. timeout 0 waits as long as it takes (or until Ctrl-C).
func waitUntilGone(ctx context.Context, c *client.Client, objs []deletedObject, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	for _, o := range objs {
		for tick := 50 * time.Millisecond; ; tick = min(2*tick, time.Second) {
			obj, err := c.Get(ctx, o.ki.Kind, o.namespace, o.name, client.GetOptions{})
			if errors.Is(err, api.ErrNotFound) || (err == nil && o.uid != "" && obj.GetObjectMeta().UID != o.uid) {
				break
			}
			if err == nil {
				select {
				case <-time.After(tick):
					continue
				case <-ctx.Done():
					err = ctx.Err()
				}
			}
			return fmt.Errorf("waiting for %s %q to be deleted: %w", lowerKind(o.ki), o.name, err)
		}
	}
	return nil
}
