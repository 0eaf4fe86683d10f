package api

import (
	"encoding/json"
	"fmt"
)

// Pod annotations of Nomad's artifact and dispatch features, written by
// the job file mapping (api/jobspec) and the CLI, read by the agent.
const (
	// AnnotationArtifacts lists each task's artifacts (TaskArtifacts as
	// JSON), which the agent copies into the task directory before the
	// task first starts.
	AnnotationArtifacts = "barque.io/artifacts"
	// AnnotationDispatchPayloadFiles maps a task name to the file, relative
	// to its local/ directory, that receives a dispatched job's payload.
	AnnotationDispatchPayloadFiles = "barque.io/dispatch-payload-files"
	// AnnotationDispatchPayload is a dispatched job's payload, base64.
	AnnotationDispatchPayload = "barque.io/dispatch-payload"
	// LabelDispatchParent names the parameterized job a dispatched job
	// was made from.
	LabelDispatchParent = "barque.io/dispatch-parent"
)

// Artifact modes, as Nomad's go-getter modes.
const (
	ArtifactModeAny  = "any"
	ArtifactModeFile = "file"
	ArtifactModeDir  = "dir"
)

// Artifact is one file or directory on the node copied into a task's
// directory: Source is an absolute path on the node; Destination is
// relative to the task directory ("local/" by default, as in Nomad).
type Artifact struct {
	Source      string `json:"source"`
	Destination string `json:"destination,omitempty"`
	Mode        string `json:"mode,omitempty"`
	// Checksum is "sha256:<hex>" (or md5, sha1, sha512) of a file source.
	Checksum string `json:"checksum,omitempty"`
	// Chown gives the copied files to the task's user.
	Chown bool `json:"chown,omitempty"`
	// ConfigMap and Key hold a file the CLI shipped with the job (a source
	// relative to the job file): the agent reads it from binaryData[Key]
	// instead of the node's disk; Source then names it as written.
	ConfigMap string `json:"configMap,omitempty"`
	Key       string `json:"key,omitempty"`
}

// ShippedArtifactMaxBytes bounds the files a job ships in its objects
// (sources relative to the job file), all together: they are stored in
// the job's record and its versions too.
const ShippedArtifactMaxBytes = 256 << 10

// TaskArtifacts are the artifacts of a pod's tasks, by task name.
type TaskArtifacts map[string][]Artifact

// DecodeArtifacts reads a pod's artifacts annotation; nil when it has none.
func DecodeArtifacts(ann map[string]string) (TaskArtifacts, error) {
	s, ok := ann[AnnotationArtifacts]
	if !ok {
		return nil, nil
	}
	var out TaskArtifacts
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", AnnotationArtifacts, err)
	}
	return out, nil
}

// DecodePayloadFiles reads a pod's dispatch payload files annotation.
func DecodePayloadFiles(ann map[string]string) (map[string]string, error) {
	s, ok := ann[AnnotationDispatchPayloadFiles]
	if !ok {
		return nil, nil
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", AnnotationDispatchPayloadFiles, err)
	}
	return out, nil
}

// NomadJobParameterized is a parameterized job's dispatch rules: a
// parameterized job's record holds its objects, and nothing runs until
// `job dispatch` makes a child job from them.
type NomadJobParameterized struct {
	// Payload is optional, required or forbidden.
	Payload      string   `json:"payload,omitempty"`
	MetaRequired []string `json:"metaRequired,omitempty"`
	MetaOptional []string `json:"metaOptional,omitempty"`
}

// Dispatch payload rules and the largest payload, as in Nomad.
const (
	DispatchPayloadOptional  = "optional"
	DispatchPayloadRequired  = "required"
	DispatchPayloadForbidden = "forbidden"
	DispatchPayloadMaxBytes  = 16 << 10
)
