package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/scheduler"
)

func TestRolloutDeploymentArg(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    string
		wantErr string
	}{
		{[]string{"deployment/web"}, "web", ""},
		{[]string{"deploy/web"}, "web", ""},
		{[]string{"deployments.apps/web"}, "web", ""},
		{[]string{"deployment", "web"}, "web", ""},
		{[]string{"pod/web"}, "", "only deployments"},
		{[]string{"deployment/"}, "", "empty"},
		{[]string{"web"}, "", "deployment/NAME"},
		{[]string{"nosuchkind/x"}, "", "resource type"},
	} {
		got, err := deploymentArg(tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}

func statusDeployment(gen, observed int64, want int32, st api.DeploymentStatus) *api.Deployment {
	d := &api.Deployment{ObjectMeta: api.ObjectMeta{Name: "web", Generation: gen}, Spec: api.DeploymentSpec{Replicas: api.Ptr(want)}}
	st.ObservedGeneration = observed
	d.Status = st
	return d
}

func TestRolloutStatusVerdict(t *testing.T) {
	timedOut := []api.Condition{{Type: api.DeploymentProgressing, Status: api.ConditionFalse, Reason: scheduler.ReasonTimedOut}}
	for _, tc := range []struct {
		name    string
		d       *api.Deployment
		msg     string
		done    bool
		wantErr bool
	}{
		{"not observed", statusDeployment(2, 1, 3, api.DeploymentStatus{}), "Waiting for deployment spec update to be observed...", false, false},
		{"updating", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1}),
			`Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...`, false, false},
		{"old pending", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 3, AvailableReplicas: 3}),
			`Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...`, false, false},
		{"availability", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 1}),
			`Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...`, false, false},
		{"done", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}),
			`deployment "web" successfully rolled out`, true, false},
		{"deadline", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 1, Conditions: timedOut}), "", false, true},
		{"canaries starting", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 5, UpdatedReplicas: 2,
			Canary: &api.DeploymentCanaryStatus{Desired: 2, Healthy: 1}}),
			`Waiting for deployment "web" canaries: 1 of 2 canaries healthy...`, false, false},
		{"canaries await promotion", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 5, UpdatedReplicas: 2,
			Canary: &api.DeploymentCanaryStatus{Desired: 2, Healthy: 2}}),
			`Waiting for promotion of deployment "web": 2 of 2 canaries healthy`, false, false},
		{"canaries past deadline", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 5, UpdatedReplicas: 2, Conditions: timedOut,
			Canary: &api.DeploymentCanaryStatus{Desired: 2}}), "", false, true},
		{"promoted canaries roll on", statusDeployment(2, 2, 3, api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 2,
			Canary: &api.DeploymentCanaryStatus{Desired: 2, Healthy: 2, Promoted: true}}),
			`Waiting for deployment "web" rollout to finish: 2 out of 3 new replicas have been updated...`, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, done, err := rolloutStatus(tc.d)
			if (err != nil) != tc.wantErr || msg != tc.msg || done != tc.done {
				t.Fatalf("got %q, %v, %v; want %q, %v, error %v", msg, done, err, tc.msg, tc.done, tc.wantErr)
			}
		})
	}
}

func revisionSet(uid, name string, rev, image, cause string) *api.ReplicaSet {
	ann := map[string]string{scheduler.RevisionAnnotation: rev}
	if cause != "" {
		ann[changeCauseAnnotation] = cause
	}
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: name, Annotations: ann,
		OwnerReferences: []api.OwnerReference{{Kind: "Deployment", Name: "web", UID: uid, Controller: api.Ptr(true)}}}}
	rs.Spec.Template.Labels = map[string]string{"app": "web", scheduler.PodTemplateHashLabel: name}
	rs.Spec.Template.Spec.Containers = []api.Container{{Name: "web", Image: image}}
	return rs
}

func historyFixture() (*api.Deployment, []api.Object) {
	d := &api.Deployment{ObjectMeta: api.ObjectMeta{Name: "web", UID: "d1"}}
	d.Spec.Template.Labels = map[string]string{"app": "web"}
	d.Spec.Template.Spec.Containers = []api.Container{{Name: "web", Image: "web:3"}}
	items := []api.Object{
		revisionSet("d1", "web-c", "3", "web:3", ""),
		revisionSet("d1", "web-a", "1", "web:1", "first"),
		revisionSet("other", "web-x", "7", "web:x", ""), // another owner
		revisionSet("d1", "web-b", "2", "web:2", "image 2"),
	}
	return d, items
}

