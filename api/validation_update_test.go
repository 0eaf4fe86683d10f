package api

import (
	"errors"
	"testing"
)

func TestValidateUpdate(t *testing.T) {
	tests := []struct {
		name   string
		old    func() Object
		mut    func(Object)
		fields []string
	}{
		{"pod image change ok", func() Object { return testPod() }, func(o Object) { o.(*Pod).Spec.Containers[0].Image = "nginx:2" }, nil},
		{"pod binding ok", func() Object { return testPod() }, func(o Object) { o.(*Pod).Spec.NodeName = "n1" }, nil},
		{"pod rebinding forbidden", func() Object { p := testPod(); p.Spec.NodeName = "n1"; return p },
			func(o Object) { o.(*Pod).Spec.NodeName = "n2" }, []string{"spec"}},
		{"pod toleration added ok", func() Object { return testPod() },
			func(o Object) { o.(*Pod).Spec.Tolerations = []Toleration{{Key: "k", Operator: "Exists"}} }, nil},
		{"pod command change forbidden", func() Object { return testPod() },
			func(o Object) { o.(*Pod).Spec.Containers[0].Command = []string{"sh"} }, []string{"spec"}},
		{"pod status change ok", func() Object { return testPod() }, func(o Object) { o.(*Pod).Status.Phase = PodRunning }, nil},
		{"rename forbidden", func() Object { return testPod() }, func(o Object) { o.GetObjectMeta().Name = "other" }, []string{"metadata.name"}},
		{"uid change forbidden", func() Object { p := testPod(); p.UID = "a"; return p }, func(o Object) { o.GetObjectMeta().UID = "b" }, []string{"metadata.uid"}},
		{"deployment scale ok", func() Object { return testDeployment() }, func(o Object) { o.(*Deployment).Spec.Replicas = Ptr(int32(9)) }, nil},
		{"deployment selector immutable", func() Object { return testDeployment() }, func(o Object) {
			d := o.(*Deployment)
			d.Spec.Selector.MatchLabels = map[string]string{"app": "web", "v": "2"}
			d.Spec.Template.Labels = map[string]string{"app": "web", "v": "2"}
		}, []string{"spec.selector"}},
		{"job template immutable", func() Object { return testJob() },
			func(o Object) { o.(*Job).Spec.Template.Spec.Containers[0].Image = "x" }, []string{"spec.template"}},
		{"service clusterIP immutable", func() Object { s := testService(); s.Spec.ClusterIP = "10.0.0.1"; return s },
			func(o Object) { o.(*Service).Spec.ClusterIP = "10.0.0.2" }, []string{"spec.clusterIP"}},
		{"immutable configmap", func() Object {
			return &ConfigMap{ObjectMeta: ObjectMeta{Name: "c", Namespace: "d"}, Immutable: Ptr(true), Data: map[string]string{"a": "1"}}
		}, func(o Object) { o.(*ConfigMap).Data["a"] = "2" }, []string{"data"}},
		{"mutable configmap", func() Object {
			return &ConfigMap{ObjectMeta: ObjectMeta{Name: "c", Namespace: "d"}, Data: map[string]string{"a": "1"}}
		}, func(o Object) { o.(*ConfigMap).Data["a"] = "2" }, nil},
		{"statefulset serviceName immutable", func() Object {
			return &StatefulSet{ObjectMeta: ObjectMeta{Name: "db", Namespace: "d"}, Spec: StatefulSetSpec{
				Selector: &LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: testTemplate(), ServiceName: "db"}}
		}, func(o Object) { o.(*StatefulSet).Spec.ServiceName = "db2" }, []string{"spec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := tt.old()
			cur := Clone(old)
			tt.mut(cur)
			err := ValidateUpdate(old, cur)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("want valid update, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("want 422, got %v", err)
			}
			for _, f := range tt.fields {
				causeMessage(t, err, f)
			}
		})
	}
}
