package api

func init() {
	Register(KindInfo{Kind: "Job", Resource: "jobs", Group: "batch", Version: "v1",
		Namespaced: true, New: func() Object { return &Job{} }})
	Register(KindInfo{Kind: "CronJob", Resource: "cronjobs", Group: "batch", Version: "v1",
		Namespaced: true, ShortNames: []string{"cj"}, New: func() Object { return &CronJob{} }})
}

// Job runs pods until a number of them succeed.
type Job struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       JobSpec   `json:"spec,omitempty"`
	Status     JobStatus `json:"status,omitempty"`
}

// Completion modes.
const (
	NonIndexedCompletion = "NonIndexed"
	IndexedCompletion    = "Indexed"
)

// JobSpec is how many pods must succeed, how many run at once, and when to
// give up.
type JobSpec struct {
	Parallelism             *int32          `json:"parallelism,omitempty"`
	Completions             *int32          `json:"completions,omitempty"`
	ActiveDeadlineSeconds   *int64          `json:"activeDeadlineSeconds,omitempty"`
	BackoffLimit            *int32          `json:"backoffLimit,omitempty"`
	Selector                *LabelSelector  `json:"selector,omitempty"`
	ManualSelector          *bool           `json:"manualSelector,omitempty"`
	Template                PodTemplateSpec `json:"template"`
	TTLSecondsAfterFinished *int32          `json:"ttlSecondsAfterFinished,omitempty"`
	CompletionMode          *string         `json:"completionMode,omitempty"`
	Suspend                 *bool           `json:"suspend,omitempty"`
	PodReplacementPolicy    *string         `json:"podReplacementPolicy,omitempty"`
}

// Job condition types.
const (
	JobComplete  = "Complete"
	JobFailed    = "Failed"
	JobSuspended = "Suspended"
)

// JobStatus counts the job's pods.
type JobStatus struct {
	Conditions       []Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
	StartTime        *Time       `json:"startTime,omitempty"`
	CompletionTime   *Time       `json:"completionTime,omitempty"`
	Active           int32       `json:"active,omitempty"`
	Succeeded        int32       `json:"succeeded,omitempty"`
	Failed           int32       `json:"failed,omitempty"`
	Ready            *int32      `json:"ready,omitempty"`
	CompletedIndexes string      `json:"completedIndexes,omitempty"`
	Terminating      *int32      `json:"terminating,omitempty"`

	// UncountedTerminatedPods lists finished pods the controller has not yet
	// added to the counters, so that a new leader does not count them twice.
	UncountedTerminatedPods *UncountedTerminatedPods `json:"uncountedTerminatedPods,omitempty"`
}

// UncountedTerminatedPods holds pod UIDs by outcome.
type UncountedTerminatedPods struct {
	Succeeded []string `json:"succeeded,omitempty"`
	Failed    []string `json:"failed,omitempty"`
}

// CronJob creates Jobs on a schedule.
type CronJob struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       CronJobSpec   `json:"spec,omitempty"`
	Status     CronJobStatus `json:"status,omitempty"`
}

// Concurrency policies.
const (
	AllowConcurrent   = "Allow"
	ForbidConcurrent  = "Forbid"
	ReplaceConcurrent = "Replace"
)

// CronJobSpec is the schedule and the job to create.
type CronJobSpec struct {
	Schedule                   string          `json:"schedule"`
	TimeZone                   *string         `json:"timeZone,omitempty"`
	StartingDeadlineSeconds    *int64          `json:"startingDeadlineSeconds,omitempty"`
	ConcurrencyPolicy          string          `json:"concurrencyPolicy,omitempty"`
	Suspend                    *bool           `json:"suspend,omitempty"`
	JobTemplate                JobTemplateSpec `json:"jobTemplate"`
	SuccessfulJobsHistoryLimit *int32          `json:"successfulJobsHistoryLimit,omitempty"`
	FailedJobsHistoryLimit     *int32          `json:"failedJobsHistoryLimit,omitempty"`
}

// JobTemplateSpec is the job a CronJob stamps out.
type JobTemplateSpec struct {
	ObjectMeta `json:"metadata,omitempty"`
	Spec       JobSpec `json:"spec,omitempty"`
}

// CronJobStatus lists running jobs and the last schedule times.
type CronJobStatus struct {
	Active             []ObjectReference `json:"active,omitempty"`
	LastScheduleTime   *Time             `json:"lastScheduleTime,omitempty"`
	LastSuccessfulTime *Time             `json:"lastSuccessfulTime,omitempty"`
}
