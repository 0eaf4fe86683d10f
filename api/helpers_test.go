package api

import (
	"errors"
	"slices"
	"testing"
)

// Builders of minimal valid objects; each test breaks one thing.

func testPodSpec() PodSpec {
	return PodSpec{Containers: []Container{{Name: "web", Image: "nginx:1.27"}}}
}

func testPod() *Pod {
	return &Pod{ObjectMeta: ObjectMeta{Name: "web-1", Namespace: "default"}, Spec: testPodSpec()}
}

func testTemplate() PodTemplateSpec {
	return PodTemplateSpec{ObjectMeta: ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: testPodSpec()}
}

func testDeployment() *Deployment {
	return &Deployment{ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"}, Spec: DeploymentSpec{
		Replicas: Ptr(int32(3)), Selector: &LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: testTemplate(),
	}}
}

func testJob() *Job {
	tpl := testTemplate()
	tpl.Spec.RestartPolicy = RestartNever
	return &Job{ObjectMeta: ObjectMeta{Name: "batch", Namespace: "default"}, Spec: JobSpec{Template: tpl}}
}

func testService() *Service {
	return &Service{ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"}, Spec: ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []ServicePort{{Port: 80, TargetPort: FromInt(8080)}},
	}}
}

// invalidFields validates obj and returns the field paths of the 422, or
// fails the test if the error is of another sort.
func invalidFields(t *testing.T, obj Object) []string {
	t.Helper()
	err := Validate(obj)
	if err == nil {
		return nil
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Code() != 422 {
		t.Fatalf("Validate: want a 422 StatusError, got %v", err)
	}
	var out []string
	for _, c := range se.Status.Details.Causes {
		out = append(out, c.Field)
	}
	return out
}

// causeMessage returns the message of the cause for field.
func causeMessage(t *testing.T, err error, field string) string {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) || se.Status.Details == nil {
		t.Fatalf("want StatusError with details, got %v", err)
	}
	for _, c := range se.Status.Details.Causes {
		if c.Field == field {
			return c.Message
		}
	}
	t.Fatalf("no cause for %s in %v", field, err)
	return ""
}

func hasField(fields []string, f string) bool { return slices.Contains(fields, f) }
