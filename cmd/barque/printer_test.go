package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// rows parses JSON objects as the printer sees them.
func rows(t *testing.T, js ...string) []obj {
	t.Helper()
	out := make([]obj, len(js))
	for i, s := range js {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			t.Fatalf("bad test JSON %s: %v", s, err)
		}
	}
	return out
}

const ts = `"creationTimestamp":"2026-01-01T11:57:00Z"`

func TestTables(t *testing.T) {
	pinClock(t)
	pod := &api.KindInfo{Kind: "Pod", Namespaced: true}
	tests := []struct {
		name   string
		ki     *api.KindInfo
		format string
		allNS  bool
		rows   []string
		want   string
	}{
		{"pods", pod, "", false, []string{
			`{"metadata":{"name":"web-1",` + ts + `},"spec":{"containers":[{},{}],"nodeName":"n1"},
			 "status":{"phase":"Running","containerStatuses":[{"ready":true,"restartCount":2},{"ready":true,"restartCount":1}]}}`,
			`{"metadata":{"name":"web-long-name-2",` + ts + `},"spec":{"containers":[{}]},
			 "status":{"phase":"Running","containerStatuses":[{"ready":false,"restartCount":7,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}`,
		}, `
NAME              READY   STATUS             RESTARTS   AGE
web-1             2/2     Running            3          3m
web-long-name-2   0/1     CrashLoopBackOff   7          3m
`},
		{"pods wide, all namespaces", pod, "wide", true, []string{
			`{"metadata":{"name":"web-1","namespace":"prod",` + ts + `},"spec":{"containers":[{}],"nodeName":"n1"},"status":{"phase":"Pending"}}`,
		}, `
NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   IP       NODE
prod        web-1   0/1     Pending   0          3m    <none>   n1
`},
		{"nodes", &api.KindInfo{Kind: "Node"}, "", true, []string{
			`{"metadata":{"name":"n1",` + ts + `,"labels":{"node-role.kubernetes.io/control-plane":""}},
			 "status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v0.1.0"},
			 "capacity":{"cpu":"2","memory":"16Gi"},"allocated":{"cpu":"500m","memory":"256Mi","pods":"3"}}}`,
			`{"metadata":{"name":"n2",` + ts + `},"spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"False"}]}}`,
		}, `
NAME   STATUS                        ROLES           AGE   VERSION   CPU(ALLOC/CAP)   MEMORY(ALLOC/CAP)   PODS
n1     Ready                         control-plane   3m    v0.1.0    500m/2           256Mi/16Gi          3
n2     NotReady,SchedulingDisabled   <none>          3m    <none>    0/<none>         0/<none>            0
`},
		{"deployments", &api.KindInfo{Kind: "Deployment", Group: "apps", Namespaced: true}, "", false, []string{
			`{"metadata":{"name":"web",` + ts + `},"spec":{"replicas":3},"status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}}`,
		}, `
NAME   READY   UP-TO-DATE   AVAILABLE   AGE
web    2/3     3            2           3m
`},
		{"configmaps", &api.KindInfo{Kind: "ConfigMap", Namespaced: true}, "", false, []string{
			`{"metadata":{"name":"cfg",` + ts + `},"data":{"a":"1","b":"2"}}`,
		}, `
NAME   DATA   AGE
cfg    2      3m
`},
		{"persistentvolumeclaims", &api.KindInfo{Kind: "PersistentVolumeClaim", Namespaced: true}, "", false, []string{
			`{"metadata":{"name":"data-db-0","annotations":{"volume.kubernetes.io/selected-node":"n1"},` + ts + `},` +
				`"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound"}}`,
			`{"metadata":{"name":"data-db-1",` + ts + `},"spec":{"accessModes":["ReadWriteOncePod"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"local"}}`,
		}, `
NAME        STATUS    NODE     CAPACITY   ACCESS MODES   STORAGECLASS   AGE
data-db-0   Bound     n1       1Gi        RWO            <none>         3m
data-db-1   Pending   <none>   1Gi        RWOP           local          3m
`},
		{"services", &api.KindInfo{Kind: "Service", Namespaced: true}, "", false, []string{
			`{"metadata":{"name":"web",` + ts + `},"spec":{"clusterIP":"10.0.0.7","ports":[{"port":80},{"port":443,"nodePort":30443,"protocol":"TCP"}]}}`,
			`{"metadata":{"name":"db",` + ts + `},"spec":{"type":"ClusterIP"}}`,
		}, `
NAME   TYPE        CLUSTER-IP   PORT(S)                AGE
web    ClusterIP   10.0.0.7     80/TCP,443:30443/TCP   3m
db     ClusterIP   <none>       <none>                 3m
`},
		{"namespaces", &api.KindInfo{Kind: "Namespace"}, "", true, []string{
			`{"metadata":{"name":"default",` + ts + `},"status":{"phase":"Active"}}`,
			`{"metadata":{"name":"old",` + ts + `},"status":{"phase":"Terminating"}}`,
		}, `
NAME      STATUS        AGE
default   Active        3m
old       Terminating   3m
`},
		{"a kind without columns", &api.KindInfo{Kind: "Widget", Group: "example.com", Namespaced: true}, "", false, []string{
			`{"metadata":{"name":"backup"}}`,
		}, `
NAME     AGE
backup   <unknown>
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := newPrinter(&buf, tt.format, tt.ki, tt.allNS)
			if err := p.writeRows(rows(t, tt.rows...)); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), strings.TrimPrefix(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestWatchPrintsHeaderOnce(t *testing.T) {
	var buf bytes.Buffer
	p := newPrinter(&buf, "", &api.KindInfo{Kind: "Job"}, false)
	_ = p.writeRows(rows(t, `{"metadata":{"name":"a"}}`))
	_ = p.writeRows(rows(t, `{"metadata":{"name":"b"}}`))
	if n := strings.Count(buf.String(), "NAME"); n != 1 {
		t.Fatalf("header printed %d times:\n%s", n, buf.String())
	}
}

func TestNameAndEncodedOutput(t *testing.T) {
	cm := &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Name: "cfg", Namespace: "web"}, Data: map[string]string{"a": "1"}}
	ki, _ := api.LookupKind("ConfigMap")
	tests := []struct {
		format string
		asList bool
		want   string
	}{
		{outName, true, "configmap/cfg\n"},
		{outYAML, false, "apiVersion: v1\ndata:\n  a: \"1\"\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: web\n"},
		{outJSON, true, `"kind": "List"`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := newPrinter(&buf, tt.format, ki, false).print([]api.Object{cm}, tt.asList); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), tt.want) {
				t.Errorf("got:\n%s\nwant it to contain:\n%s", buf.String(), tt.want)
			}
		})
	}
	if got := resourceName(&api.KindInfo{Kind: "Deployment", Group: "apps"}, "web"); got != "deployment.apps/web" {
		t.Errorf("resourceName = %q", got)
	}
}

// pinClock sets now to 2026-01-01T12:00:00Z for the test.
func pinClock(t *testing.T) {
	t.Helper()
	old := now
	now = func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { now = old })
}

// TestPrinterHidesManagedFields: -o json and yaml leave managedFields out,
// as kubectl does, unless asked (--show-managed-fields).
func TestPrinterHidesManagedFields(t *testing.T) {
	cm := &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Name: "c", ManagedFields: []api.ManagedFieldsEntry{{Manager: "m", Operation: "Apply"}}}}
	ki, _ := api.LookupKind("ConfigMap")
	for _, show := range []bool{false, true} {
		for _, format := range []string{outJSON, outYAML} {
			var buf bytes.Buffer
			p := newPrinter(&buf, format, ki, false)
			p.showManagedFields = show
			if err := p.print([]api.Object{cm}, false); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "managedFields"); got != show {
				t.Errorf("-o %s, show %v: managedFields printed %v:\n%s", format, show, got, buf.String())
			}
		}
	}
	if len(cm.ManagedFields) != 1 {
		t.Fatal("printing changed the object")
	}
}
