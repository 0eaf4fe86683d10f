package scheduler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// StatefulSetClaimNodeAnnotation is set on a StatefulSet pod created while
// its claims were bound: the node(s) its required node affinity pins it to.
// A pending pod whose pin no longer agrees with its claims (a claim was
// deleted, releasing it) is deleted and recreated.
const StatefulSetClaimNodeAnnotation = "statefulset.barque.io/claim-node"

// Stable storage, as Kubernetes gives it with volumeClaimTemplates, sized
// for Barque where a claim is a directory on a node:
//
//   - each pod NAME-i gets, per template T, the claim T-NAME-i, created
//     before the pod if missing, and mounted as the volume T;
//   - a claim is bound to the node of the first pod that runs with it
//     (api.ClaimNodeAnnotation, written once, conditionally), and every
//     later pod of that ordinal is created with a required node affinity
//     for that node, so that it finds the same directory;
//   - a claim whose node is gone is Lost, and its pod stays Pending;
//     deleting the claim releases it (the pending pod is recreated unpinned
//     with a fresh claim);
//   - claims outlive their pods and, by default, the set
//     (persistentVolumeClaimRetentionPolicy Retain); whenScaled Delete
//     deletes the claims of ordinals scaled away once their pod is gone;
//     whenDeleted Delete makes the set an owner of its claims, so the
//     garbage collector deletes them with it.

// claimName is template tpl's claim for pod ordinal ord of set.
func claimName(tpl, set string, ord int) string {
	return tpl + "-" + set + "-" + strconv.Itoa(ord)
}

// claimOrdinal parses TEMPLATE-SET-i for one of set's templates.
func claimOrdinal(set *api.StatefulSet, name string) (int, bool) {
	for _, t := range set.Spec.VolumeClaimTemplates {
		if rest, ok := strings.CutPrefix(name, t.Name+"-"); ok {
			if ord := ordinalOf(set.Name, rest); ord >= 0 {
				return ord, true
			}
		}
	}
	return -1, false
}

// setClaims is set's existing claims by name.
func setClaims(view *state.ReadView, set *api.StatefulSet) map[string]*api.PersistentVolumeClaim {
	out := map[string]*api.PersistentVolumeClaim{}
	for _, obj := range view.List("PersistentVolumeClaim", set.Namespace, nil) {
		if c := obj.(*api.PersistentVolumeClaim); isSetClaim(set, c) {
			out[c.Name] = c
		}
	}
	return out
}

// isSetClaim: the name is one of set's, and it carries the labels set puts
// on its claims (its selector's matchLabels), so that a user's claim that
// happens to match the pattern is left alone.
func isSetClaim(set *api.StatefulSet, c *api.PersistentVolumeClaim) bool {
	if _, ok := claimOrdinal(set, c.Name); !ok {
		return false
	}
	if set.Spec.Selector != nil {
		for k, v := range set.Spec.Selector.MatchLabels {
			if c.Labels[k] != v {
				return false
			}
		}
	}
	return true
}

func retentionOf(set *api.StatefulSet) api.StatefulSetPersistentVolumeClaimRetentionPolicy {
	rp := api.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: api.RetainClaimRetention, WhenScaled: api.RetainClaimRetention}
	if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p != nil {
		if p.WhenDeleted != "" {
			rp.WhenDeleted = p.WhenDeleted
		}
		if p.WhenScaled != "" {
			rp.WhenScaled = p.WhenScaled
		}
	}
	return rp
}

// setOwnerRef is the (non-controller) reference whenDeleted Delete puts on
// every claim.
func setOwnerRef(set *api.StatefulSet) api.OwnerReference {
	return api.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: set.Name, UID: set.UID}
}

