package scheduler

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// Labels and annotations a Deployment puts on its ReplicaSets, as
// Kubernetes names them (kubectl rollout reads them).
const (
	PodTemplateHashLabel      = "pod-template-hash"
	RevisionAnnotation        = "deployment.kubernetes.io/revision"
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	MaxReplicasAnnotation     = "deployment.kubernetes.io/max-replicas"
)

// Reasons of the Deployment's Progressing and Available conditions.
const (
	ReasonNewRSCreated      = "NewReplicaSetCreated"
	ReasonFoundNewRS        = "FoundNewReplicaSet"
	ReasonRSUpdated         = "ReplicaSetUpdated"
	ReasonNewRSAvailable    = "NewReplicaSetAvailable"
	ReasonTimedOut          = "ProgressDeadlineExceeded"
	ReasonPaused            = "DeploymentPaused"
	ReasonResumed           = "DeploymentResumed"
	ReasonMinimumAvailable  = "MinimumReplicasAvailable"
	ReasonMinimumUnavailabe = "MinimumReplicasUnavailable"
)

// DeploymentController rolls each Deployment's pod template out through
// ReplicaSets named after the template's hash: RollingUpdate within
// maxSurge and maxUnavailable, or Recreate; it honours paused,
// minReadySeconds, progressDeadlineSeconds and revisionHistoryLimit, and
// reports the counts and the Available and Progressing conditions.
//
// It counts pods from the store itself rather than from its ReplicaSets'
// status, which the ReplicaSet controller may not have written yet: a set
// counts as max(spec.replicas, its live pods) toward the surge, and as at
// most spec.replicas available pods toward the availability floor, so a
// pass that runs before the ReplicaSet controller caught up never
// overshoots either bound.
type DeploymentController struct {
	Store  *state.Store
	Writer Writer
	Logger hclog.Logger
	// Workers is how many Deployments are synced at once (default 8).
	Workers int
	// Resync is the period of the full pass (default 30 s).
	Resync time.Duration
}

// Run reconciles until ctx ends.
func (c *DeploymentController) Run(ctx context.Context) {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	l := &ownerLoop{store: c.Store, logger: c.Logger, kind: "Deployment", workers: c.Workers,
		resync: c.Resync, keysFor: deploymentKeysFor, kinds: kindSet("Deployment", "ReplicaSet", "Pod"), sync: c.sync}
	l.run(ctx)
}

// deploymentKeysFor maps a change to the Deployment it concerns: itself,
// the one controlling a ReplicaSet, or the one controlling a pod's set.
func deploymentKeysFor(view *state.ReadView, ev state.Event) []string {
	m := ev.Object.GetObjectMeta()
	switch ev.Kind {
	case "Deployment":
		return []string{m.Key()}
	case "ReplicaSet":
		if ref := controllerOf(m); ref != nil && ref.Kind == "Deployment" {
			return []string{m.Namespace + "/" + ref.Name}
		}
	case "Pod":
		ref := controllerOf(m)
		if ref == nil || ref.Kind != "ReplicaSet" {
			return nil
		}
		if rs := view.Get("ReplicaSet", m.Namespace, ref.Name); rs != nil {
			if dref := controllerOf(rs.GetObjectMeta()); dref != nil && dref.Kind == "Deployment" {
				return []string{m.Namespace + "/" + dref.Name}
			}
		}
	}
	return nil
}

// rsInfo is one ReplicaSet of a Deployment with its live pods counted.
type rsInfo struct {
	rs   *api.ReplicaSet
	pods int32 // active: not ended, not being deleted
	// running: not ended, terminating ones included (a Recreate rollout
	// waits for them, as Kubernetes' oldPodsRunning does).
	running   int32
	ready     int32
	available int32
}

func (i *rsInfo) spec() int32 { return replicasOf(i.rs.Spec.Replicas) }

// surgeCount is what the set counts toward maxSurge: its pods until the
// ReplicaSet controller deleted the ones a scale-down made extra.
func (i *rsInfo) surgeCount() int32 { return max(i.spec(), i.pods) }

// availableCount is what the set counts toward the availability floor: the
// ReplicaSet controller deletes not-ready pods first, so a set scaled down
// keeps min(spec, available) available pods.
func (i *rsInfo) availableCount() int32 { return min(i.spec(), i.available) }

// deploymentSync is one pass over one Deployment.
type deploymentSync struct {
	c       *DeploymentController
	d       *api.Deployment
	now     time.Time
	newRS   *rsInfo // nil until created
	old     []*rsInfo
	conds   []api.Condition // the status conditions being built
	recheck time.Duration
	// awaitingPromotion: every canary is available and the step waits for
	// a promotion, which the progress deadline does not count.
	awaitingPromotion bool
	// observed, when set, is the generation the counts describe: a pass
	// that changed the spec itself (an auto-revert) has not observed its
	// own change.
	observed int64
}

