package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

// submission is what `job run` and `job revert` send: a job's source, its
// variables and the objects rendered from them.
type submission struct {
	name, namespace, typ string
	source, path         string
	vars                 map[string]string
	objs                 []api.Object
	// parameterized is set for a parameterized job (job_dispatch.go).
	parameterized *api.NomadJobParameterized
}

// spec encodes the submission as a record's spec.
func (s *submission) spec() (api.NomadJobSpec, error) {
	raws := make([]json.RawMessage, 0, len(s.objs))
	for _, o := range s.objs {
		b, err := json.Marshal(o)
		if err != nil {
			return api.NomadJobSpec{}, err
		}
		raws = append(raws, b)
	}
	typ := s.typ
	if typ == "" {
		typ = api.NomadJobService
	}
	return api.NomadJobSpec{JobName: s.name, Type: typ, Source: s.source, SourcePath: s.path,
		Variables: s.vars, Objects: raws, Parameterized: s.parameterized}, nil
}

// submissionOf turns a stored spec back into a submission (for revert).
func submissionOf(ns string, spec api.NomadJobSpec) (*submission, error) {
	s := &submission{name: spec.JobName, namespace: ns, typ: spec.Type, source: spec.Source,
		path: spec.SourcePath, vars: spec.Variables, parameterized: spec.Parameterized}
	for i, raw := range spec.Objects {
		o, err := api.DecodeObject(raw)
		if err != nil {
			return nil, fmt.Errorf("stored object %d: %w", i, err)
		}
		s.objs = append(s.objs, o)
	}
	return s, nil
}

// sameSubmission compares what was submitted, ignoring where the file was
// read from and whether the job was stopped; objects are compared by
// value, not by their encoding.
func sameSubmission(a, b api.NomadJobSpec) bool {
	if a.Type != b.Type || a.Source != b.Source || !reflect.DeepEqual(nilIfEmpty(a.Variables), nilIfEmpty(b.Variables)) ||
		!reflect.DeepEqual(a.Parameterized, b.Parameterized) {
		return false
	}
	return sameObjects(a.Objects, b.Objects)
}

func sameObjects(a, b []json.RawMessage) bool {
	return reflect.DeepEqual(decodeRaws(a), decodeRaws(b))
}