// newClaim makes template t's claim for ordinal ord.
func newClaim(set *api.StatefulSet, t *api.PersistentVolumeClaim, ord int) *api.PersistentVolumeClaim {
	labels := maps.Clone(t.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	if set.Spec.Selector != nil {
		maps.Copy(labels, set.Spec.Selector.MatchLabels)
	}
	c := &api.PersistentVolumeClaim{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: api.ObjectMeta{Namespace: set.Namespace, Name: claimName(t.Name, set.Name, ord),
			Labels: labels, Annotations: maps.Clone(t.Annotations)},
		Spec: api.Clone(t).Spec,
	}
	delete(c.Annotations, api.ClaimNodeAnnotation)
	if retentionOf(set).WhenDeleted == api.DeleteClaimRetention {
		c.OwnerReferences = []api.OwnerReference{setOwnerRef(set)}
	}
	return c
}

// claimPin is the sorted, comma-separated nodes ordinal ord's claims are
// bound to ("" when none is bound). More than one node (claims bound apart
// after one was deleted and re-bound) pins the pod nowhere: it stays
// Pending until one of the claims is deleted.
func claimPin(set *api.StatefulSet, ord int, claims map[string]*api.PersistentVolumeClaim) string {
	var nodes []string
	for _, t := range set.Spec.VolumeClaimTemplates {
		if c := claims[claimName(t.Name, set.Name, ord)]; c != nil && c.ClaimNode() != "" && !slices.Contains(nodes, c.ClaimNode()) {
			nodes = append(nodes, c.ClaimNode())
		}
	}
	sort.Strings(nodes)
	return strings.Join(nodes, ",")
}

// withClaims gives pod (ordinal ord of set) a volume per claim template,
// replacing a template volume of the same name, and pins it to its claims'
// node with a required node affinity on metadata.name, added to every
// term the template already requires (terms are ORed).
func withClaims(p *api.Pod, set *api.StatefulSet, ord int, claims map[string]*api.PersistentVolumeClaim) {
	tpls := set.Spec.VolumeClaimTemplates
	vols := p.Spec.Volumes[:0:0]
	for _, v := range p.Spec.Volumes {
		if !slices.ContainsFunc(tpls, func(t api.PersistentVolumeClaim) bool { return t.Name == v.Name }) {
			vols = append(vols, v)
		}
	}
	for _, t := range tpls {
		vols = append(vols, api.Volume{Name: t.Name, VolumeSource: api.VolumeSource{
			PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: claimName(t.Name, set.Name, ord)}}})
	}
	p.Spec.Volumes = vols
	pin := claimPin(set, ord, claims)
	if pin == "" {
		return
	}
	p.Annotations[StatefulSetClaimNodeAnnotation] = pin
	var reqs []api.NodeSelectorRequirement
	for _, n := range strings.Split(pin, ",") {
		reqs = append(reqs, api.NodeSelectorRequirement{Key: "metadata.name", Operator: api.NodeSelectorOpIn, Values: []string{n}})
	}
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &api.Affinity{}
	}
	if p.Spec.Affinity.NodeAffinity == nil {
		p.Spec.Affinity.NodeAffinity = &api.NodeAffinity{}
	}
	na := p.Spec.Affinity.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil || len(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) == 0 {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{{}}}
	}
	terms := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for i := range terms {
		terms[i].MatchFields = append(terms[i].MatchFields, reqs...)
	}
}

// usesClaim reports whether pod mounts claim name.
func usesClaim(p *api.Pod, name string) bool {
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == name {
			return true
		}
	}
	return false
}

func podLive(p *api.Pod) bool {
	return p != nil && p.DeletionTimestamp == nil && !api.PodIsTerminal(p)
}

// claimsPass is what syncClaims decides from one view.
type claimsPass struct {
	create []*api.PersistentVolumeClaim
	bind   map[string]string // claim name -> node
	stale  []*api.Pod        // pending pods pinned where their claims no longer are
}

