package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
)

func rawObjs(t *testing.T, objs ...string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for _, o := range objs {
		out = append(out, json.RawMessage(o))
	}
	return out
}

const (
	cmA  = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"1"}}`
	cmA2 = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"2"}}`
	cmB  = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}`
)

func TestSameSubmission(t *testing.T) {
	base := api.NomadJobSpec{JobName: "web", Type: "service", Source: "s", Objects: rawObjs(t, cmA)}
	spaced := base
	spaced.Objects = rawObjs(t, strings.ReplaceAll(cmA, ",", ", "))
	spaced.SourcePath, spaced.Stop = "/elsewhere.hcl", true
	if !sameSubmission(base, spaced) {
		t.Fatal("encoding, path and stop must not count as a change")
	}
	for name, mut := range map[string]func(s *api.NomadJobSpec){
		"source":  func(s *api.NomadJobSpec) { s.Source = "t" },
		"vars":    func(s *api.NomadJobSpec) { s.Variables = map[string]string{"a": "b"} },
		"objects": func(s *api.NomadJobSpec) { s.Objects = rawObjs(t, cmA2) },
		"type":    func(s *api.NomadJobSpec) { s.Type = "batch" },
	} {
		changed := base
		mut(&changed)
		if sameSubmission(base, changed) {
			t.Errorf("a change of %s must count", name)
		}
	}
}

func TestDiffHint(t *testing.T) {
	a := api.NomadJobSpec{Source: "x", Objects: rawObjs(t, cmA, cmB)}
	b := api.NomadJobSpec{Source: "y", Objects: rawObjs(t, cmA2)}
	if got := diffHint(a, b); got != "~configmap/a -configmap/b" {
		t.Errorf("diffHint = %q", got)
	}
	if got := diffHint(b, a); got != "~configmap/a +configmap/b" {
		t.Errorf("diffHint = %q", got)
	}
	if got := diffHint(a, api.NomadJobSpec{Source: "z", Objects: a.Objects}); got != "source changed, objects unchanged" {
		t.Errorf("diffHint = %q", got)
	}
}

func TestFieldDiff(t *testing.T) {
	a := decodeRaws(rawObjs(t, `{"kind":"Deployment","spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"main","env":[{"name":"G","value":"hello"}]}]}}},"metadata":{"name":"x","labels":{"a":"1"}}}`))[0]
	b := decodeRaws(rawObjs(t, `{"kind":"Deployment","spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"main","env":[{"name":"G","value":"bye"}]}]}}},"metadata":{"name":"x","annotations":{"n":"v"}}}`))[0]
	got := strings.Join(fieldDiff(a, b), "\n")
	want := strings.Join([]string{
		`+ metadata.annotations: {"n":"v"}`,
		`- metadata.labels: {"a":"1"}`,
		`~ spec.replicas: 2 => 3`,
		`~ spec.template.spec.containers[0].env[0].value: "hello" => "bye"`,
	}, "\n")
	if got != want {
		t.Fatalf("fieldDiff:\n%s\nwant:\n%s", got, want)
	}
	if d := fieldDiff(a, a); len(d) != 0 {
		t.Fatalf("no diff expected: %v", d)
	}
}

func TestRetryOnConflict(t *testing.T) {
	conflict := fmt.Errorf("recording job: %w", api.ErrConflict)
	calls := 0
	res, err := retryOnConflict(func() (*recordResult, error) {
		calls++
		if calls < 3 {
			return nil, conflict
		}
		return &recordResult{newVersion: true}, nil
	})
	if err != nil || !res.newVersion || calls != 3 {
		t.Fatalf("a write that wins on its third try: %v %+v after %d calls", err, res, calls)
	}
	calls = 0
	if _, err := retryOnConflict(func() (*recordResult, error) { calls++; return nil, conflict }); !errors.Is(err, api.ErrConflict) || calls != recordAttempts {
		t.Fatalf("a write that always loses: %v after %d calls", err, calls)
	}
	calls = 0
	if _, err := retryOnConflict(func() (*recordResult, error) { calls++; return nil, api.ErrNotFound }); !errors.Is(err, api.ErrNotFound) || calls != 1 {
		t.Fatalf("other errors are not retried: %v after %d calls", err, calls)
	}
}