func decodeRaws(raws []json.RawMessage) []any {
	out := make([]any, len(raws))
	for i, r := range raws {
		_ = json.Unmarshal(r, &out[i]) // a value that does not decode compares as nil
	}
	return out
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// recordResult is what recording a submission did.
type recordResult struct {
	record     *api.NomadJob
	newVersion bool
	wasStopped bool
}

// recordAttempts bounds how often a submission is recorded again after
// losing a race with another writer of the same record.
const recordAttempts = 4

// recordSubmission creates or updates the job's record. The version goes
// up only when the source, variables or rendered objects changed (or the
// job was stopped). The submission, its version number and its submit time
// are one conditional write of the record's spec; each version is then also
// kept as an immutable NomadJobVersion object owned by the record. A version
// object missing after an interrupted run is written again by the next one.
func recordSubmission(ctx context.Context, c *client.Client, s *submission) (*recordResult, error) {
	spec, err := s.spec()
	if err != nil {
		return nil, err
	}
	return retryOnConflict(func() (*recordResult, error) {
		cur, err := c.Get(ctx, "NomadJob", s.namespace, s.name, client.GetOptions{})
		if errors.Is(err, api.ErrNotFound) {
			return createRecord(ctx, c, s, spec)
		}
		if err != nil {
			return nil, err
		}
		return updateRecord(ctx, c, cur.(*api.NomadJob), spec)
	})
}

// retryOnConflict runs write again while it loses a compare-and-swap (or a
// create) to a concurrent writer; it re-reads what it compares each time.
func retryOnConflict(write func() (*recordResult, error)) (*recordResult, error) {
	for attempt := 1; ; attempt++ {
		res, err := write()
		if attempt < recordAttempts && (errors.Is(err, api.ErrConflict) || errors.Is(err, api.ErrAlreadyExists)) {
			continue
		}
		return res, err
	}
}

func createRecord(ctx context.Context, c *client.Client, s *submission, spec api.NomadJobSpec) (*recordResult, error) {
	spec.Version, spec.SubmitTime = 0, api.NewTime(time.Now())
	rec := &api.NomadJob{ObjectMeta: api.ObjectMeta{Name: s.name, Namespace: s.namespace,
		Labels: map[string]string{api.LabelNomadJob: s.name}}, Spec: spec}
	created, err := c.Create(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("recording job %q: %w", s.name, err)
	}
	res := &recordResult{record: created.(*api.NomadJob), newVersion: true}
	return res, saveVersion(ctx, c, res.record)
}

// updateRecord writes spec as the record's next version, unless it is the
// submission the record holds. Either way the record's current version
// object is made sure of first, so that an earlier run that stopped
// between the record and its version object leaves no gap in the history.
func updateRecord(ctx context.Context, c *client.Client, rec *api.NomadJob, spec api.NomadJobSpec) (*recordResult, error) {
	if err := ensureVersion(ctx, c, rec); err != nil {
		return nil, err
	}
	res := &recordResult{record: rec, wasStopped: rec.Spec.Stop}
	if sameSubmission(rec.Spec, spec) && !rec.Spec.Stop {
		return res, pruneVersions(ctx, c, rec)
	}
	next, err := writeNextVersion(ctx, c, rec, func(s *api.NomadJobSpec) { *s = spec })
	if err != nil {
		return nil, err
	}
	res.record, res.newVersion = next, true
	return res, nil
}

// writeNextVersion writes the record's next version in one conditional
// update (a concurrent writer makes it fail with ErrConflict), keeps it as a
// version object and prunes the oldest versions.
func writeNextVersion(ctx context.Context, c *client.Client, rec *api.NomadJob, change func(*api.NomadJobSpec)) (*api.NomadJob, error) {
	next := api.Clone(rec)
	change(&next.Spec)
	next.Spec.Version, next.Spec.SubmitTime = rec.CurrentVersion()+1, api.NewTime(time.Now())
	upd, err := c.Update(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("recording job %q: %w", rec.Name, err)
	}
	nr := upd.(*api.NomadJob)
	if err := saveVersion(ctx, c, nr); err != nil {
		return nil, err
	}
	return nr, pruneVersions(ctx, c, nr)
}

func objectID(o api.Object) string {
	return o.GetTypeMeta().Kind + "/" + o.GetObjectMeta().Name
}

// versionOf is the version object of the record's current submission.
func versionOf(rec *api.NomadJob) *api.NomadJobVersion {
	spec := rec.Spec
	spec.Version, spec.SubmitTime = 0, nil
	n := rec.CurrentVersion()
	return &api.NomadJobVersion{
		ObjectMeta: api.ObjectMeta{Name: api.NomadJobVersionName(rec.Name, n), Namespace: rec.Namespace,
			Labels: map[string]string{api.LabelNomadJob: rec.Name}, OwnerReferences: []api.OwnerReference{ownerRef(rec)}},
		Spec: api.NomadJobVersionSpec{Version: n, SubmitTime: rec.CurrentSubmitTime(), Job: spec},
	}
}

// ensureVersion writes the record's current version object when it is
// missing (or belongs to an earlier job of the same name).
func ensureVersion(ctx context.Context, c *client.Client, rec *api.NomadJob) error {
	v := versionOf(rec)
	old, err := c.Get(ctx, "NomadJobVersion", v.Namespace, v.Name, client.GetOptions{})
	if err == nil && ownedBy(old.GetObjectMeta(), rec.UID) {
		return nil
	}
	if err != nil && !errors.Is(err, api.ErrNotFound) {
		return err
	}
	return saveVersion(ctx, c, rec)
}

// saveVersion makes sure the record's current submission is kept as version
// <job>-v<N>. It is idempotent: a version of that name already owned by
// the record is the same submission (only the writer that won the record's
// compare-and-swap to N, or a later run repairing it from the record, writes
// it). A version of that name left by an earlier job of the same name
// (purged, its versions not yet collected) is replaced.
func saveVersion(ctx context.Context, c *client.Client, rec *api.NomadJob) error {
	v := versionOf(rec)
	_, err := c.Create(ctx, v)
	if !errors.Is(err, api.ErrAlreadyExists) {
		return err
	}
	old, err := c.Get(ctx, "NomadJobVersion", v.Namespace, v.Name, client.GetOptions{})
	if err == nil && ownedBy(old.GetObjectMeta(), rec.UID) {
		return nil
	}
	if err == nil {
		err = c.Delete(ctx, "NomadJobVersion", v.Namespace, v.Name, client.DeleteOptions{ResourceVersion: old.GetObjectMeta().ResourceVersion})
	}
	if err != nil && !errors.Is(err, api.ErrNotFound) {
		return err
	}
	_, err = c.Create(ctx, v)
	return err
}

// listVersions returns the job's stored versions, oldest first.
func listVersions(ctx context.Context, c *client.Client, rec *api.NomadJob) ([]*api.NomadJobVersion, error) {
	list, err := c.List(ctx, "NomadJobVersion", rec.Namespace, client.ListOptions{LabelSelector: api.LabelNomadJob + "=" + rec.Name})
	if err != nil {
		return nil, err
	}
	var out []*api.NomadJobVersion
	for _, o := range list.Items {
		if v := o.(*api.NomadJobVersion); ownedBy(&v.ObjectMeta, rec.UID) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Version < out[j].Spec.Version })
	return out, nil
}