// planClaims: create the claims of live pods that lack them; bind unbound
// claims to the node of a pod of theirs that has one (any pod: a failed
// pod may have written to the directory); find pending pods whose pin
// disagrees with their claims.
func planClaims(set *api.StatefulSet, v *stsView, claims map[string]*api.PersistentVolumeClaim) claimsPass {
	pass := claimsPass{bind: map[string]string{}}
	after := maps.Clone(claims) // the claims once pass.create is done
	for ord, p := range v.slots {
		if !podLive(p) {
			continue
		}
		for i := range set.Spec.VolumeClaimTemplates {
			t := &set.Spec.VolumeClaimTemplates[i]
			if name := claimName(t.Name, set.Name, ord); after[name] == nil {
				c := newClaim(set, t, ord)
				pass.create = append(pass.create, c)
				after[name] = c
			}
		}
	}
	for _, p := range append(slices.Clone(v.slots), v.condemned...) {
		if p == nil || p.Spec.NodeName == "" {
			continue
		}
		ord := ordinalOf(set.Name, p.Name)
		for _, t := range set.Spec.VolumeClaimTemplates {
			name := claimName(t.Name, set.Name, ord)
			if c := claims[name]; c != nil && c.ClaimNode() == "" && usesClaim(p, name) {
				pass.bind[name] = p.Spec.NodeName
			}
		}
	}
	for ord, p := range v.slots {
		if podLive(p) && p.Spec.NodeName == "" && p.Annotations[StatefulSetClaimNodeAnnotation] != claimPin(set, ord, after) {
			pass.stale = append(pass.stale, p)
		}
	}
	return pass
}

// syncClaims carries out planClaims, then keeps each claim's phase. It
// reports whether the pass may go on to the pods (not when it deleted a
// stale pending pod: the next pass recreates it).
func (c *StatefulSetController) syncClaims(ctx context.Context, view *state.ReadView, set *api.StatefulSet, v *stsView) (bool, error) {
	claims := setClaims(view, set)
	pass := planClaims(set, v, claims)
	if err := c.createClaims(ctx, set, pass.create); err != nil {
		return false, err
	}
	var errs []error
	for name, node := range pass.bind {
		obj, err := c.bindClaim(ctx, claims[name], node)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		claims[name] = obj
	}
	for _, cl := range claims {
		errs = append(errs, c.claimPhase(ctx, view, cl))
	}
	if len(pass.stale) > 0 {
		errs = append(errs, deletePodsOf(ctx, c.Writer, c.Logger, "statefulset "+set.Key(), pass.stale,
			"stale-pinned"))
	}
	return len(pass.stale) == 0, errors.Join(errs...)
}

func (c *StatefulSetController) createClaims(ctx context.Context, set *api.StatefulSet, claims []*api.PersistentVolumeClaim) error {
	if len(claims) == 0 {
		return nil
	}
	created := make([]api.Object, len(claims))
	ok, err := parallel(ctx, len(claims), func(ctx context.Context, i int) error {
		obj, err := c.Writer.Create(ctx, claims[i])
		if errors.Is(err, api.ErrAlreadyExists) {
			return nil // made by an earlier pass this view had not seen yet
		}
		created[i] = obj
		return err
	})
	waitForStore(ctx, c.Store, created...)
	if err != nil {
		return fmt.Errorf("statefulset %s: created %d of %d claims: %w", set.Key(), ok, len(claims), err)
	}
	return nil
}

// bindClaim records node as the claim's, conditional on the version read.
func (c *StatefulSetController) bindClaim(ctx context.Context, cl *api.PersistentVolumeClaim, node string) (*api.PersistentVolumeClaim, error) {
	u := api.Clone(cl)
	if u.Annotations == nil {
		u.Annotations = map[string]string{}
	}
	u.Annotations[api.ClaimNodeAnnotation] = node
	obj, err := c.Writer.Update(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("claim %s: bind to node %s: %w", cl.Key(), node, err)
	}
	waitForStore(ctx, c.Store, obj)
	c.Logger.Debug("bound claim", "claim", cl.Key(), "node", node)
	return obj.(*api.PersistentVolumeClaim), nil
}