func (c *DeploymentController) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	view := c.Store.View()
	obj := view.Get("Deployment", ns, name)
	if obj == nil {
		return 0, nil
	}
	d := obj.(*api.Deployment)
	if d.DeletionTimestamp != nil {
		return 0, nil
	}
	s := &deploymentSync{c: c, d: d, now: time.Now(), conds: append([]api.Condition(nil), d.Status.Conditions...)}
	s.load(view)
	var err error
	switch {
	case d.Spec.Paused:
		err = s.syncPaused(ctx)
	case d.Spec.Strategy.Type == api.RecreateDeploymentStrategy:
		err = s.rolloutRecreate(ctx)
	default:
		err = s.rolloutRolling(ctx)
	}
	return s.recheck, err
}

// load finds the Deployment's ReplicaSets, counts their pods, and picks
// the one whose template is the Deployment's.
func (s *deploymentSync) load(view *state.ReadView) {
	var all []*rsInfo
	for _, obj := range ownedBy(view, "ReplicaSet", s.d.Namespace, s.d.UID) {
		rs := obj.(*api.ReplicaSet)
		info := &rsInfo{rs: rs}
		for _, p := range ownedBy(view, "Pod", rs.Namespace, rs.UID) {
			s.count(info, p.(*api.Pod))
		}
		all = append(all, info)
	}
	sort.SliceStable(all, func(i, j int) bool { return olderRS(all[i].rs, all[j].rs) })
	for _, info := range all {
		if s.newRS == nil && equalIgnoreHash(&info.rs.Spec.Template, &s.d.Spec.Template) {
			s.newRS = info
		} else {
			s.old = append(s.old, info)
		}
	}
}

func (s *deploymentSync) count(info *rsInfo, p *api.Pod) {
	if api.PodIsTerminal(p) {
		return
	}
	info.running++
	if p.DeletionTimestamp != nil {
		return
	}
	info.pods++
	if !podReady(p) {
		return
	}
	info.ready++
	if wait := untilAvailable(p, s.d.Spec.MinReadySeconds, s.now); wait == 0 {
		info.available++
	} else {
		s.requeueAfter(wait)
	}
}

func (s *deploymentSync) requeueAfter(d time.Duration) {
	if d > 0 && (s.recheck == 0 || d < s.recheck) {
		s.recheck = d
	}
}

func (s *deploymentSync) all() []*rsInfo {
	if s.newRS == nil {
		return s.old
	}
	return append(append([]*rsInfo(nil), s.old...), s.newRS)
}

func (s *deploymentSync) want() int32 { return replicasOf(s.d.Spec.Replicas) }

// syncRevision gives the new ReplicaSet (created when create is set) the
// next revision and the Deployment the same revision annotation.
func (s *deploymentSync) syncRevision(ctx context.Context, create bool) error {
	var maxOld int64
	for _, info := range s.old {
		maxOld = max(maxOld, revisionOf(info.rs))
	}
	next := maxOld + 1
	switch {
	case s.newRS != nil:
		if err := s.syncNewRSAnnotations(ctx, next); err != nil {
			return err
		}
		if api.FindCondition(s.conds, api.DeploymentProgressing) == nil {
			s.setProgressing(api.ConditionTrue, ReasonFoundNewRS, fmt.Sprintf("Found new replica set %q", s.newRS.rs.Name))
		}
	case create:
		if err := s.createNewRS(ctx, next); err != nil {
			return err
		}
	default:
		return nil
	}
	return s.setDeploymentRevision(ctx, s.newRS.rs.Annotations[RevisionAnnotation])
}

// syncNewRSAnnotations raises an existing new set's revision (a rollback
// to an older template makes its set the newest revision) and keeps its
// minReadySeconds the Deployment's.
func (s *deploymentSync) syncNewRSAnnotations(ctx context.Context, next int64) error {
	rs := s.newRS.rs
	if revisionOf(rs) >= next && rs.Spec.MinReadySeconds == s.d.Spec.MinReadySeconds {
		return nil
	}
	u := api.Clone(rs)
	if revisionOf(rs) < next {
		u.Annotations = withEntry(u.Annotations, RevisionAnnotation, strconv.FormatInt(next, 10))
	}
	u.Spec.MinReadySeconds = s.d.Spec.MinReadySeconds
	obj, err := s.c.Writer.Update(ctx, u)
	if err != nil {
		return fmt.Errorf("deployment %s: update replicaset %s: %w", s.d.Key(), rs.Name, err)
	}
	s.newRS.rs = obj.(*api.ReplicaSet)
	return nil
}

