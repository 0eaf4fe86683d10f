package api

import "strconv"

func init() {
	kindValidators["PersistentVolumeClaim"] = func(o Object, errs *FieldErrors) {
		c := o.(*PersistentVolumeClaim)
		validateClaimSpec(&c.Spec, "spec", errs)
		if p := c.Status.Phase; p != "" && !contains(claimPhases, p) {
			errs.NotSupported("status.phase", p, claimPhases)
		}
		if n := c.ClaimNode(); n != "" {
			errs.addMsgs("metadata.annotations["+ClaimNodeAnnotation+"]", n, IsDNS1123Subdomain(n))
		}
	}
	updateValidators["PersistentVolumeClaim"] = validateClaimUpdate
}

var (
	claimAccessModes = []string{ReadWriteOnce, ReadWriteOncePod}
	claimPhases      = []string{ClaimBound, ClaimLost, ClaimPending}
	claimRetention   = []string{DeleteClaimRetention, RetainClaimRetention}
)

// validateClaimSpec checks what a claim (or a StatefulSet's claim
// template) asks for: at least one single-node access mode, and a storage
// request.
func validateClaimSpec(s *PersistentVolumeClaimSpec, path string, errs *FieldErrors) {
	if len(s.AccessModes) == 0 {
		errs.Required(path+".accessModes", "at least 1 access mode is required")
	}
	for i, m := range s.AccessModes {
		if !contains(claimAccessModes, m) {
			errs.NotSupported(idx(path+".accessModes", i), m, claimAccessModes)
		}
	}
	rp := path + ".resources"
	storage, ok := s.Resources.Requests["storage"]
	if !ok {
		errs.Required(key(rp+".requests", "storage"), "")
	}
	for _, name := range sortedKeys(s.Resources.Requests) {
		q, ok := validateQuantity(s.Resources.Requests[name], key(rp+".requests", name), errs)
		if ok && name == "storage" && q.MilliValue() == 0 {
			errs.Invalid(key(rp+".requests", name), storage, "must be greater than zero")
		}
	}
	for _, name := range sortedKeys(s.Resources.Limits) {
		validateQuantity(s.Resources.Limits[name], key(rp+".limits", name), errs)
	}
	if m := s.VolumeMode; m != nil && *m != FilesystemVolumeMode {
		errs.NotSupported(path+".volumeMode", *m, []string{FilesystemVolumeMode})
	}
	if sc := s.StorageClassName; sc != nil && *sc != "" {
		errs.addMsgs(path+".storageClassName", *sc, IsDNS1123Subdomain(*sc))
	}
}

// validateClaimUpdate keeps what the claim's storage was made with: its
// access modes, its class, and the node it is bound to (deleting the claim
// is how it is released, with its data).
func validateClaimUpdate(old, cur Object, errs *FieldErrors) {
	o, c := old.(*PersistentVolumeClaim), cur.(*PersistentVolumeClaim)
	immutable(o.Spec.AccessModes, c.Spec.AccessModes, "spec.accessModes", errs)
	immutable(o.Spec.StorageClassName, c.Spec.StorageClassName, "spec.storageClassName", errs)
	immutable(o.Spec.VolumeMode, c.Spec.VolumeMode, "spec.volumeMode", errs)
	if n := o.ClaimNode(); n != "" && c.ClaimNode() != n {
		errs.Invalid("metadata.annotations["+ClaimNodeAnnotation+"]", c.ClaimNode(),
			"field is immutable once set: delete the claim to release it")
	}
}

// validateClaimTemplates checks a StatefulSet's volumeClaimTemplates: each
// name is also a pod volume name (a DNS label), and the claims made from it,
// TEMPLATE-SET-ORDINAL, must be valid object names.
func validateClaimTemplates(set string, ts []PersistentVolumeClaim, errs *FieldErrors) {
	names := map[string]bool{}
	for i := range ts {
		t, p := &ts[i], idx("spec.volumeClaimTemplates", i)
		switch {
		case t.Name == "":
			errs.Required(p+".metadata.name", "")
		case names[t.Name]:
			errs.Duplicate(p+".metadata.name", t.Name)
		default:
			errs.addMsgs(p+".metadata.name", t.Name, IsDNS1123Label(t.Name))
			if set != "" {
				// The longest claim name the set can need: ordinals are int32.
				claim := t.Name + "-" + set + "-" + strconv.Itoa(1<<31-1)
				errs.addMsgs(p+".metadata.name", t.Name, IsDNS1123Subdomain(claim))
			}
		}
		names[t.Name] = true
		validateLabels(t.Labels, p+".metadata.labels", errs)
		validateAnnotations(t.Annotations, p+".metadata.annotations", errs)
		validateClaimSpec(&t.Spec, p+".spec", errs)
	}
}

func validateRetentionPolicy(rp *StatefulSetPersistentVolumeClaimRetentionPolicy, errs *FieldErrors) {
	if rp == nil {
		return
	}
	const path = "spec.persistentVolumeClaimRetentionPolicy"
	if v := rp.WhenDeleted; v != "" && !contains(claimRetention, v) {
		errs.NotSupported(path+".whenDeleted", v, claimRetention)
	}
	if v := rp.WhenScaled; v != "" && !contains(claimRetention, v) {
		errs.NotSupported(path+".whenScaled", v, claimRetention)
	}
}

// templateWithClaims is the set's pod template as its pods get it: each
// claim template becomes the volume of the same name (replacing a template
// volume of that name, as in Kubernetes), so that volumeMounts may name it.
func templateWithClaims(tpl *PodTemplateSpec, claims []PersistentVolumeClaim) *PodTemplateSpec {
	if len(claims) == 0 {
		return tpl
	}
	t := *tpl
	t.Spec.Volumes = nil
	byName := map[string]bool{}
	for _, c := range claims {
		if c.Name != "" {
			byName[c.Name] = true
		}
	}
	for _, v := range tpl.Spec.Volumes {
		if !byName[v.Name] {
			t.Spec.Volumes = append(t.Spec.Volumes, v)
		}
	}
	for _, c := range claims {
		if c.Name == "" {
			continue
		}
		t.Spec.Volumes = append(t.Spec.Volumes, Volume{Name: c.Name, VolumeSource: VolumeSource{
			PersistentVolumeClaim: &PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}})
	}
	return &t
}
