package api

import (
	"strings"
	"testing"
)

func testClaimSpec() PersistentVolumeClaimSpec {
	return PersistentVolumeClaimSpec{AccessModes: []string{ReadWriteOnce},
		Resources: VolumeResourceRequirements{Requests: ResourceList{"storage": "1Gi"}}}
}

func claim(mut func(c *PersistentVolumeClaim)) func() Object {
	return func() Object {
		c := &PersistentVolumeClaim{ObjectMeta: ObjectMeta{Name: "data-db-0", Namespace: "d"}, Spec: testClaimSpec()}
		mut(c)
		return c
	}
}

func testStatefulSetWithClaims() *StatefulSet {
	tpl := testTemplate()
	tpl.Spec.Containers[0].VolumeMounts = []VolumeMount{{Name: "data", MountPath: "/data"}}
	return &StatefulSet{ObjectMeta: ObjectMeta{Name: "db", Namespace: "d"}, Spec: StatefulSetSpec{
		Selector: &LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: tpl, ServiceName: "db",
		VolumeClaimTemplates: []PersistentVolumeClaim{{ObjectMeta: ObjectMeta{Name: "data"}, Spec: testClaimSpec()}}}}
}

func sts(mut func(s *StatefulSet)) func() Object {
	return func() Object { s := testStatefulSetWithClaims(); mut(s); return s }
}

func TestValidateClaim(t *testing.T) {
	runValidationCases(t, []validationCase{
		{"valid", claim(func(c *PersistentVolumeClaim) {}), nil},
		{"valid with class and phase", claim(func(c *PersistentVolumeClaim) {
			c.Spec.StorageClassName = Ptr("local-path")
			c.Status.Phase = ClaimBound
			c.Annotations = map[string]string{ClaimNodeAnnotation: "n1"}
		}), nil},
		{"access modes required", claim(func(c *PersistentVolumeClaim) { c.Spec.AccessModes = nil }), []string{"spec.accessModes"}},
		{"multi-node access mode", claim(func(c *PersistentVolumeClaim) { c.Spec.AccessModes = []string{"ReadWriteMany"} }),
			[]string{"spec.accessModes[0]"}},
		{"storage required", claim(func(c *PersistentVolumeClaim) { c.Spec.Resources.Requests = nil }),
			[]string{"spec.resources.requests[storage]"}},
		{"storage quantity", claim(func(c *PersistentVolumeClaim) { c.Spec.Resources.Requests["storage"] = "lots" }),
			[]string{"spec.resources.requests[storage]"}},
		{"storage zero", claim(func(c *PersistentVolumeClaim) { c.Spec.Resources.Requests["storage"] = "0" }),
			[]string{"spec.resources.requests[storage]"}},
		{"storage class name", claim(func(c *PersistentVolumeClaim) { c.Spec.StorageClassName = Ptr("Fast_SSD") }),
			[]string{"spec.storageClassName"}},
		{"filesystem mode", claim(func(c *PersistentVolumeClaim) { c.Spec.VolumeMode = Ptr(FilesystemVolumeMode) }), nil},
		{"block mode", claim(func(c *PersistentVolumeClaim) { c.Spec.VolumeMode = Ptr("Block") }), []string{"spec.volumeMode"}},
		{"phase", claim(func(c *PersistentVolumeClaim) { c.Status.Phase = "Gone" }), []string{"status.phase"}},
		{"bad node", claim(func(c *PersistentVolumeClaim) { c.Annotations = map[string]string{ClaimNodeAnnotation: "N_1"} }),
			[]string{"metadata.annotations[volume.kubernetes.io/selected-node]"}},
	})
}

