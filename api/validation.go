package api

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MaxObjectBytes is the largest encoded object the API accepts (1 MiB), as
// etcd's default request limit bounds Kubernetes objects.
const MaxObjectBytes = 1 << 20

// totalAnnotationSizeLimit is Kubernetes' 256 KiB cap on all annotations.
const totalAnnotationSizeLimit = 256 << 10

// kindValidators hold each kind's spec rules; metadata rules are common.
var kindValidators = map[string]func(Object, *FieldErrors){}

// nameRules say which name check a kind's metadata.name gets; Kubernetes
// holds namespaces and services to DNS labels (services to RFC 1035), the
// rest to DNS subdomains.
var nameRules = map[string]func(string) []string{
	"Namespace": IsDNS1123Label,
	"Service":   IsDNS1035Label,
}

// Validate checks an object before it is written: metadata, size, and the
// kind's own rules. It returns a 413 StatusError when the object is over
// MaxObjectBytes, or a 422 StatusError naming every bad field.
func Validate(obj Object) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return BadRequest(fmt.Sprintf("%s %q cannot be encoded: %v", obj.GetTypeMeta().Kind, obj.GetObjectMeta().Name, err))
	}
	return ValidateEncoded(obj, len(b))
}

// ValidateEncoded is Validate for a caller that has already encoded the
// object (the API server does, once, for the log entry): size is the length
// of that encoding.
func ValidateEncoded(obj Object, size int) error {
	kind, errs, err := validateAll(obj, size)
	if err != nil {
		return err
	}
	return Invalid(kind, obj.GetObjectMeta().Name, errs)
}

// validateAll runs every create-time check and returns the kind's name and
// the field errors; err is set only for a 400 or 413.
func validateAll(obj Object, size int) (string, FieldErrors, error) {
	m := obj.GetObjectMeta()
	tm := obj.GetTypeMeta()
	kind := tm.Kind
	info, known := KindOf(obj)
	if known {
		kind = info.Kind
	}
	if size > MaxObjectBytes {
		return kind, nil, TooLarge(fmt.Sprintf("%s %q is %d bytes, over the limit of %d bytes", kind, m.Name, size, MaxObjectBytes))
	}
	var errs FieldErrors
	// TypeMeta may be empty (objects built in code), but when it is set it
	// must agree with the Go type, or the stored object would lie.
	if known && tm.Kind != "" && tm.Kind != info.Kind {
		errs.Invalid("kind", tm.Kind, "must be "+info.Kind)
	}
	if known && tm.APIVersion != "" && tm.APIVersion != info.APIVersion() {
		errs.Invalid("apiVersion", tm.APIVersion, "must be "+info.APIVersion())
	}
	namespaced := !known || info.Namespaced
	validateObjectMeta(m, "metadata", namespaced, nameRuleFor(kind), &errs)
	if v, ok := kindValidators[kind]; ok {
		v(obj, &errs)
	}
	return kind, errs, nil
}

func nameRuleFor(kind string) func(string) []string {
	if f, ok := nameRules[kind]; ok {
		return f
	}
	return IsDNS1123Subdomain
}

// validateObjectMeta checks the metadata of an object (or of a template when
// path is spec.template.metadata and the names are optional).
func validateObjectMeta(m *ObjectMeta, path string, namespaced bool, nameFn func(string) []string, errs *FieldErrors) {
	switch {
	case m.Name != "":
		errs.addMsgs(path+".name", m.Name, nameFn(m.Name))
	case m.GenerateName == "":
		errs.Required(path+".name", "name or generateName is required")
	}
	if m.GenerateName != "" {
		// A generated name appends random characters, so the prefix may
		// end with '-' (Kubernetes masks it before checking).
		prefix := strings.TrimSuffix(m.GenerateName, "-") + "a"
		errs.addMsgs(path+".generateName", m.GenerateName, nameFn(prefix))
	}
	switch {
	case namespaced && m.Namespace == "":
		errs.Required(path+".namespace", "")
	case namespaced:
		errs.addMsgs(path+".namespace", m.Namespace, IsDNS1123Label(m.Namespace))
	case m.Namespace != "":
		errs.Forbidden(path+".namespace", "not allowed on this type")
	}
	validateLabels(m.Labels, path+".labels", errs)
	validateAnnotations(m.Annotations, path+".annotations", errs)
	validateOwnerReferences(m.OwnerReferences, path+".ownerReferences", errs)
	for i, f := range m.Finalizers {
		errs.addMsgs(idx(path+".finalizers", i), f, IsQualifiedName(f))
	}
	if m.Generation < 0 {
		errs.Invalid(path+".generation", m.Generation, "must be greater than or equal to 0")
	}
}

// validateLabels checks label keys and values; Kubernetes reports both at
// the labels map's path.
func validateLabels(labels map[string]string, path string, errs *FieldErrors) {
	for _, k := range sortedKeys(labels) {
		errs.addMsgs(path, k, IsQualifiedName(k))
		errs.addMsgs(path, labels[k], IsValidLabelValue(labels[k]))
	}
}

func validateAnnotations(ann map[string]string, path string, errs *FieldErrors) {
	total := 0
	for _, k := range sortedKeys(ann) {
		errs.addMsgs(path, k, IsQualifiedName(strings.ToLower(k)))
		total += len(k) + len(ann[k])
	}
	if total > totalAnnotationSizeLimit {
		errs.TooLong(path, totalAnnotationSizeLimit)
	}
}

func validateOwnerReferences(refs []OwnerReference, path string, errs *FieldErrors) {
	controllers := 0
	for i, r := range refs {
		p := idx(path, i)
		if r.APIVersion == "" {
			errs.Required(p+".apiVersion", "version must not be empty")
		}
		if r.Kind == "" {
			errs.Required(p+".kind", "kind must not be empty")
		}
		if r.Name == "" {
			errs.Required(p+".name", "name must not be empty")
		}
		if r.UID == "" {
			errs.Required(p+".uid", "uid must not be empty")
		}
		if r.Controller != nil && *r.Controller {
			controllers++
		}
	}
	if controllers > 1 {
		errs.Invalid(path, fmt.Sprintf("%d controllers", controllers), "Only one reference can have Controller set to true")
	}
}
