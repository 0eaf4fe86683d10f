package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// A persistentVolumeClaim volume is a directory that outlives the pod:
// <data-dir>/volumes/<namespace>/<claim>/<claim uid>. The claim's uid is in
// the path so that a claim deleted and made again under the same name (a
// StatefulSet's claim released by its user) starts empty, even on a node
// that has not yet swept the old one. The directory is removed once the
// claim object is gone and no pod on this node uses the claim any more.

// claimSweepEvery is the safety net's period: deletions are acted on as the
// claim watch reports them, and whenever a pod stops.
const claimSweepEvery = time.Minute

func (a *Agent) claimsRoot() string { return filepath.Join(a.cfg.DataDir, "volumes") }

func (a *Agent) claimDir(ns, name, uid string) string {
	return filepath.Join(a.claimsRoot(), ns, name, uid)
}

// claimVolume finds the claim a pod's volume names and makes its directory.
// A claim bound to another node is refused: its data is not here.
func (a *Agent) claimVolume(ctx context.Context, pod *api.Pod, src *api.PersistentVolumeClaimVolumeSource) (string, error) {
	obj, err := a.client.Get(ctx, "PersistentVolumeClaim", pod.Namespace, src.ClaimName, client.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("persistentvolumeclaim %q: %w", src.ClaimName, err)
	}
	c := obj.(*api.PersistentVolumeClaim)
	if n := c.ClaimNode(); n != "" && n != a.cfg.Name {
		return "", fmt.Errorf("persistentvolumeclaim %q is bound to node %s, not %s", src.ClaimName, n, a.cfg.Name)
	}
	dir := a.claimDir(pod.Namespace, c.Name, c.UID)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", err
	}
	return dir, nil
}

// claimReadOnly reports whether the pod's volume is a claim mounted
// read-only by its source, which overrides the mount's own setting.
func claimReadOnly(pod *api.Pod, volume string) bool {
	for _, v := range pod.Spec.Volumes {
		if v.Name == volume && v.PersistentVolumeClaim != nil {
			return v.PersistentVolumeClaim.ReadOnly
		}
	}
	return false
}

// kickClaims asks for a sweep (a pod stopped: its claims may be free).
func (a *Agent) kickClaims() {
	select {
	case a.claimKick <- struct{}{}:
	default:
	}
}

// runClaims sweeps claim directories once the pods were first listed (so
// that the pods this node still runs are known), then on every claim
// deletion the watch reports, every time a pod stops, and every minute.
func (a *Agent) runClaims(ctx context.Context) {
	select {
	case <-a.podsListed:
	case <-ctx.Done():
		return
	}
	tick := time.NewTicker(claimSweepEvery)
	defer tick.Stop()
	for ctx.Err() == nil {
		w, err := a.client.Watch(ctx, "PersistentVolumeClaim", "", client.WatchOptions{})
		if err != nil {
			a.logger.Debug("watching claims failed", "error", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		a.sweepClaims(ctx) // deletions missed while not watching
		a.followClaims(ctx, w, tick.C)
		w.Stop()
	}
}

func (a *Agent) followClaims(ctx context.Context, w *client.Watcher, tick <-chan time.Time) {
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok || ev.Err != nil {
				return
			}
			if ev.Type == client.EventDeleted {
				a.sweepClaims(ctx)
			}
		case <-a.claimKick:
			a.sweepClaims(ctx)
		case <-tick:
			a.sweepClaims(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// claimsInUse is namespace/claim for every claim a pod on this node mounts.
func (a *Agent) claimsInUse() map[string]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]bool{}
	for _, w := range a.workers {
		pod := w.currentPod()
		for _, v := range pod.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				out[pod.Namespace+"/"+v.PersistentVolumeClaim.ClaimName] = true
			}
		}
	}
	return out
}

// sweepClaims removes the directory of every claim that no pod here uses
// and whose claim object is gone (or is another claim of the same name).
// The servers decide: a claim that cannot be read now is kept.
func (a *Agent) sweepClaims(ctx context.Context) {
	inUse := a.claimsInUse()
	nss, _ := os.ReadDir(a.claimsRoot())
	for _, ns := range nss {
		nsDir := filepath.Join(a.claimsRoot(), ns.Name())
		claims, _ := os.ReadDir(nsDir)
		for _, cl := range claims {
			if !inUse[ns.Name()+"/"+cl.Name()] {
				a.sweepClaim(ctx, ns.Name(), cl.Name())
			}
		}
		_ = os.Remove(nsDir) // only when empty
	}
}

func (a *Agent) sweepClaim(ctx context.Context, ns, name string) {
	dir := filepath.Join(a.claimsRoot(), ns, name)
	uids, _ := os.ReadDir(dir)
	if len(uids) > 0 {
		obj, err := a.client.Get(ctx, "PersistentVolumeClaim", ns, name, client.GetOptions{})
		if err != nil && !errors.Is(err, api.ErrNotFound) {
			return
		}
		for _, u := range uids {
			if obj != nil && obj.GetObjectMeta().UID == u.Name() {
				continue
			}
			if err := os.RemoveAll(filepath.Join(dir, u.Name())); err != nil {
				a.logger.Warn("removing a deleted claim's directory failed", "claim", ns+"/"+name, "error", err)
				continue
			}
			a.logger.Info("removed the directory of a deleted claim", "claim", ns+"/"+name, "claim_uid", u.Name())
		}
	}
	_ = os.Remove(dir) // only when empty
}