func TestRolloutHistory(t *testing.T) {
	d, items := historyFixture()
	revs := ownedRevisions(d, items)
	var out bytes.Buffer
	if err := printHistory(&out, revs); err != nil {
		t.Fatal(err)
	}
	want := "REVISION  CHANGE-CAUSE\n1         first\n2         image 2\n3         <none>\n"
	if out.String() != want {
		t.Fatalf("history:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	if err := printRevision(&out, "web", revs, 2); err != nil || !strings.Contains(out.String(), "image: web:2") ||
		strings.Contains(out.String(), scheduler.PodTemplateHashLabel) {
		t.Fatalf("revision 2: %v\n%s", err, out.String())
	}
	if err := printRevision(&out, "web", revs, 9); err == nil {
		t.Fatal("an unknown revision must be an error")
	}
}

func TestRolloutUndo(t *testing.T) {
	d, items := historyFixture()
	revs := ownedRevisions(d, items)
	u, _, err := rollbackTo(d, revs, 0)
	if err != nil || u == nil {
		t.Fatalf("undo: %v %v", u, err)
	}
	if img := u.Spec.Template.Spec.Containers[0].Image; img != "web:2" {
		t.Fatalf("undo went to %s, want the previous revision's web:2", img)
	}
	if _, ok := u.Spec.Template.Labels[scheduler.PodTemplateHashLabel]; ok || u.Spec.Template.Labels["app"] != "web" {
		t.Fatalf("template labels %v", u.Spec.Template.Labels)
	}
	if u.Annotations[changeCauseAnnotation] != "image 2" || d.Annotations != nil {
		t.Fatalf("change cause %v (and the original must be untouched: %v)", u.Annotations, d.Annotations)
	}
	if u, _, err = rollbackTo(d, revs, 1); err != nil || u.Spec.Template.Spec.Containers[0].Image != "web:1" {
		t.Fatalf("--to-revision=1: %v %v", u, err)
	}
	if u, msg, err := rollbackTo(d, revs, 3); err != nil || u != nil || !strings.Contains(msg, "skipped rollback") {
		t.Fatalf("undo to the current template: %v %q %v", u, msg, err)
	}
	if _, _, err := rollbackTo(d, revs, 5); err == nil || !strings.Contains(err.Error(), "unable to find") {
		t.Fatalf("unknown revision: %v", err)
	}
	if _, _, err := rollbackTo(d, revs[:1], 0); err == nil {
		t.Fatal("undo with one revision must fail")
	}
	d.Spec.Paused = true
	if _, _, err := rollbackTo(d, revs, 0); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Fatalf("undo of a paused deployment: %v", err)
	}
}

func TestRolloutRestartPatch(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var p struct {
		Spec struct {
			Template struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(restartPatch(now), &p); err != nil {
		t.Fatal(err)
	}
	if got := p.Spec.Template.Metadata.Annotations[restartedAtAnnotation]; got != "2024-05-06T07:08:09Z" {
		t.Fatalf("restartedAt %q", got)
	}
}

func canaryFixture(healthy int32, promoted bool) *api.Deployment {
	d := statusDeployment(3, 3, 4, api.DeploymentStatus{Replicas: 6, UpdatedReplicas: 2,
		Canary: &api.DeploymentCanaryStatus{ReplicaSet: "web-b", Revision: 2, Desired: 2, Healthy: healthy, Promoted: promoted}})
	d.Spec.Strategy.Canary = &api.DeploymentCanary{Replicas: 2}
	return d
}

func TestRolloutAwaitsPromotion(t *testing.T) {
	auto := canaryFixture(2, false)
	auto.Spec.Strategy.Canary.AutoPromote = true
	if msg, _, _ := rolloutStatus(auto); !strings.Contains(msg, "to be promoted: 2 of 2") {
		t.Errorf("auto-promoting canaries: %q", msg)
	}
	requested := canaryFixture(2, false)
	requested.Annotations = map[string]string{api.PromoteRevisionAnnotation: "2"}
	if msg, _, _ := rolloutStatus(requested); !strings.Contains(msg, "to be promoted: 2 of 2") {
		t.Errorf("canaries whose promotion was requested: %q", msg)
	}
	staleRequest := canaryFixture(2, false)
	staleRequest.Annotations = map[string]string{api.PromoteRevisionAnnotation: "1"}
	unobserved := canaryFixture(2, false)
	unobserved.Generation = 4
	for _, tc := range []struct {
		name string
		d    *api.Deployment
		want bool
	}{
		{"healthy canaries", canaryFixture(2, false), true},
		{"unhealthy canaries", canaryFixture(1, false), false},
		{"promoted", canaryFixture(2, true), false},
		{"auto-promoted", auto, false},
		{"promotion requested", requested, false},
		{"an earlier revision's promotion", staleRequest, true},
		{"a change not observed yet", unobserved, false},
		{"no canaries", statusDeployment(1, 1, 3, api.DeploymentStatus{}), false},
	} {
		if got := awaitsPromotion(tc.d); got != tc.want {
			t.Errorf("%s: awaitsPromotion %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRolloutPromote(t *testing.T) {
	d := canaryFixture(2, false)
	d.ResourceVersion = 42
	u, _, err := promoteRequest(d, false)
	if err != nil || u == nil || u.Annotations[api.PromoteRevisionAnnotation] != "2" {
		t.Fatalf("promote: %+v %v", u, err)
	}
	if u.ResourceVersion != 42 || d.Annotations != nil {
		t.Fatalf("the write must be conditional on the version read (%d), and the original untouched (%v)", u.ResourceVersion, d.Annotations)
	}
	if u, msg, err := promoteRequest(u, false); err != nil || u != nil || !strings.Contains(msg, "already requested") {
		t.Fatalf("second promote: %v %q %v", u, msg, err)
	}
	if u, msg, err := promoteRequest(canaryFixture(2, true), false); err != nil || u != nil || !strings.Contains(msg, "already promoted") {
		t.Fatalf("promote of promoted canaries: %v %q %v", u, msg, err)
	}
	if _, _, err := promoteRequest(canaryFixture(1, false), false); err == nil || !strings.Contains(err.Error(), "1 of 2 canaries healthy") {
		t.Fatalf("promote of unhealthy canaries: %v", err)
	}
	if u, _, err := promoteRequest(canaryFixture(1, false), true); err != nil || u.Annotations[api.PromoteRevisionAnnotation] != "2" {
		t.Fatalf("--force: %v %v", u, err)
	}
	if _, _, err := promoteRequest(statusDeployment(1, 1, 3, api.DeploymentStatus{}), false); err == nil || !strings.Contains(err.Error(), "no canaries") {
		t.Fatalf("promote without canaries: %v", err)
	}
	stale := canaryFixture(2, false)
	stale.Generation = 4
	if _, _, err := promoteRequest(stale, false); err == nil || !strings.Contains(err.Error(), "not observed") {
		t.Fatalf("promote before the controller observed the change: %v", err)
	}
	paused := canaryFixture(2, false)
	paused.Spec.Paused = true
	if _, _, err := promoteRequest(paused, false); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Fatalf("promote of a paused deployment: %v", err)
	}
}

// TestRolloutUndoDuringCanary: undo while canaries wait goes back to the
// stable revision, past canaries a template change replaced.
func TestRolloutUndoDuringCanary(t *testing.T) {
	d, items := historyFixture()
	pending := func(rs api.Object) { rs.GetObjectMeta().Annotations[api.CanaryAnnotation] = api.CanaryPending }
	pending(items[0]) // web-c, revision 3: the current canaries
	pending(items[3]) // web-b, revision 2: canaries replaced by revision 3
	u, _, err := rollbackTo(d, ownedRevisions(d, items), 0)
	if err != nil || u.Spec.Template.Spec.Containers[0].Image != "web:1" {
		t.Fatalf("undo during the canary step: %v %v", u, err)
	}
	if u, _, err = rollbackTo(d, ownedRevisions(d, items), 2); err != nil || u.Spec.Template.Spec.Containers[0].Image != "web:2" {
		t.Fatalf("--to-revision=2 still reaches the replaced canaries: %v %v", u, err)
	}
	// Outside a canary step, undo is the previous revision, canary or not.
	delete(items[0].GetObjectMeta().Annotations, api.CanaryAnnotation)
	if u, _, err = rollbackTo(d, ownedRevisions(d, items), 0); err != nil || u.Spec.Template.Spec.Containers[0].Image != "web:2" {
		t.Fatalf("undo after the canary step: %v %v", u, err)
	}
}
