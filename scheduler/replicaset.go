package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// ReplicaSetController keeps spec.replicas pods of each ReplicaSet: it
// creates missing pods from the template, deletes extras (unbound, not
// ready and newest first, as Kubernetes ranks them), replaces pods that
// ended (Failed, including those lost with their node, or Succeeded), and
// reports the counts in the status.
//
// It never trusts a memory of what it did: each pass recomputes the pods a
// ReplicaSet owns from the store, which on the leader already holds every
// write this controller made (a write returns once the leader applied it),
// so creations are limited to the difference and a new leader carries on
// from the same count. Deletes are conditional on the pod's version and
// uid, status updates on the ReplicaSet's version.
type ReplicaSetController struct {
	Store  *state.Store
	Writer Writer
	Logger hclog.Logger
	// Workers is how many ReplicaSets are synced at once (default 8).
	Workers int
	// Resync is the period of the full pass (default 30 s).
	Resync time.Duration
}

// Run reconciles until ctx ends.
func (c *ReplicaSetController) Run(ctx context.Context) {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	l := &ownerLoop{store: c.Store, logger: c.Logger, kind: "ReplicaSet", workers: c.Workers,
		resync: c.Resync, keysFor: replicaSetKeysFor, kinds: kindSet("ReplicaSet", "Pod"), sync: c.sync}
	l.run(ctx)
}

var replicaSetKeysFor = keysForOwnerOf("ReplicaSet", "Pod")

func (c *ReplicaSetController) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	view := c.Store.View()
	obj := view.Get("ReplicaSet", ns, name)
	if obj == nil {
		return 0, nil // its pods are the garbage collector's
	}
	rs := obj.(*api.ReplicaSet)
	sel, err := api.SelectorFromLabelSelector(rs.Spec.Selector)
	if err != nil {
		return 0, fmt.Errorf("replicaset %s: selector: %w", key, err)
	}
	pods, err := c.claimPods(ctx, view, rs, sel)
	if err != nil {
		return 0, err
	}
	var writeErr error
	if rs.DeletionTimestamp == nil {
		writeErr = c.manage(ctx, rs, pods)
	}
	// Count what the writes left, from the store that now holds them.
	view = c.Store.View()
	if cur, ok := view.Get("ReplicaSet", ns, name).(*api.ReplicaSet); ok && cur.UID == rs.UID {
		rs = cur
	}
	pods, _ = ownedPods(view, rs, sel)
	status, recheck := replicaSetStatus(rs, pods, time.Now())
	if err := c.updateStatus(ctx, rs, status); err != nil {
		return 0, errors.Join(writeErr, err)
	}
	return recheck, writeErr
}

// ownedPods splits the pods rs controls into those its selector matches and
// those it no longer does.
func ownedPods(view *state.ReadView, rs *api.ReplicaSet, sel api.Selector) (matching, stray []*api.Pod) {
	for _, obj := range ownedBy(view, "Pod", rs.Namespace, rs.UID) {
		p := obj.(*api.Pod)
		if sel.Matches(p.Labels) {
			matching = append(matching, p)
		} else {
			stray = append(stray, p)
		}
	}
	return matching, stray
}

// claimPods returns the pods rs controls that its selector still matches.
// A pod it controls that no longer matches is released, as Kubernetes does
// (its owner reference dropped), so the set no longer counts it.
func (c *ReplicaSetController) claimPods(ctx context.Context, view *state.ReadView, rs *api.ReplicaSet, sel api.Selector) ([]*api.Pod, error) {
	pods, stray := ownedPods(view, rs, sel)
	if rs.DeletionTimestamp != nil {
		return pods, nil
	}
	var errs []error
	for _, p := range stray {
		if err := c.release(ctx, p, rs.UID); err != nil && !raced(err) {
			errs = append(errs, err)
		}
	}
	return pods, errors.Join(errs...)
}

func (c *ReplicaSetController) release(ctx context.Context, p *api.Pod, uid string) error {
	r := api.Clone(p)
	kept := r.OwnerReferences[:0]
	for _, ref := range r.OwnerReferences {
		if ref.UID != uid {
			kept = append(kept, ref)
		}
	}
	r.OwnerReferences = kept
	_, err := c.Writer.Update(ctx, r)
	return err
}

// manage creates or deletes pods so that rs has spec.replicas active ones,
// and deletes the ones that ended.
func (c *ReplicaSetController) manage(ctx context.Context, rs *api.ReplicaSet, pods []*api.Pod) error {
	var active, ended []*api.Pod
	for _, p := range pods {
		switch {
		case p.DeletionTimestamp != nil:
		case api.PodIsTerminal(p):
			ended = append(ended, p)
		default:
			active = append(active, p)
		}
	}
	want := int(replicasOf(rs.Spec.Replicas))
	var errs []error
	if len(ended) > 0 {
		errs = append(errs, c.deletePods(ctx, rs, ended, "ended"))
	}
	switch diff := len(active) - want; {
	case diff < 0:
		errs = append(errs, c.createPods(ctx, rs, freeIndexes(active, min(-diff, maxBurst))))
	case diff > 0:
		rankForDeletion(active)
		errs = append(errs, c.deletePods(ctx, rs, active[:min(diff, maxBurst)], "surplus"))
	}
	return errors.Join(errs...)
}