// claimPhase keeps status.phase: Pending until bound, Bound while its node
// exists, Lost once the Node object is gone (and Bound again if it returns).
func (c *StatefulSetController) claimPhase(ctx context.Context, view *state.ReadView, cl *api.PersistentVolumeClaim) error {
	want := api.ClaimPending
	if n := cl.ClaimNode(); n != "" {
		want = api.ClaimBound
		if view.Get("Node", "", n) == nil {
			want = api.ClaimLost
		}
	}
	if cl.Status.Phase == want {
		return nil
	}
	u := api.Clone(cl)
	u.Status.Phase = want
	if want != api.ClaimPending {
		u.Status.AccessModes, u.Status.Capacity = u.Spec.AccessModes, u.Spec.Resources.Requests
	}
	obj, err := c.Writer.UpdateStatus(ctx, u)
	if err != nil {
		return fmt.Errorf("claim %s: phase %s: %w", cl.Key(), want, err)
	}
	waitForStore(ctx, c.Store, obj)
	if want == api.ClaimLost {
		RecordEvent(ctx, c.Writer, obj, "Warning", "NodeLost", fmt.Sprintf(
			"node %s, which holds this claim's directory, is gone: its pod stays Pending until the node is back; delete the claim to release it (its data is lost)",
			cl.ClaimNode()))
	}
	return nil
}

// retainClaims applies the retention policy: whenScaled Delete deletes the
// claims of ordinals at or above replicas once their pod is gone; the
// set's owner reference on every claim follows whenDeleted.
func (c *StatefulSetController) retainClaims(ctx context.Context, view *state.ReadView, set *api.StatefulSet, v *stsView) error {
	rp := retentionOf(set)
	condemned := map[int]bool{}
	for _, p := range v.condemned {
		condemned[ordinalOf(set.Name, p.Name)] = true
	}
	var errs []error
	for _, cl := range setClaims(view, set) {
		ord, _ := claimOrdinal(set, cl.Name)
		if ord >= len(v.slots) && rp.WhenScaled == api.DeleteClaimRetention {
			if !condemned[ord] && view.Get("Pod", set.Namespace, set.Name+"-"+strconv.Itoa(ord)) == nil {
				err := c.Writer.Delete(ctx, "PersistentVolumeClaim", cl.Namespace, cl.Name, cl.ResourceVersion, cl.UID)
				errs = append(errs, ignoreGone(err))
			}
			continue
		}
		errs = append(errs, c.syncClaimOwner(ctx, set, cl, rp.WhenDeleted == api.DeleteClaimRetention))
	}
	return errors.Join(errs...)
}

func (c *StatefulSetController) syncClaimOwner(ctx context.Context, set *api.StatefulSet, cl *api.PersistentVolumeClaim, want bool) error {
	has := slices.ContainsFunc(cl.OwnerReferences, func(r api.OwnerReference) bool { return r.UID == set.UID })
	if has == want {
		return nil
	}
	u := api.Clone(cl)
	if want {
		u.OwnerReferences = append(u.OwnerReferences, setOwnerRef(set))
	} else {
		u.OwnerReferences = slices.DeleteFunc(u.OwnerReferences, func(r api.OwnerReference) bool { return r.UID == set.UID })
	}
	obj, err := c.Writer.Update(ctx, u)
	if err != nil {
		return fmt.Errorf("claim %s: owner: %w", cl.Key(), err)
	}
	waitForStore(ctx, c.Store, obj)
	return nil
}

// claimKeysFor maps a claim's change to the sets whose claim it may be.
func claimKeysFor(view *state.ReadView, m *api.ObjectMeta) []string {
	var keys []string
	for _, obj := range view.List("StatefulSet", m.Namespace, nil) {
		set := obj.(*api.StatefulSet)
		if _, ok := claimOrdinal(set, m.Name); ok {
			keys = append(keys, set.Key())
		}
	}
	return keys
}

// nodeClaimKeysFor maps a Node's coming or going to the sets with claims
// bound to it (their phase changes between Bound and Lost).
func nodeClaimKeysFor(view *state.ReadView, node string) []string {
	var keys []string
	for _, obj := range view.List("PersistentVolumeClaim", "", nil) {
		if cl := obj.(*api.PersistentVolumeClaim); cl.ClaimNode() == node {
			keys = append(keys, claimKeysFor(view, &cl.ObjectMeta)...)
		}
	}
	return keys
}
