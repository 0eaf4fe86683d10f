package api

import (
	"encoding/json"
	"testing"
	"time"
)

func testNomadJob() *NomadJob {
	cm := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-cfg","namespace":"default"},"data":{"a":"b"}}`
	return &NomadJob{
		ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"},
		Spec: NomadJobSpec{JobName: "web", Type: NomadJobService, Source: `job "web" {}`,
			Variables: map[string]string{"image_tag": "1"}, Objects: []json.RawMessage{json.RawMessage(cm)}},
	}
}

func nomadJob(mut func(j *NomadJob)) func() Object {
	return func() Object { j := testNomadJob(); mut(j); return j }
}

func nomadJobVersion(mut func(v *NomadJobVersion)) func() Object {
	return func() Object {
		v := &NomadJobVersion{ObjectMeta: ObjectMeta{Name: "web-v3", Namespace: "default"},
			Spec: NomadJobVersionSpec{Version: 3, Job: testNomadJob().Spec}}
		mut(v)
		return v
	}
}

func TestValidateNomadJob(t *testing.T) {
	runValidationCases(t, []validationCase{
		{"valid", nomadJob(func(j *NomadJob) {}), nil},
		{"jobName required", nomadJob(func(j *NomadJob) { j.Spec.JobName = "" }), []string{"spec.jobName"}},
		{"jobName must be the name", nomadJob(func(j *NomadJob) { j.Spec.JobName = "api" }), []string{"spec.jobName"}},
		{"bad type", nomadJob(func(j *NomadJob) { j.Spec.Type = "daemon" }), []string{"spec.type"}},
		{"sysbatch", nomadJob(func(j *NomadJob) { j.Spec.Type = NomadJobSysbatch }), nil},
		{"bad variable name", nomadJob(func(j *NomadJob) { j.Spec.Variables = map[string]string{"1x": ""} }), []string{"spec.variables[1x]"}},
		{"negative version", nomadJob(func(j *NomadJob) { j.Spec.Version = -1 }), []string{"spec.version"}},
		{"parameterized", nomadJob(func(j *NomadJob) {
			j.Spec.Type, j.Spec.Parameterized = NomadJobBatch, &NomadJobParameterized{Payload: DispatchPayloadRequired, MetaRequired: []string{"a"}}
		}), nil},
		{"bad dispatch payload", nomadJob(func(j *NomadJob) { j.Spec.Parameterized = &NomadJobParameterized{Payload: "sometimes"} }),
			[]string{"spec.parameterized.payload"}},
		{"negative legacy version", nomadJob(func(j *NomadJob) { j.Status.Version = -1 }), []string{"status.version"}},
		{"object not JSON of a kind", nomadJob(func(j *NomadJob) { j.Spec.Objects[0] = json.RawMessage(`{"kind":"Nope","apiVersion":"v1"}`) }),
			[]string{"spec.objects[0]"}},
		{"object of a forbidden kind", nomadJob(func(j *NomadJob) {
			j.Spec.Objects[0] = json.RawMessage(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}`)
		}), []string{"spec.objects[0].kind"}},
		{"object without a name", nomadJob(func(j *NomadJob) {
			j.Spec.Objects[0] = json.RawMessage(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"default"}}`)
		}), []string{"spec.objects[0].metadata.name"}},
		{"object in another namespace", nomadJob(func(j *NomadJob) {
			j.Spec.Objects[0] = json.RawMessage(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"other"}}`)
		}), []string{"spec.objects[0].metadata.namespace"}},
	})
}

func TestValidateNomadJobVersion(t *testing.T) {
	runValidationCases(t, []validationCase{
		{"valid", nomadJobVersion(func(v *NomadJobVersion) {}), nil},
		{"name must follow the version", nomadJobVersion(func(v *NomadJobVersion) { v.Name = "web-v4" }), []string{"metadata.name"}},
		{"negative version", nomadJobVersion(func(v *NomadJobVersion) { v.Spec.Version = -1 }), []string{"spec.version"}},
		{"job checked", nomadJobVersion(func(v *NomadJobVersion) { v.Spec.Job.Type = "x" }), []string{"spec.job.type"}},
		{"job version may repeat the version", nomadJobVersion(func(v *NomadJobVersion) { v.Spec.Job.Version = 3 }), nil},
		{"job version must not differ", nomadJobVersion(func(v *NomadJobVersion) { v.Spec.Job.Version = 2 }), []string{"spec.job.version"}},
	})
}

func TestNomadJobVersionImmutable(t *testing.T) {
	old := nomadJobVersion(func(v *NomadJobVersion) {})().(*NomadJobVersion)
	cur := nomadJobVersion(func(v *NomadJobVersion) { v.Spec.Job.Source = "changed" })().(*NomadJobVersion)
	err := ValidateUpdate(old, cur)
	if msg := causeMessage(t, err, "spec"); msg == "" {
		t.Fatalf("want spec immutable, got %v", err)
	}
	same := nomadJobVersion(func(v *NomadJobVersion) { v.Labels = map[string]string{"a": "b"} })()
	if err := ValidateUpdate(old, same); err != nil {
		t.Fatalf("a label change must be allowed: %v", err)
	}
}

func TestNomadJobCurrentVersion(t *testing.T) {
	t0, t1 := NewTime(time.Unix(100, 0)), NewTime(time.Unix(200, 0))
	for _, c := range []struct {
		name string
		spec NomadJobSpec
		st   NomadJobStatus
		v    int64
		at   *Time
	}{
		{"new record", NomadJobSpec{Version: 2, SubmitTime: t1}, NomadJobStatus{}, 2, t1},
		{"version 0", NomadJobSpec{SubmitTime: t1}, NomadJobStatus{}, 0, t1},
		{"legacy record", NomadJobSpec{}, NomadJobStatus{Version: 3, SubmitTime: t0}, 3, t0},
		{"legacy record resubmitted", NomadJobSpec{Version: 4, SubmitTime: t1}, NomadJobStatus{Version: 3, SubmitTime: t0}, 4, t1},
	} {
		j := &NomadJob{Spec: c.spec, Status: c.st}
		if got := j.CurrentVersion(); got != c.v {
			t.Errorf("%s: version %d, want %d", c.name, got, c.v)
		}
		if got := j.CurrentSubmitTime(); got != c.at {
			t.Errorf("%s: submit time %v, want %v", c.name, got, c.at)
		}
	}
}

func TestDefaultNomadJobType(t *testing.T) {
	j := testNomadJob()
	j.Spec.Type = ""
	Default(j)
	if j.Spec.Type != NomadJobService {
		t.Fatalf("type defaults to service, got %q", j.Spec.Type)
	}
}

func TestNomadJobKinds(t *testing.T) {
	for _, n := range []string{"nomadjobs", "nj", "NomadJob", "njv", "nomadjobversions"} {
		if _, err := ResolveName(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if k, _ := LookupKind("NomadJob"); k.APIVersion() != "barque.io/v1" || k.Resource == "jobs" {
		t.Fatalf("NomadJob must not clash with batch/v1 Job: %+v", k)
	}
}