func (s *deploymentSync) createNewRS(ctx context.Context, revision int64) error {
	hash := templateHash(&s.d.Spec.Template, s.d.Status.CollisionCount)
	replicas := s.newRSReplicas()
	canary := s.canaryWanted()
	if canary {
		replicas = s.canaryReplicas()
	}
	rs := s.newReplicaSet(hash, revision, replicas)
	if canary {
		rs.Annotations[api.CanaryAnnotation] = api.CanaryPending
	}
	obj, err := s.c.Writer.Create(ctx, rs)
	if errors.Is(err, api.ErrAlreadyExists) {
		return s.nameCollision(ctx, rs.Name)
	}
	if err != nil {
		return fmt.Errorf("deployment %s: create replicaset %s: %w", s.d.Key(), rs.Name, err)
	}
	waitForStore(ctx, s.c.Store, obj)
	s.newRS = &rsInfo{rs: obj.(*api.ReplicaSet)}
	s.c.Logger.Info("created replicaset", "deployment", s.d.Key(), "replicaset", rs.Name, "replicas", replicas, "revision", revision)
	s.setProgressing(api.ConditionTrue, ReasonNewRSCreated, fmt.Sprintf("Created new replica set %q", rs.Name))
	return nil
}

// nameCollision handles a create that found the name taken. The store's
// set is either ours with our template (a pass we cannot see yet made it;
// the next pass adopts it) or another template whose hash collides: then
// the collision count moves, and with it the hash, as in Kubernetes.
func (s *deploymentSync) nameCollision(ctx context.Context, name string) error {
	obj, _ := s.c.Store.Get("ReplicaSet", s.d.Namespace, name)
	if rs, ok := obj.(*api.ReplicaSet); ok {
		if ref := controllerOf(&rs.ObjectMeta); ref != nil && ref.UID == s.d.UID && equalIgnoreHash(&rs.Spec.Template, &s.d.Spec.Template) {
			return api.AlreadyExists("replicasets", name)
		}
	}
	u := api.Clone(s.d)
	n := int32(0)
	if u.Status.CollisionCount != nil {
		n = *u.Status.CollisionCount
	}
	u.Status.CollisionCount = api.Ptr(n + 1)
	if _, err := s.c.Writer.UpdateStatus(ctx, u); err != nil {
		return fmt.Errorf("deployment %s: collision count: %w", s.d.Key(), err)
	}
	return fmt.Errorf("deployment %s: replicaset name %s collides with another template", s.d.Key(), name)
}

// newReplicaSet builds the set for the Deployment's current template.
func (s *deploymentSync) newReplicaSet(hash string, revision int64, replicas int32) *api.ReplicaSet {
	d := s.d
	tpl := cloneTemplate(&d.Spec.Template)
	tpl.Labels = withEntry(tpl.Labels, PodTemplateHashLabel, hash)
	sel := &api.LabelSelector{MatchLabels: maps.Clone(d.Spec.Selector.MatchLabels),
		MatchExpressions: append([]api.LabelSelectorRequirement(nil), d.Spec.Selector.MatchExpressions...)}
	sel.MatchLabels = withEntry(sel.MatchLabels, PodTemplateHashLabel, hash)
	ann := map[string]string{}
	for k, v := range d.Annotations {
		if !strings.HasPrefix(k, "deployment.kubernetes.io/") && !strings.HasPrefix(k, "deployment.barque.io/") &&
			k != "kubectl.kubernetes.io/last-applied-configuration" {
			ann[k] = v
		}
	}
	ann[RevisionAnnotation] = strconv.FormatInt(revision, 10)
	ann[DesiredReplicasAnnotation] = strconv.Itoa(int(s.want()))
	ann[MaxReplicasAnnotation] = strconv.Itoa(int(s.want() + s.maxSurge()))
	return &api.ReplicaSet{
		TypeMeta: api.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: api.ObjectMeta{Name: d.Name + "-" + hash, Namespace: d.Namespace,
			Labels: maps.Clone(tpl.Labels), Annotations: ann,
			OwnerReferences: []api.OwnerReference{controllerRef("apps/v1", "Deployment", &d.ObjectMeta)}},
		Spec: api.ReplicaSetSpec{Replicas: api.Ptr(replicas), MinReadySeconds: d.Spec.MinReadySeconds,
			Selector: sel, Template: *tpl},
	}
}

func (s *deploymentSync) setDeploymentRevision(ctx context.Context, rev string) error {
	if rev == "" || s.d.Annotations[RevisionAnnotation] == rev {
		return nil
	}
	u := api.Clone(s.d)
	u.Annotations = withEntry(u.Annotations, RevisionAnnotation, rev)
	obj, err := s.c.Writer.Update(ctx, u)
	if err != nil {
		return fmt.Errorf("deployment %s: revision annotation: %w", s.d.Key(), err)
	}
	waitForStore(ctx, s.c.Store, obj)
	s.d = obj.(*api.Deployment)
	return nil
}