// createPods creates one pod for each alloc index given.
func (c *ReplicaSetController) createPods(ctx context.Context, rs *api.ReplicaSet, indexes []int) error {
	n := len(indexes)
	created := make([]api.Object, n)
	ok, err := parallel(ctx, n, func(ctx context.Context, i int) error {
		obj, err := c.createPod(ctx, rs, indexes[i])
		created[i] = obj
		return err
	})
	waitForStore(ctx, c.Store, created...)
	c.Logger.Debug("created pods", "replicaset", rs.Key(), "count", ok, "wanted", n)
	if err != nil {
		return fmt.Errorf("replicaset %s: created %d of %d pods: %w", rs.Key(), ok, n, err)
	}
	return nil
}

// createPod creates one pod, trying another name if the first is taken.
func (c *ReplicaSetController) createPod(ctx context.Context, rs *api.ReplicaSet, index int) (api.Object, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var obj api.Object
		p := podFromTemplate(rs)
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[api.AnnotationAllocIndex] = strconv.Itoa(index)
		obj, err = c.Writer.Create(ctx, p)
		if !errors.Is(err, api.ErrAlreadyExists) {
			return obj, err
		}
	}
	return nil, err
}

// freeIndexes picks n alloc indexes the active pods do not hold, lowest
// first, so that a replacement takes the index of the pod it replaces, as
// a Nomad allocation does (NOMAD_ALLOC_INDEX).
func freeIndexes(active []*api.Pod, n int) []int {
	used := map[int]bool{}
	for _, p := range active {
		if i, err := strconv.Atoi(p.Annotations[api.AnnotationAllocIndex]); err == nil {
			used[i] = true
		}
	}
	out := make([]int, 0, n)
	for i := 0; len(out) < n; i++ {
		if !used[i] {
			out = append(out, i)
		}
	}
	return out
}

// podFromTemplate stamps out one unbound pod of rs.
func podFromTemplate(rs *api.ReplicaSet) *api.Pod {
	tpl := cloneTemplate(&rs.Spec.Template)
	p := &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			Name:            generatedName(rs.Name + "-"),
			Namespace:       rs.Namespace,
			Labels:          tpl.Labels,
			Annotations:     tpl.Annotations,
			Finalizers:      tpl.Finalizers,
			OwnerReferences: []api.OwnerReference{controllerRef("apps/v1", "ReplicaSet", &rs.ObjectMeta)},
		},
		Spec: tpl.Spec,
	}
	p.Spec.NodeName = ""
	return p
}

// cloneTemplate deep-copies a pod template.
func cloneTemplate(t *api.PodTemplateSpec) *api.PodTemplateSpec {
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("scheduler: marshal pod template: %v", err))
	}
	var out api.PodTemplateSpec
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("scheduler: unmarshal pod template: %v", err))
	}
	return &out
}

// nameAlphabet is Kubernetes' alphabet for generated names: lowercase
// consonants and digits, so no words are spelled by accident.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// generatedName appends five random characters to base, cut so the result
// stays a valid 63-character label, as Kubernetes' generateName does.
func generatedName(base string) string {
	const maxBase = 63 - 5
	if len(base) > maxBase {
		base = base[:maxBase]
	}
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("scheduler: crypto/rand: %v", err))
	}
	for i := range b {
		b[i] = nameAlphabet[int(b[i])%len(nameAlphabet)]
	}
	return base + string(b)
}

func (c *ReplicaSetController) deletePods(ctx context.Context, rs *api.ReplicaSet, pods []*api.Pod, why string) error {
	return deletePodsOf(ctx, c.Writer, c.Logger, "replicaset "+rs.Key(), pods, why)
}

// replicaSetStatus counts rs's pods. The duration is when the next pod
// becomes available by minReadySeconds alone (0 = none pending).
func replicaSetStatus(rs *api.ReplicaSet, pods []*api.Pod, now time.Time) (api.ReplicaSetStatus, time.Duration) {
	st := api.ReplicaSetStatus{ObservedGeneration: rs.Generation, Conditions: rs.Status.Conditions}
	tplSel := api.SelectorFromSet(rs.Spec.Template.Labels)
	var recheck time.Duration
	for _, p := range pods {
		if p.DeletionTimestamp != nil || api.PodIsTerminal(p) {
			continue
		}
		st.Replicas++
		if tplSel.Matches(p.Labels) {
			st.FullyLabeledReplicas++
		}
		if !podReady(p) {
			continue
		}
		st.ReadyReplicas++
		if wait := untilAvailable(p, rs.Spec.MinReadySeconds, now); wait == 0 {
			st.AvailableReplicas++
		} else if recheck == 0 || wait < recheck {
			recheck = wait
		}
	}
	return st, recheck
}

func (c *ReplicaSetController) updateStatus(ctx context.Context, rs *api.ReplicaSet, st api.ReplicaSetStatus) error {
	if reflect.DeepEqual(rs.Status, st) {
		return nil
	}
	u := api.Clone(rs)
	u.Status = st
	obj, err := c.Writer.UpdateStatus(ctx, u)
	if err != nil {
		return fmt.Errorf("replicaset %s: status: %w", rs.Key(), err)
	}
	waitForStore(ctx, c.Store, obj)
	return nil
}

func replicasOf(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
