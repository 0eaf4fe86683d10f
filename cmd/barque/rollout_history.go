package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/scheduler"
)

// revisionRS is one ReplicaSet of a Deployment with its revision number.
type revisionRS struct {
	revision int64
	rs       *api.ReplicaSet
}

// ownedRevisions returns the sets the Deployment controls, by revision,
// oldest first; sets without a revision annotation are left out.
func ownedRevisions(d *api.Deployment, items []api.Object) []revisionRS {
	var out []revisionRS
	for _, obj := range items {
		rs, ok := obj.(*api.ReplicaSet)
		if !ok || !controlledBy(&rs.ObjectMeta, d.UID) {
			continue
		}
		n, err := strconv.ParseInt(rs.Annotations[scheduler.RevisionAnnotation], 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		out = append(out, revisionRS{n, rs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].revision < out[j].revision })
	return out
}

func controlledBy(m *api.ObjectMeta, uid string) bool {
	for _, r := range m.OwnerReferences {
		if r.Controller != nil && *r.Controller && r.UID == uid {
			return true
		}
	}
	return false
}

func listRevisions(ctx context.Context, c *client.Client, name string) (*api.Deployment, []revisionRS, error) {
	d, err := getDeployment(ctx, c, name)
	if err != nil {
		return nil, nil, err
	}
	l, err := c.List(ctx, "ReplicaSet", d.Namespace, client.ListOptions{})
	if err != nil {
		return nil, nil, err
	}
	return d, ownedRevisions(d, l.Items), nil
}

// ---- history ----

func newRolloutHistoryCmd() *cobra.Command {
	var revision int64
	cmd := simpleRolloutCmd("history", "List a Deployment's revisions, or show one",
		func(ctx context.Context, cmd *cobra.Command, c *client.Client, name string) error {
			_, revs, err := listRevisions(ctx, c, name)
			if err != nil {
				return err
			}
			if revision > 0 {
				return printRevision(cmd.OutOrStdout(), name, revs, revision)
			}
			fmt.Fprintln(cmd.OutOrStdout(), deploymentRef(name))
			return printHistory(cmd.OutOrStdout(), revs)
		})
	cmd.Flags().Int64Var(&revision, "revision", 0, "show the pod template of this revision")
	return cmd
}

func printHistory(w io.Writer, revs []revisionRS) error {
	tw := tabwriter.NewWriter(w, 6, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tCHANGE-CAUSE")
	for _, r := range revs {
		cause := r.rs.Annotations[changeCauseAnnotation]
		if cause == "" {
			cause = "<none>"
		}
		fmt.Fprintf(tw, "%d\t%s\n", r.revision, cause)
	}
	return tw.Flush()
}

func printRevision(w io.Writer, name string, revs []revisionRS, revision int64) error {
	r, err := findRevision(revs, revision)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(templateOf(r.rs))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s with revision #%d\nPod Template:\n%s", deploymentRef(name), revision, indent(string(b), "  "))
	return nil
}

// findRevision finds revision n, or with n == 0 the one before the latest
// (what `undo` goes back to). When the latest is a canary awaiting
// promotion, that is the newest revision which is not one: undo during a
// canary step drops the canaries, including those a template change
// during the step replaced, and keeps the stable pods.
func findRevision(revs []revisionRS, n int64) (revisionRS, error) {
	if len(revs) == 0 {
		return revisionRS{}, errors.New("no rollout history found")
	}
	if n == 0 {
		prev := revs[:len(revs)-1]
		if pendingCanary(revs[len(revs)-1].rs) {
			for len(prev) > 0 && pendingCanary(prev[len(prev)-1].rs) {
				prev = prev[:len(prev)-1]
			}
		}
		if len(prev) == 0 {
			return revisionRS{}, errors.New("no rollout history found: there is no previous revision")
		}
		return prev[len(prev)-1], nil
	}
	for _, r := range revs {
		if r.revision == n {
			return r, nil
		}
	}
	return revisionRS{}, fmt.Errorf("unable to find specified revision %d in history", n)
}

func pendingCanary(rs *api.ReplicaSet) bool {
	return rs.Annotations[api.CanaryAnnotation] == api.CanaryPending
}

// templateOf is a set's pod template as the Deployment held it: without
// the pod-template-hash label the controller added.
func templateOf(rs *api.ReplicaSet) api.PodTemplateSpec {
	b, _ := json.Marshal(rs.Spec.Template)
	var t api.PodTemplateSpec
	_ = json.Unmarshal(b, &t) // a deep copy
	t.Labels = maps.Clone(t.Labels)
	delete(t.Labels, scheduler.PodTemplateHashLabel)
	if len(t.Labels) == 0 {
		t.Labels = nil
	}
	return t
}

func sameTemplate(a, b api.PodTemplateSpec) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// ---- undo ----

func newRolloutUndoCmd() *cobra.Command {
	var to int64
	cmd := simpleRolloutCmd("undo", "Roll a Deployment back to an earlier revision",
		func(ctx context.Context, cmd *cobra.Command, c *client.Client, name string) error {
			return runUndo(ctx, cmd, c, name, to)
		})
	cmd.Flags().Int64Var(&to, "to-revision", 0, "the revision to go back to (0: the previous one)")
	return cmd
}

// runUndo writes the chosen revision's template into the Deployment with a
// compare-and-swap, retrying when someone else wrote meanwhile.
func runUndo(ctx context.Context, cmd *cobra.Command, c *client.Client, name string, to int64) error {
	for attempt := 0; ; attempt++ {
		d, revs, err := listRevisions(ctx, c, name)
		if err != nil {
			return err
		}
		u, msg, err := rollbackTo(d, revs, to)
		if err != nil || u == nil {
			if msg != "" {
				fmt.Fprintln(cmd.OutOrStdout(), msg)
			}
			return err
		}
		_, err = c.Update(ctx, u)
		if errors.Is(err, api.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), deploymentRef(name), "rolled back")
		return nil
	}
}

// rollbackTo returns the Deployment with revision to's template (nil and a
// message when it already has it).
func rollbackTo(d *api.Deployment, revs []revisionRS, to int64) (*api.Deployment, string, error) {
	if d.Spec.Paused {
		return nil, "", fmt.Errorf("you cannot rollback a paused deployment; resume it first with 'barque rollout resume deployment/%s' and try again", d.Name)
	}
	r, err := findRevision(revs, to)
	if err != nil {
		return nil, "", err
	}
	tpl := templateOf(r.rs)
	if sameTemplate(tpl, d.Spec.Template) {
		return nil, fmt.Sprintf("%s skipped rollback (current template already matches revision %d)", deploymentRef(d.Name), r.revision), nil
	}
	u := api.Clone(d)
	u.Spec.Template = tpl
	if cause, ok := r.rs.Annotations[changeCauseAnnotation]; ok {
		u.Annotations = maps.Clone(u.Annotations)
		if u.Annotations == nil {
			u.Annotations = map[string]string{}
		}
		u.Annotations[changeCauseAnnotation] = cause
	} else if _, ok := u.Annotations[changeCauseAnnotation]; ok {
		u.Annotations = maps.Clone(u.Annotations)
		delete(u.Annotations, changeCauseAnnotation)
	}
	return u, "", nil
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return pre + strings.Join(lines, "\n"+pre) + "\n"
}