// pruneVersions keeps the last NomadJobHistoryLimit versions.
func pruneVersions(ctx context.Context, c *client.Client, rec *api.NomadJob) error {
	vs, err := listVersions(ctx, c, rec)
	if err != nil {
		return err
	}
	for len(vs) > api.NomadJobHistoryLimit {
		err := c.Delete(ctx, "NomadJobVersion", rec.Namespace, vs[0].Name, client.DeleteOptions{})
		if err != nil && !errors.Is(err, api.ErrNotFound) {
			return err
		}
		vs = vs[1:]
	}
	return nil
}

// ownerRef points a generated object at the job's record, so that the
// garbage collector deletes it with the record. It is not the controller:
// Deployments and Jobs keep controlling their own pods.
func ownerRef(rec *api.NomadJob) api.OwnerReference {
	t := true
	return api.OwnerReference{APIVersion: "barque.io/v1", Kind: "NomadJob", Name: rec.Name, UID: rec.UID, BlockOwnerDeletion: &t}
}

func ownedBy(m *api.ObjectMeta, uid string) bool {
	for _, r := range m.OwnerReferences {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// withOwner sets the record as an owner of each object, in place.
func withOwner(objs []api.Object, rec *api.NomadJob) {
	for _, o := range objs {
		m := o.GetObjectMeta()
		if !ownedBy(m, rec.UID) {
			m.OwnerReferences = append(m.OwnerReferences, ownerRef(rec))
		}
	}
}

// jobNotFound is the error of a job without a record; it satisfies
// errors.Is(err, api.ErrNotFound).
type jobNotFound struct{ name, namespace string }

func (e jobNotFound) Error() string {
	return fmt.Sprintf("job %q not found in namespace %s", e.name, e.namespace)
}

func (e jobNotFound) Unwrap() error { return api.ErrNotFound }

// getRecord reads a job's record, with a message a user understands.
func getRecord(ctx context.Context, c *client.Client, name string) (*api.NomadJob, error) {
	o, err := c.Get(ctx, "NomadJob", currentNamespace(), name, client.GetOptions{})
	if errors.Is(err, api.ErrNotFound) {
		return nil, jobNotFound{name, currentNamespace()}
	}
	if err != nil {
		return nil, err
	}
	return o.(*api.NomadJob), nil
}

// diffHint summarizes how b's objects differ from a's: "+kind/name" added,
// "-kind/name" removed, "~kind/name" changed.
func diffHint(a, b api.NomadJobSpec) string {
	index := func(raws []json.RawMessage) map[string]any {
		m := map[string]any{}
		for _, v := range decodeRaws(raws) {
			o := asObj(v)
			m[strings.ToLower(o.Str("kind"))+"/"+o.Str("metadata", "name")] = v
		}
		return m
	}
	ia, ib := index(a.Objects), index(b.Objects)
	var parts []string
	for _, k := range sortedStringKeys(ib) {
		if va, ok := ia[k]; !ok {
			parts = append(parts, "+"+k)
		} else if !reflect.DeepEqual(va, ib[k]) {
			parts = append(parts, "~"+k)
		}
	}
	for _, k := range sortedStringKeys(ia) {
		if _, ok := ib[k]; !ok {
			parts = append(parts, "-"+k)
		}
	}
	if len(parts) == 0 && a.Source != b.Source {
		return "source changed, objects unchanged"
	}
	return orDefault(strings.Join(parts, " "), "no changes")
}

func sortedStringKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recordAndReport records the submission and prints its version, as
// Nomad's "Job version N" line.
func recordAndReport(cmd *cobra.Command, c *client.Client, sub *submission) (*recordResult, error) {
	res, err := recordSubmission(cmd.Context(), c, sub)
	if err != nil {
		return nil, err
	}
	what := "unchanged"
	if res.newVersion {
		what = "new"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "    Job version %d (%s)\n", res.record.CurrentVersion(), what)
	return res, nil
}
