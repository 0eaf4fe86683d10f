package api

import (
	"encoding/json"
	"regexp"
)

func init() {
	kindValidators["NomadJob"] = func(o Object, errs *FieldErrors) { validateNomadJob(o.(*NomadJob), errs) }
	kindValidators["NomadJobVersion"] = func(o Object, errs *FieldErrors) { validateNomadJobVersion(o.(*NomadJobVersion), errs) }
	updateValidators["NomadJobVersion"] = func(old, cur Object, errs *FieldErrors) {
		immutable(old.(*NomadJobVersion).Spec, cur.(*NomadJobVersion).Spec, "spec", errs)
	}
}

var dispatchPayloads = []string{DispatchPayloadOptional, DispatchPayloadRequired, DispatchPayloadForbidden}

var nomadJobTypes = []string{NomadJobService, NomadJobBatch, NomadJobSystem, NomadJobSysbatch}

// hclIdentifier is what an HCL variable name may be.
var hclIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// recordKinds are the kinds a job record may not hold: a job file renders
// workloads, services and config, never other records.
var recordKinds = []string{"NomadJob", "NomadJobVersion", "Namespace", "Node", "Event"}

func validateNomadJob(j *NomadJob, errs *FieldErrors) {
	if j.Spec.JobName != "" && j.Spec.JobName != j.Name {
		errs.Invalid("spec.jobName", j.Spec.JobName, "must equal metadata.name")
	}
	validateNomadJobSpec(&j.Spec, "spec", j.Namespace, errs)
	if j.Spec.Version < 0 {
		errs.Invalid("spec.version", j.Spec.Version, "must be greater than or equal to 0")
	}
	if j.Status.Version < 0 {
		errs.Invalid("status.version", j.Status.Version, "must be greater than or equal to 0")
	}
}

func validateNomadJobVersion(v *NomadJobVersion, errs *FieldErrors) {
	if v.Spec.Version < 0 {
		errs.Invalid("spec.version", v.Spec.Version, "must be greater than or equal to 0")
	}
	validateNomadJobSpec(&v.Spec.Job, "spec.job", v.Namespace, errs)
	if v.Spec.Job.Version != 0 && v.Spec.Job.Version != v.Spec.Version {
		errs.Invalid("spec.job.version", v.Spec.Job.Version, "must be unset or equal spec.version")
	}
	if v.Spec.Job.JobName != "" && v.Spec.Version >= 0 && v.Name != "" {
		if want := NomadJobVersionName(v.Spec.Job.JobName, v.Spec.Version); v.Name != want {
			errs.Invalid("metadata.name", v.Name, "must be "+want+" (<spec.job.jobName>-v<spec.version>)")
		}
	}
}

// validateNomadJobSpec checks one submission at path ("spec", or
// "spec.job" in a version).
func validateNomadJobSpec(s *NomadJobSpec, path, ns string, errs *FieldErrors) {
	if s.JobName == "" {
		errs.Required(path+".jobName", "")
	} else {
		errs.addMsgs(path+".jobName", s.JobName, IsDNS1123Subdomain(s.JobName))
	}
	if !contains(nomadJobTypes, s.Type) {
		errs.NotSupported(path+".type", s.Type, nomadJobTypes)
	}
	for _, k := range sortedKeys(s.Variables) {
		if !hclIdentifier.MatchString(k) {
			errs.Invalid(key(path+".variables", k), k, "a variable name must start with a letter or underscore and hold only letters, digits, '_' and '-'")
		}
	}
	if p := s.Parameterized; p != nil && p.Payload != "" && !contains(dispatchPayloads, p.Payload) {
		errs.NotSupported(path+".parameterized.payload", p.Payload, dispatchPayloads)
	}
	for i, raw := range s.Objects {
		validateRecordedObject(raw, idx(path+".objects", i), ns, errs)
	}
}

// validateRecordedObject checks that a recorded object decodes as a kind a
// job file renders, and lives in the record's namespace; the object's own
// rules are checked when it is applied.
func validateRecordedObject(raw json.RawMessage, path, ns string, errs *FieldErrors) {
	obj, err := DecodeObject(raw)
	if err != nil {
		errs.Invalid(path, abbreviate(raw), err.Error())
		return
	}
	info, _ := KindOf(obj)
	m := obj.GetObjectMeta()
	switch {
	case contains(recordKinds, info.Kind):
		errs.Invalid(path+".kind", info.Kind, "a job record cannot hold this kind")
	case !info.Namespaced:
		errs.Invalid(path+".kind", info.Kind, "must be a namespaced kind")
	case m.Name == "":
		errs.Required(path+".metadata.name", "")
	case m.Namespace != "" && ns != "" && m.Namespace != ns:
		errs.Invalid(path+".metadata.namespace", m.Namespace, "must be the job's namespace "+ns)
	}
}