// scale sets one ReplicaSet's replicas (and the annotations that record
// the Deployment's size), conditional on the version read.
func (s *deploymentSync) scale(ctx context.Context, info *rsInfo, n int32) (bool, error) {
	desired := strconv.Itoa(int(s.want()))
	maxRep := strconv.Itoa(int(s.want() + s.maxSurge()))
	rs := info.rs
	if info.spec() == n && rs.Annotations[DesiredReplicasAnnotation] == desired && rs.Annotations[MaxReplicasAnnotation] == maxRep {
		return false, nil
	}
	u := api.Clone(rs)
	u.Spec.Replicas = api.Ptr(n)
	u.Annotations = withEntry(u.Annotations, DesiredReplicasAnnotation, desired)
	u.Annotations = withEntry(u.Annotations, MaxReplicasAnnotation, maxRep)
	obj, err := s.c.Writer.Update(ctx, u)
	if err != nil {
		return false, fmt.Errorf("deployment %s: scale replicaset %s to %d: %w", s.d.Key(), rs.Name, n, err)
	}
	waitForStore(ctx, s.c.Store, obj)
	scaled := info.spec() != n
	if scaled {
		s.c.Logger.Debug("scaled replicaset", "deployment", s.d.Key(), "replicaset", rs.Name, "from", info.spec(), "to", n)
	}
	info.rs = obj.(*api.ReplicaSet)
	return scaled, nil
}

// cleanup deletes the oldest ReplicaSets beyond revisionHistoryLimit that
// are scaled to zero and have no pods left.
func (s *deploymentSync) cleanup(ctx context.Context) error {
	if s.d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	var cleanable []*rsInfo
	for _, info := range s.old {
		if info.rs.DeletionTimestamp == nil {
			cleanable = append(cleanable, info)
		}
	}
	diff := len(cleanable) - int(*s.d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	sort.SliceStable(cleanable, func(i, j int) bool {
		ri, rj := revisionOf(cleanable[i].rs), revisionOf(cleanable[j].rs)
		if ri != rj {
			return ri < rj
		}
		return olderRS(cleanable[i].rs, cleanable[j].rs)
	})
	var errs []error
	for _, info := range cleanable[:diff] {
		rs := info.rs
		if info.spec() != 0 || info.pods != 0 || rs.Status.Replicas != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		err := s.c.Writer.Delete(ctx, "ReplicaSet", rs.Namespace, rs.Name, rs.ResourceVersion, rs.UID)
		if err != nil && !errors.Is(err, api.ErrNotFound) {
			errs = append(errs, fmt.Errorf("deployment %s: delete old replicaset %s: %w", s.d.Key(), rs.Name, err))
			continue
		}
		s.c.Logger.Debug("deleted old replicaset", "deployment", s.d.Key(), "replicaset", rs.Name)
	}
	return errors.Join(errs...)
}

// templateHash is the pod-template-hash: FNV-32a of the template's JSON
// (and of the collision count, once there was a collision), written in
// Kubernetes' safe alphabet.
func templateHash(t *api.PodTemplateSpec, collisions *int32) string {
	h := fnv.New32a()
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("scheduler: marshal pod template: %v", err))
	}
	h.Write(b)
	if collisions != nil {
		var buf [8]byte
		binary.LittleEndian.PutUint32(buf[:], uint32(*collisions))
		h.Write(buf[:])
	}
	digits := []byte(strconv.FormatUint(uint64(h.Sum32()), 10))
	for i, c := range digits {
		digits[i] = nameAlphabet[int(c)%len(nameAlphabet)]
	}
	return string(digits)
}

// equalIgnoreHash compares two templates as JSON, without the
// pod-template-hash label a ReplicaSet's copy carries.
func equalIgnoreHash(a, b *api.PodTemplateSpec) bool {
	ja, jb := templateJSONWithoutHash(a), templateJSONWithoutHash(b)
	return string(ja) == string(jb)
}

func templateJSONWithoutHash(t *api.PodTemplateSpec) []byte {
	if _, ok := t.Labels[PodTemplateHashLabel]; ok {
		c := *t
		c.Labels = maps.Clone(t.Labels)
		delete(c.Labels, PodTemplateHashLabel)
		t = &c
	}
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("scheduler: marshal pod template: %v", err))
	}
	return b
}

func revisionOf(rs *api.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[RevisionAnnotation], 10, 64)
	return n
}

// olderRS orders sets by creation, then name.
func olderRS(a, b *api.ReplicaSet) bool {
	ta, tb := createdAt(a), createdAt(b)
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.Name < b.Name
}

// withEntry returns m (copied) with k set to v.
func withEntry(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	out[k] = v
	return out
}
