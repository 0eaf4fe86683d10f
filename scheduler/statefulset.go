package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// StatefulSetController keeps the pods of each StatefulSet as Kubernetes
// does: pods named NAME-0 … NAME-(n-1), each with its hostname and the
// set's serviceName as subdomain. OrderedReady (the default) creates
// ordinal i only once 0…i-1 are Running and Ready, and scales down from
// the highest ordinal, one pod at a time, each gone before the next;
// Parallel creates and deletes all at once. A pod that failed is deleted
// and recreated under the same name, except one lost with its node while
// the Node object still exists (see stsView.lostOnLiveNode). RollingUpdate
// deletes pods whose controller-revision-hash differs from the template's,
// from the highest ordinal down to the partition, one at a time, each once
// the one before it is back and Ready; OnDelete waits for the user to
// delete them. volumeClaimTemplates give each ordinal claims that outlive
// its pods, bound to one node, where its later pods are pinned
// (statefulset_claims.go).
//
// Like the other controllers it keeps no memory between passes: each pass
// reads the set's pods from the store, and every write is conditional on
// what it read (a pod's version and uid; the set's version for status).
type StatefulSetController struct {
	Store  *state.Store
	Writer Writer
	Logger hclog.Logger
	// Workers is how many StatefulSets are synced at once (default 8).
	Workers int
	// Resync is the period of the full pass (default 30 s).
	Resync time.Duration
}

// Run reconciles until ctx ends.
func (c *StatefulSetController) Run(ctx context.Context) {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	l := &ownerLoop{store: c.Store, logger: c.Logger, kind: "StatefulSet", workers: c.Workers,
		resync: c.Resync, keysFor: statefulSetKeysFor, kinds: kindSet("StatefulSet", "Pod", "PersistentVolumeClaim", "Node"), sync: c.sync}
	l.run(ctx)
}

// statefulSetKeysFor maps a change to the StatefulSets it concerns: the set
// itself, the set controlling a pod, the sets a claim may belong to, or,
// when a Node object is deleted, the sets with pods on it (their lost pods
// may now be replaced), and when one comes or goes, the sets with claims
// bound to it.
func statefulSetKeysFor(view *state.ReadView, ev state.Event) []string {
	m := ev.Object.GetObjectMeta()
	switch ev.Kind {
	case "StatefulSet":
		return []string{m.Key()}
	case "Pod":
		if ref := controllerOf(m); ref != nil && ref.Kind == "StatefulSet" {
			return []string{m.Namespace + "/" + ref.Name}
		}
	case "PersistentVolumeClaim":
		return claimKeysFor(view, m)
	case "Node":
		if ev.Type == state.Added {
			return nodeClaimKeysFor(view, m.Name)
		}
		if ev.Type != state.Deleted {
			return nil
		}
		keys := nodeClaimKeysFor(view, m.Name)
		for _, obj := range view.ByIndex("Pod", state.IndexNode, m.Name) {
			pm := obj.GetObjectMeta()
			if ref := controllerOf(pm); ref != nil && ref.Kind == "StatefulSet" {
				keys = append(keys, pm.Namespace+"/"+ref.Name)
			}
		}
		return keys
	}
	return nil
}

func (c *StatefulSetController) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	view := c.Store.View()
	set, ok := view.Get("StatefulSet", ns, name).(*api.StatefulSet)
	if !ok {
		return 0, nil // its pods are the garbage collector's
	}
	sel, err := api.SelectorFromLabelSelector(set.Spec.Selector)
	if err != nil {
		return 0, fmt.Errorf("statefulset %s: selector: %w", key, err)
	}
	rev := stsRevisions{update: statefulSetRevision(set)}
	rev.current = set.Status.CurrentRevision
	if rev.current == "" {
		rev.current = rev.update
	}
	var writeErr error
	if set.DeletionTimestamp == nil {
		writeErr = c.manage(ctx, view, set, rev, statefulPods(view, set, sel))
		view = c.Store.View()
		if cur, ok := view.Get("StatefulSet", ns, name).(*api.StatefulSet); ok && cur.UID == set.UID {
			set = cur
		}
	}
	st, recheck := statefulSetStatus(set, rev, statefulPods(view, set, sel), time.Now())
	if err := c.updateStatus(ctx, set, st); err != nil {
		return 0, errors.Join(writeErr, err)
	}
	return recheck, writeErr
}

// statefulSetRevision names the template's revision as Kubernetes names
// ControllerRevisions: the set's name and a hash of the template.
func statefulSetRevision(set *api.StatefulSet) string {
	return set.Name + "-" + templateHash(&set.Spec.Template, nil)
}

// statefulPods lists the pods set controls that its selector matches.
func statefulPods(view *state.ReadView, set *api.StatefulSet, sel api.Selector) []*api.Pod {
	var out []*api.Pod
	for _, obj := range ownedBy(view, "Pod", set.Namespace, set.UID) {
		if p := obj.(*api.Pod); sel.Matches(p.Labels) {
			out = append(out, p)
		}
	}
	return out
}

func (c *StatefulSetController) manage(ctx context.Context, view *state.ReadView, set *api.StatefulSet, rev stsRevisions, pods []*api.Pod) error {
	nodeExists := func(n string) bool { return view.Get("Node", "", n) != nil }
	v := newSTSView(set, rev, pods, nodeExists, time.Now())
	withStorage := len(set.Spec.VolumeClaimTemplates) > 0
	if withStorage {
		proceed, err := c.syncClaims(ctx, view, set, v)
		if err != nil || !proceed {
			return err
		}
	}
	pl := v.plan()
	if err := c.applyPlan(ctx, set, rev, v, pods, pl); err != nil {
		return err
	}
	if withStorage {
		return c.retainClaims(ctx, c.Store.View(), set, v)
	}
	return nil
}