func TestValidateStatefulSetClaims(t *testing.T) {
	runValidationCases(t, []validationCase{
		{"mount names a claim template", sts(func(s *StatefulSet) {}), nil},
		{"claim template replaces a template volume", sts(func(s *StatefulSet) {
			s.Spec.Template.Spec.Volumes = []Volume{{Name: "data", VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{}}}}
		}), nil},
		{"mount of an unknown volume", sts(func(s *StatefulSet) { s.Spec.VolumeClaimTemplates = nil }),
			[]string{"spec.template.spec.containers[0].volumeMounts[0].name"}},
		{"template name required", sts(func(s *StatefulSet) { s.Spec.VolumeClaimTemplates[0].Name = "" }),
			[]string{"spec.volumeClaimTemplates[0].metadata.name"}},
		{"template name is a label", sts(func(s *StatefulSet) { s.Spec.VolumeClaimTemplates[0].Name = "Data.1" }),
			[]string{"spec.volumeClaimTemplates[0].metadata.name"}},
		{"claim names too long", sts(func(s *StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Name = "d" + strings.Repeat("0", 60)
			s.Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = s.Spec.VolumeClaimTemplates[0].Name
			s.Name = "s" + strings.Repeat("0", 190)
		}), []string{"spec.volumeClaimTemplates[0].metadata.name"}},
		{"duplicate template", sts(func(s *StatefulSet) {
			s.Spec.VolumeClaimTemplates = append(s.Spec.VolumeClaimTemplates, s.Spec.VolumeClaimTemplates[0])
		}), []string{"spec.volumeClaimTemplates[1].metadata.name"}},
		{"template spec", sts(func(s *StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Spec = PersistentVolumeClaimSpec{AccessModes: []string{"ReadOnlyMany"}}
		}), []string{"spec.volumeClaimTemplates[0].spec.accessModes[0]", "spec.volumeClaimTemplates[0].spec.resources.requests[storage]"}},
		{"retention policy", sts(func(s *StatefulSet) {
			s.Spec.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Keep", WhenScaled: "Delete"}
		}), []string{"spec.persistentVolumeClaimRetentionPolicy.whenDeleted"}},
		{"retention policy whenScaled", sts(func(s *StatefulSet) {
			s.Spec.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{WhenScaled: "Forget"}
		}), []string{"spec.persistentVolumeClaimRetentionPolicy.whenScaled"}},
		{"defaulted valid", sts(func(s *StatefulSet) { Default(s) }), nil},
		{"pod claim volume", pod(func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", VolumeSource: VolumeSource{PersistentVolumeClaim: &PersistentVolumeClaimVolumeSource{ClaimName: "data-db-0"}}}}
		}), nil},
		{"pod claim volume without a name", pod(func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", VolumeSource: VolumeSource{PersistentVolumeClaim: &PersistentVolumeClaimVolumeSource{}}}}
		}), []string{"spec.volumes[0].persistentVolumeClaim.claimName"}},
		{"pod claim and emptyDir", pod(func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{},
				PersistentVolumeClaim: &PersistentVolumeClaimVolumeSource{ClaimName: "c"}}}}
		}), []string{"spec.volumes[0]"}},
	})
}

func TestDefaultStatefulSetRetention(t *testing.T) {
	s := testStatefulSetWithClaims()
	Default(s)
	rp := s.Spec.PersistentVolumeClaimRetentionPolicy
	if rp == nil || rp.WhenDeleted != RetainClaimRetention || rp.WhenScaled != RetainClaimRetention {
		t.Fatalf("retention policy defaulted to %+v, want Retain/Retain", rp)
	}
	c := &PersistentVolumeClaim{}
	Default(c)
	if c.Status.Phase != ClaimPending {
		t.Fatalf("claim phase defaulted to %q", c.Status.Phase)
	}
}

func TestValidateClaimUpdates(t *testing.T) {
	bound := func() Object {
		c := claim(func(c *PersistentVolumeClaim) { c.Annotations = map[string]string{ClaimNodeAnnotation: "n1"} })()
		return c
	}
	tests := []struct {
		name   string
		old    func() Object
		mut    func(Object)
		fields []string
	}{
		{"bind a claim", claim(func(*PersistentVolumeClaim) {}), func(o Object) {
			o.GetObjectMeta().Annotations = map[string]string{ClaimNodeAnnotation: "n1"}
		}, nil},
		{"rebind forbidden", bound, func(o Object) { o.GetObjectMeta().Annotations[ClaimNodeAnnotation] = "n2" },
			[]string{"metadata.annotations[volume.kubernetes.io/selected-node]"}},
		{"unbind forbidden", bound, func(o Object) { o.GetObjectMeta().Annotations = nil },
			[]string{"metadata.annotations[volume.kubernetes.io/selected-node]"}},
		{"access modes immutable", bound, func(o Object) {
			o.(*PersistentVolumeClaim).Spec.AccessModes = []string{ReadWriteOncePod}
		}, []string{"spec.accessModes"}},
		{"storage request may change", bound, func(o Object) {
			o.(*PersistentVolumeClaim).Spec.Resources.Requests["storage"] = "2Gi"
		}, nil},
		{"retention policy mutable", func() Object { return testStatefulSetWithClaims() }, func(o Object) {
			o.(*StatefulSet).Spec.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: DeleteClaimRetention, WhenScaled: DeleteClaimRetention}
		}, nil},
		{"claim templates immutable", func() Object { return testStatefulSetWithClaims() }, func(o Object) {
			o.(*StatefulSet).Spec.VolumeClaimTemplates[0].Spec.Resources.Requests["storage"] = "5Gi"
		}, []string{"spec"}},
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
			for _, f := range tt.fields {
				causeMessage(t, err, f)
			}
		})
	}
}
