package api

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// updateValidators hold each kind's rules about what an update may change.
var updateValidators = map[string]func(old, cur Object, errs *FieldErrors){
	"Pod":         validatePodUpdate,
	"Deployment":  selectorImmutable(func(o Object) any { return o.(*Deployment).Spec.Selector }),
	"ReplicaSet":  selectorImmutable(func(o Object) any { return o.(*ReplicaSet).Spec.Selector }),
	"DaemonSet":   selectorImmutable(func(o Object) any { return o.(*DaemonSet).Spec.Selector }),
	"StatefulSet": validateStatefulSetUpdate,
	"Job":         validateJobUpdate,
	"Service":     validateServiceUpdate,
	"ConfigMap":   validateConfigMapUpdate,
	"Secret":      validateSecretUpdate,
}

// ValidateUpdate checks cur as Validate does, and also that it changes
// nothing Kubernetes holds immutable once created: name, namespace, uid,
// controller selectors, a pod's spec beyond images and a few fields, a
// service's clusterIP, immutable ConfigMaps and Secrets.
func ValidateUpdate(old, cur Object) error {
	b, err := json.Marshal(cur)
	if err != nil {
		return BadRequest(fmt.Sprintf("%s %q cannot be encoded: %v", cur.GetTypeMeta().Kind, cur.GetObjectMeta().Name, err))
	}
	return ValidateUpdateEncoded(old, cur, len(b))
}

// ValidateUpdateEncoded is ValidateUpdate for a caller that has already
// encoded cur; size is the length of that encoding.
func ValidateUpdateEncoded(old, cur Object, size int) error {
	kind, errs, err := validateAll(cur, size)
	if err != nil {
		return err
	}
	return validateTransition(kind, old, cur, errs)
}

// ValidateTransition checks only what an update may change (the second
// half of ValidateUpdate), for a cur already validated on its own. The FSM
// runs it against the version the update really replaces: the API server's
// check read an earlier one, and an unconditional update racing another
// (one making a ConfigMap immutable) would otherwise slip through.
func ValidateTransition(old, cur Object) error {
	return validateTransition(cur.GetTypeMeta().Kind, old, cur, FieldErrors{})
}

func validateTransition(kind string, old, cur Object, errs FieldErrors) error {
	if reflect.TypeOf(old) != reflect.TypeOf(cur) {
		return BadRequest("an update cannot change an object's kind")
	}
	om, cm := old.GetObjectMeta(), cur.GetObjectMeta()
	immutable(om.Name, cm.Name, "metadata.name", &errs)
	immutable(om.Namespace, cm.Namespace, "metadata.namespace", &errs)
	if om.UID != "" && cm.UID != "" {
		immutable(om.UID, cm.UID, "metadata.uid", &errs)
	}
	if v, ok := updateValidators[kind]; ok {
		v(old, cur, &errs)
	}
	return Invalid(kind, cm.Name, errs)
}

// immutable reports a change to a field that may not change; values are
// compared by their JSON form, so nil and empty collections are equal.
func immutable(old, cur any, path string, errs *FieldErrors) {
	if !sameJSON(old, cur) {
		errs.Invalid(path, describeValue(cur), "field is immutable")
	}
}

func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func describeValue(v any) any {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	return string(b)
}

func selectorImmutable(get func(Object) any) func(old, cur Object, errs *FieldErrors) {
	return func(old, cur Object, errs *FieldErrors) {
		immutable(get(old), get(cur), "spec.selector", errs)
	}
}

// validatePodUpdate allows what Kubernetes allows on a running pod (images,
// activeDeadlineSeconds, added tolerations) plus the binding: nodeName may
// go from empty to a node once, since Barque's scheduler binds by update.
func validatePodUpdate(old, cur Object, errs *FieldErrors) {
	o, c := old.(*Pod).Spec, cur.(*Pod).Spec
	mutable := copyPodSpec(o)
	for i := range mutable.Containers {
		if i < len(c.Containers) {
			mutable.Containers[i].Image = c.Containers[i].Image
		}
	}
	for i := range mutable.InitContainers {
		if i < len(c.InitContainers) {
			mutable.InitContainers[i].Image = c.InitContainers[i].Image
		}
	}
	mutable.ActiveDeadlineSeconds = c.ActiveDeadlineSeconds
	if tolerationsAdded(o.Tolerations, c.Tolerations) {
		mutable.Tolerations = c.Tolerations
	}
	if o.NodeName == "" {
		mutable.NodeName = c.NodeName
	}
	if !sameJSON(mutable, c) {
		errs.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), or `spec.nodeName` when unset")
	}
}

// tolerationsAdded reports whether cur keeps every toleration of old, in
// order, and only appends.
func tolerationsAdded(old, cur []Toleration) bool {
	if len(cur) < len(old) {
		return false
	}
	for i := range old {
		if !sameJSON(old[i], cur[i]) {
			return false
		}
	}
	return true
}

func copyPodSpec(s PodSpec) PodSpec {
	var out PodSpec
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &out)
	return out
}

func validateStatefulSetUpdate(old, cur Object, errs *FieldErrors) {
	o, c := old.(*StatefulSet).Spec, cur.(*StatefulSet).Spec
	o.Replicas, o.Template, o.UpdateStrategy, o.MinReadySeconds = c.Replicas, c.Template, c.UpdateStrategy, c.MinReadySeconds
	o.PersistentVolumeClaimRetentionPolicy = c.PersistentVolumeClaimRetentionPolicy
	if !sameJSON(o, c) {
		errs.Forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
	}
}

func validateJobUpdate(old, cur Object, errs *FieldErrors) {
	o, c := old.(*Job).Spec, cur.(*Job).Spec
	immutable(o.Selector, c.Selector, "spec.selector", errs)
	immutable(o.Completions, c.Completions, "spec.completions", errs)
	immutable(o.CompletionMode, c.CompletionMode, "spec.completionMode", errs)
	immutable(o.Template, c.Template, "spec.template", errs)
}

func validateServiceUpdate(old, cur Object, errs *FieldErrors) {
	o, c := old.(*Service).Spec, cur.(*Service).Spec
	// An empty clusterIP on update means "keep the allocated one".
	if o.ClusterIP != "" && c.ClusterIP != "" {
		immutable(o.ClusterIP, c.ClusterIP, "spec.clusterIP", errs)
	}
}

func validateConfigMapUpdate(old, cur Object, errs *FieldErrors) {
	o, c := old.(*ConfigMap), cur.(*ConfigMap)
	if o.Immutable == nil || !*o.Immutable {
		return
	}
	if !sameJSON(o.Data, c.Data) {
		errs.Forbidden("data", "field is immutable when `immutable` is set")
	}
	if !sameJSON(o.BinaryData, c.BinaryData) {
		errs.Forbidden("binaryData", "field is immutable when `immutable` is set")
	}
	if c.Immutable == nil || !*c.Immutable {
		errs.Forbidden("immutable", "field is immutable when `immutable` is set")
	}
}

func validateSecretUpdate(old, cur Object, errs *FieldErrors) {
	o, c := old.(*Secret), cur.(*Secret)
	if o.Type != "" && c.Type != "" {
		immutable(o.Type, c.Type, "type", errs)
	}
	if o.Immutable == nil || !*o.Immutable {
		return
	}
	if !sameJSON(o.Data, c.Data) || len(c.StringData) > 0 {
		errs.Forbidden("data", "field is immutable when `immutable` is set")
	}
	if c.Immutable == nil || !*c.Immutable {
		errs.Forbidden("immutable", "field is immutable when `immutable` is set")
	}
}
