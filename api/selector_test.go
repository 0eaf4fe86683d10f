package api

import (
	"strings"
	"testing"
)

func TestParseSelectorMatches(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "front", "version": "3", "empty": ""}
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"app=web", true},
		{"app==web", true},
		{"app=db", false},
		{"app!=db", true},
		{"app!=web", false},
		{"missing!=x", true}, // != matches objects without the key
		{"missing=x", false},
		{"app in (web,db)", true},
		{"app in (db)", false},
		{"app notin (db, cache)", true},
		{"app notin (web)", false},
		{"missing notin (x)", true}, // notin matches objects without the key
		{"missing in (x)", false},
		{"app", true},
		{"missing", false},
		{"!missing", true},
		{"!app", false},
		{"app=web,tier=front", true},
		{"app=web,tier=back", false},
		{"  app = web ,  tier in ( front , back ) , !missing  ", true},
		{"empty=", true},
		{"empty in ()", true},
		{"version>2", true},
		{"version<3", false},
		{"example.com/team!=a", true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, err := ParseSelector(tt.sel)
			if err != nil {
				t.Fatalf("ParseSelector(%q): %v", tt.sel, err)
			}
			if got := s.Matches(labels); got != tt.want {
				t.Errorf("Matches = %v, want %v (selector %s)", got, tt.want, s)
			}
		})
	}
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct {
		sel, want string
	}{
		{"app=web,", "end of string"},
		{"app in web", "expected '('"},
		{"app in (a b)", "expected ',' or ')'"},
		{"=web", "expected a label key"},
		{"!", "expected a label key"},
		{"app=web tier=x", "expected ',' or end of string"},
		{"a/b/c=x", "invalid label key"},
		{"app=-bad-", "invalid label value"},
		{"app>x", "integer"},
		{"app web", "expected one of"},
		{",", "expected a label key"},
		{strings.Repeat("k", 64) + "=v", "no more than 63"},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			_, err := ParseSelector(tt.sel)
			if err == nil {
				t.Fatalf("ParseSelector(%q): want error", tt.sel)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestSelectorStringRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"b=2,a=1", "a=1,b=2"},
		{"x in (c,a,b,a)", "x in (a,b,c)"},
		{"x notin (z), !y, w", "w,x notin (z),!y"},
		{"a==1,b!=2", "a==1,b!=2"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseSelector(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tt.want {
				t.Fatalf("String() = %q, want %q", s.String(), tt.want)
			}
			again, err := ParseSelector(s.String())
			if err != nil || again.String() != tt.want {
				t.Fatalf("reparse of %q: %q, %v", s, again, err)
			}
			if s.Empty() != (tt.want == "") {
				t.Errorf("Empty() = %v", s.Empty())
			}
		})
	}
}

func TestSelectorFromLabelSelector(t *testing.T) {
	tests := []struct {
		name   string
		ls     *LabelSelector
		labels map[string]string
		want   bool
	}{
		{"nil matches nothing", nil, map[string]string{"a": "b"}, false},
		{"empty matches everything", &LabelSelector{}, map[string]string{"a": "b"}, true},
		{"matchLabels", &LabelSelector{MatchLabels: map[string]string{"a": "b"}}, map[string]string{"a": "b", "c": "d"}, true},
		{"matchLabels miss", &LabelSelector{MatchLabels: map[string]string{"a": "x"}}, map[string]string{"a": "b"}, false},
		{"In", exprSel("a", LabelSelectorOpIn, "b", "c"), map[string]string{"a": "c"}, true},
		{"NotIn missing key", exprSel("a", LabelSelectorOpNotIn, "b"), map[string]string{}, true},
		{"NotIn hit", exprSel("a", LabelSelectorOpNotIn, "b"), map[string]string{"a": "b"}, false},
		{"Exists", exprSel("a", LabelSelectorOpExists), map[string]string{"a": ""}, true},
		{"DoesNotExist", exprSel("a", LabelSelectorOpDoesNotExist), map[string]string{"a": ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := SelectorFromLabelSelector(tt.ls)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Matches(tt.labels); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []*LabelSelector{
		exprSel("a", "Maybe", "x"),
		exprSel("a", LabelSelectorOpIn),
		exprSel("a", LabelSelectorOpExists, "x"),
		{MatchLabels: map[string]string{"a": "not valid"}},
	} {
		if _, err := SelectorFromLabelSelector(bad); err == nil {
			t.Errorf("SelectorFromLabelSelector(%+v): want error", bad)
		}
	}
}

func exprSel(key string, op LabelSelectorOperator, vals ...string) *LabelSelector {
	return &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: key, Operator: op, Values: vals}}}
}

