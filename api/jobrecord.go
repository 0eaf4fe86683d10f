package api

import (
	"encoding/json"
	"strconv"
)

func init() {
	Register(KindInfo{Kind: "NomadJob", Resource: "nomadjobs", Group: "barque.io", Version: "v1",
		Namespaced: true, ShortNames: []string{"nj"}, New: func() Object { return &NomadJob{} }})
	Register(KindInfo{Kind: "NomadJobVersion", Resource: "nomadjobversions", Group: "barque.io", Version: "v1",
		Namespaced: true, ShortNames: []string{"njv"}, New: func() Object { return &NomadJobVersion{} }})
}

// Nomad job types a record may hold.
const (
	NomadJobService  = "service"
	NomadJobBatch    = "batch"
	NomadJobSystem   = "system"
	NomadJobSysbatch = "sysbatch"
)

// NomadJobHistoryLimit is how many versions of a job are kept, as Nomad
// keeps the last six.
const NomadJobHistoryLimit = 6

// Labels on the objects generated from a job file, on its record, and on
// its versions.
const (
	LabelNomadJob   = "barque.io/job"
	LabelNomadGroup = "barque.io/group"
)

// NomadJob is the record of a submitted HCL job file: what was submitted
// (the source, its variables and the objects rendered from them) so that
// `job status`, `job stop`, `job history` and `job revert` work on the job as
// a whole without the local file. It is named after the job; every object
// generated from it names it as an owner, so deleting it deletes them.
type NomadJob struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       NomadJobSpec   `json:"spec,omitempty"`
	Status     NomadJobStatus `json:"status,omitempty"`
}

// NomadJobSpec is one submission of a job file.
type NomadJobSpec struct {
	// JobName is the job block's label; it equals metadata.name.
	JobName string `json:"jobName"`
	// Type is service, batch or system.
	Type string `json:"type,omitempty"`
	// Source is the HCL text as submitted; SourcePath where it was read.
	Source     string `json:"source,omitempty"`
	SourcePath string `json:"sourcePath,omitempty"`
	// Variables are the -var values given with the submission.
	Variables map[string]string `json:"variables,omitempty"`
	// Objects are the objects rendered from the file (JSON, as the API
	// encodes them), in the order they are applied.
	Objects []json.RawMessage `json:"objects,omitempty"`
	// Parameterized marks a parameterized batch job: its objects are not
	// applied, `job dispatch` makes a child job of them (api/artifact.go).
	Parameterized *NomadJobParameterized `json:"parameterized,omitempty"`
	// Stop marks a stopped job: its workloads are scaled to zero or
	// removed, and the record stays until it is purged. Stopping a job is
	// a version of its own, as in Nomad.
	Stop bool `json:"stop,omitempty"`
	// Version numbers the submission (0 first, +1 per change) and
	// SubmitTime stamps it. They live in the spec so that a submission
	// and its number are one conditional write: a record can never hold a
	// new submission under the old number. In a NomadJobVersion they are
	// left unset (spec.version and spec.submitTime say them).
	Version    int64 `json:"version,omitempty"`
	SubmitTime *Time `json:"submitTime,omitempty"`
}

// NomadJobStatus is what records written before the version moved into
// the spec held; nothing writes it any more, and it is read only through
// CurrentVersion and CurrentSubmitTime.
type NomadJobStatus struct {
	Version    int64 `json:"version,omitempty"`
	SubmitTime *Time `json:"submitTime,omitempty"`
}

// CurrentVersion is the version of the submission the record holds.
// Versions only grow, so for a record written before spec.version existed
// (status.version set, spec.version not) the larger of the two is the one.
func (j *NomadJob) CurrentVersion() int64 { return max(j.Spec.Version, j.Status.Version) }

// CurrentSubmitTime is when the record's submission was made.
func (j *NomadJob) CurrentSubmitTime() *Time {
	if j.Spec.SubmitTime != nil || j.Spec.Version > 0 {
		return j.Spec.SubmitTime
	}
	return j.Status.SubmitTime
}

// NomadJobVersion is one immutable version of a job, named
// <job>-v<version> and owned by the job's record. Only the last
// NomadJobHistoryLimit are kept.
type NomadJobVersion struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       NomadJobVersionSpec `json:"spec"`
}

// NomadJobVersionSpec is the submission a version stands for.
type NomadJobVersionSpec struct {
	Version    int64        `json:"version"`
	SubmitTime *Time        `json:"submitTime,omitempty"`
	Job        NomadJobSpec `json:"job"`
}

// NomadJobVersionName is the name of a job's version object.
func NomadJobVersionName(job string, version int64) string {
	return job + "-v" + strconv.FormatInt(version, 10)
}