// applyPlan deletes, then creates (each new pod's claims first).
func (c *StatefulSetController) applyPlan(ctx context.Context, set *api.StatefulSet, rev stsRevisions, v *stsView, pods []*api.Pod, pl stsPlan) error {
	if len(pl.remove) > 0 {
		if err := c.deletePods(ctx, set, pl.remove); err != nil {
			return err
		}
	}
	if len(pl.create) == 0 {
		return nil
	}
	tpls := map[string]*api.PodTemplateSpec{rev.update: &set.Spec.Template}
	if rev.current != rev.update {
		if t := revisionTemplate(pods, rev.current); t != nil {
			tpls[rev.current] = t
		}
	}
	claims, err := c.claimsFor(ctx, set, pl.create)
	if err != nil {
		return err
	}
	newPods := make([]*api.Pod, len(pl.create))
	for i, ord := range pl.create {
		r := v.revisionFor(ord)
		tpl, ok := tpls[r]
		if !ok {
			// No pod of the current revision is left to read its template
			// from: the update revision is all there is.
			r, tpl = rev.update, tpls[rev.update]
		}
		newPods[i] = statefulPod(set, ord, r, tpl)
		if claims != nil {
			withClaims(newPods[i], set, ord, claims)
		}
	}
	return c.createPods(ctx, set, newPods)
}

// claimsFor creates the missing claims of the ordinals about to be created
// and returns the set's claims as they then are (nil without templates).
func (c *StatefulSetController) claimsFor(ctx context.Context, set *api.StatefulSet, ords []int) (map[string]*api.PersistentVolumeClaim, error) {
	if len(set.Spec.VolumeClaimTemplates) == 0 {
		return nil, nil
	}
	claims := setClaims(c.Store.View(), set)
	var missing []*api.PersistentVolumeClaim
	for _, ord := range ords {
		for i := range set.Spec.VolumeClaimTemplates {
			t := &set.Spec.VolumeClaimTemplates[i]
			if claims[claimName(t.Name, set.Name, ord)] == nil {
				missing = append(missing, newClaim(set, t, ord))
			}
		}
	}
	if err := c.createClaims(ctx, set, missing); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		claims = setClaims(c.Store.View(), set)
	}
	return claims, nil
}

// revisionTemplate reads revision's template from the annotation of one of
// its pods, or nil.
func revisionTemplate(pods []*api.Pod, revision string) *api.PodTemplateSpec {
	for _, p := range pods {
		if p.Labels[StatefulSetRevisionLabel] != revision {
			continue
		}
		var t api.PodTemplateSpec
		if err := json.Unmarshal([]byte(p.Annotations[StatefulSetTemplateAnnotation]), &t); err == nil {
			return &t
		}
	}
	return nil
}

// statefulPod stamps out set's pod at ordinal from tpl (of revision).
func statefulPod(set *api.StatefulSet, ordinal int, revision string, tpl *api.PodTemplateSpec) *api.Pod {
	t := cloneTemplate(tpl)
	name := set.Name + "-" + strconv.Itoa(ordinal)
	labels := maps.Clone(t.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[StatefulSetPodNameLabel] = name
	labels[StatefulSetPodIndexLabel] = strconv.Itoa(ordinal)
	labels[StatefulSetRevisionLabel] = revision
	annotations := maps.Clone(t.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	raw, err := json.Marshal(tpl)
	if err != nil {
		panic(fmt.Sprintf("scheduler: marshal pod template: %v", err))
	}
	annotations[StatefulSetTemplateAnnotation] = string(raw)
	p := &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			Name: name, Namespace: set.Namespace, Labels: labels, Annotations: annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []api.OwnerReference{controllerRef("apps/v1", "StatefulSet", &set.ObjectMeta)},
		},
		Spec: t.Spec,
	}
	p.Spec.NodeName = ""
	p.Spec.Hostname = name
	p.Spec.Subdomain = set.Spec.ServiceName
	return p
}

func (c *StatefulSetController) createPods(ctx context.Context, set *api.StatefulSet, pods []*api.Pod) error {
	created := make([]api.Object, len(pods))
	ok, err := parallel(ctx, len(pods), func(ctx context.Context, i int) error {
		obj, err := c.Writer.Create(ctx, pods[i])
		created[i] = obj
		return err
	})
	waitForStore(ctx, c.Store, created...)
	c.Logger.Debug("created pods", "statefulset", set.Key(), "count", ok, "wanted", len(pods))
	if err != nil {
		return fmt.Errorf("statefulset %s: created %d of %d pods: %w", set.Key(), ok, len(pods), err)
	}
	return nil
}

func (c *StatefulSetController) deletePods(ctx context.Context, set *api.StatefulSet, pods []*api.Pod) error {
	return deletePodsOf(ctx, c.Writer, c.Logger, "statefulset "+set.Key(), pods, "")
}

func (c *StatefulSetController) updateStatus(ctx context.Context, set *api.StatefulSet, st api.StatefulSetStatus) error {
	if reflect.DeepEqual(set.Status, st) {
		return nil
	}
	u := api.Clone(set)
	u.Status = st
	obj, err := c.Writer.UpdateStatus(ctx, u)
	if err != nil {
		return fmt.Errorf("statefulset %s: status: %w", set.Key(), err)
	}
	waitForStore(ctx, c.Store, obj)
	return nil
}