func TestFieldSelector(t *testing.T) {
	pod := testPod()
	pod.Spec.NodeName = "n1"
	pod.Status.Phase = PodRunning
	cm := &ConfigMap{ObjectMeta: ObjectMeta{Name: "cfg", Namespace: "kube"}}
	tests := []struct {
		sel  string
		obj  Object
		want bool
	}{
		{"", pod, true},
		{"spec.nodeName=n1", pod, true},
		{"spec.nodeName==n1", pod, true},
		{"spec.nodeName!=n1", pod, false},
		{"spec.nodeName=", pod, false},
		{"status.phase=Running,metadata.namespace=default", pod, true},
		{"status.phase=Running,metadata.namespace!=default", pod, false},
		{"metadata.name=web-1", pod, true},
		{"metadata.name = cfg", cm, true},
		{"spec.nodeName=", cm, true},
		{`metadata.name=a\,b`, &ConfigMap{ObjectMeta: ObjectMeta{Name: "a,b"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			fs, err := ParseFieldSelector(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := fs.Matches(tt.obj); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFieldSelectorErrorsAndHelpers(t *testing.T) {
	for _, tt := range []struct{ sel, want string }{
		{"spec.foo=x", "field label not supported: spec.foo"},
		{"metadata.name", "expected field=value"},
		{"status.phase in (a)", "expected field=value"},
	} {
		if _, err := ParseFieldSelector(tt.sel); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFieldSelector(%q) = %v, want error with %q", tt.sel, err, tt.want)
		}
	}
	fs, err := ParseFieldSelector("spec.nodeName=n1,status.phase!=Failed")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := fs.RequiresExactMatch("spec.nodeName"); !ok || v != "n1" {
		t.Errorf("RequiresExactMatch = %q, %v", v, ok)
	}
	if _, ok := fs.RequiresExactMatch("status.phase"); ok {
		t.Error("RequiresExactMatch on != should be false")
	}
	if err := fs.CheckKind("Service"); err == nil || !strings.Contains(err.Error(), "spec.nodeName") {
		t.Errorf("CheckKind(Service) = %v", err)
	}
	if err := fs.CheckKind("Pod"); err != nil {
		t.Errorf("CheckKind(Pod) = %v", err)
	}
	if fs.String() != "spec.nodeName=n1,status.phase!=Failed" {
		t.Errorf("String() = %q", fs.String())
	}
}

// Events select on involvedObject.*, reason, type and source as in
// Kubernetes (kubectl describe finds an object's events by uid); other
// kinds refuse those fields.
func TestEventFieldSelectors(t *testing.T) {
	ev := &Event{InvolvedObject: ObjectReference{Kind: "Pod", Namespace: "default", Name: "web-0", UID: "u1"},
		Reason: "FailedScheduling", Type: "Warning", Source: EventSource{Component: "scheduler"}}
	for sel, want := range map[string]bool{
		"involvedObject.uid=u1":                             true,
		"involvedObject.uid=u2":                             false,
		"involvedObject.kind=Pod,involvedObject.name=web-0": true,
		"involvedObject.namespace=default,reason=FailedScheduling,type=Warning,source=scheduler": true,
		"type!=Warning": false,
	} {
		fs, err := ParseFieldSelector(sel)
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		if err := fs.CheckKind("Event"); err != nil {
			t.Fatalf("%s on events: %v", sel, err)
		}
		if got := fs.Matches(ev); got != want {
			t.Errorf("%s: matches %v, want %v", sel, got, want)
		}
	}
	fs, _ := ParseFieldSelector("involvedObject.uid=u1")
	if err := fs.CheckKind("Pod"); err == nil {
		t.Errorf("involvedObject.uid on pods: no error")
	}
}
