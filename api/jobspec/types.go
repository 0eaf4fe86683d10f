package jobspec

import "github.com/hashicorp/hcl/v2"

// Job is a decoded `job` block. Fields without an HCL tag are filled after
// decoding.
type Job struct {
	Name        string       `hcl:"name,label"`
	Type        string       `hcl:"type,optional"`
	Priority    *int         `hcl:"priority,optional"`
	Datacenters []string     `hcl:"datacenters,optional"`
	Namespace   string       `hcl:"namespace,optional"`
	Region      string       `hcl:"region,optional"`
	AllAtOnce   bool         `hcl:"all_at_once,optional"`
	MetaBlock   *Map         `hcl:"meta,block"`
	Constraints []Constraint `hcl:"constraint,block"`
	Affinities  []Affinity   `hcl:"affinity,block"`
	Spreads     []Spread     `hcl:"spread,block"`
	Update      *Update      `hcl:"update,block"`
	Periodic    *Periodic    `hcl:"periodic,block"`
	Groups      []*Group     `hcl:"group,block"`

	// Parameterized: see dispatch.go.
	Parameterized *Parameterized `hcl:"parameterized,block"`

	// Meta is the meta block's values.
	Meta map[string]string
	// Warnings name what the file asks for that Barque accepts but ignores.
	Warnings []string
}

// Group is a set of tasks placed together: one pod.
type Group struct {
	Name          string       `hcl:"name,label"`
	Count         *int         `hcl:"count,optional"`
	MetaBlock     *Map         `hcl:"meta,block"`
	Constraints   []Constraint `hcl:"constraint,block"`
	Affinities    []Affinity   `hcl:"affinity,block"`
	Spreads       []Spread     `hcl:"spread,block"`
	Network       *Network     `hcl:"network,block"`
	Services      []*Service   `hcl:"service,block"`
	Restart       *Restart     `hcl:"restart,block"`
	Reschedule    *Ignored     `hcl:"reschedule,block"`
	Migrate       *Ignored     `hcl:"migrate,block"`
	EphemeralDisk *Ignored     `hcl:"ephemeral_disk,block"`
	Update        *Update      `hcl:"update,block"`
	ShutdownDelay string       `hcl:"shutdown_delay,optional"`
	Volumes       []*Volume    `hcl:"volume,block"`
	Tasks         []*Task      `hcl:"task,block"`

	Meta map[string]string
}

// Task is one process or container of a group.
type Task struct {
	Name        string        `hcl:"name,label"`
	Driver      string        `hcl:"driver"`
	User        string        `hcl:"user,optional"`
	Leader      bool          `hcl:"leader,optional"`
	Config      *TaskConfig   `hcl:"config,block"`
	EnvBlock    *Map          `hcl:"env,block"`
	MetaBlock   *Map          `hcl:"meta,block"`
	Resources   *Resources    `hcl:"resources,block"`
	Templates   []*Template   `hcl:"template,block"`
	Services    []*Service    `hcl:"service,block"`
	Constraints []Constraint  `hcl:"constraint,block"`
	Affinities  []Affinity    `hcl:"affinity,block"`
	Lifecycle   *Lifecycle    `hcl:"lifecycle,block"`
	Mounts      []VolumeMount `hcl:"volume_mount,block"`
	Logs        *Ignored      `hcl:"logs,block"`
	KillTimeout string        `hcl:"kill_timeout,optional"`
	KillSignal  string        `hcl:"kill_signal,optional"`

	// Artifacts and DispatchPayload: see artifact.go and dispatch.go.
	Artifacts       []*Artifact      `hcl:"artifact,block"`
	DispatchPayload *DispatchPayload `hcl:"dispatch_payload,block"`

	Env  map[string]string
	Meta map[string]string
}

// TaskConfig is the driver configuration Barque understands: exec and
// raw_exec use command and args; docker uses image, entrypoint, command,
// args and ports.
type TaskConfig struct {
	Command    string   `hcl:"command,optional"`
	Args       []string `hcl:"args,optional"`
	Image      string   `hcl:"image,optional"`
	Entrypoint []string `hcl:"entrypoint,optional"`
	WorkDir    string   `hcl:"work_dir,optional"`
	Ports      []string `hcl:"ports,optional"`
	ForcePull  bool     `hcl:"force_pull,optional"`
}

// Resources are a task's needs in Nomad's units: MHz and MB.
type Resources struct {
	CPU       *int `hcl:"cpu,optional"`
	Cores     *int `hcl:"cores,optional"`
	Memory    *int `hcl:"memory,optional"`
	MemoryMax *int `hcl:"memory_max,optional"`
}

// Template is a file rendered into the task's directory.
type Template struct {
	Data           string `hcl:"data,optional"`
	Source         string `hcl:"source,optional"`
	Destination    string `hcl:"destination"`
	Env            bool   `hcl:"env,optional"`
	ChangeMode     string `hcl:"change_mode,optional"`
	ChangeSignal   string `hcl:"change_signal,optional"`
	Perms          string `hcl:"perms,optional"`
	LeftDelimiter  string `hcl:"left_delimiter,optional"`
	RightDelimiter string `hcl:"right_delimiter,optional"`
	Splay          string `hcl:"splay,optional"`
}

// Lifecycle orders a task around the group's main tasks.
type Lifecycle struct {
	Hook    string `hcl:"hook"`
	Sidecar bool   `hcl:"sidecar,optional"`
}

// Network is a group's ports.
type Network struct {
	Mode  string  `hcl:"mode,optional"`
	Ports []*Port `hcl:"port,block"`
}

// Port is a static (Static set) or dynamic port; To is the port inside.
type Port struct {
	Label       string `hcl:"label,label"`
	Static      int    `hcl:"static,optional"`
	To          int    `hcl:"to,optional"`
	HostNetwork string `hcl:"host_network,optional"`
}

// Service registers a port of the group under a name.
type Service struct {
	Name        string   `hcl:"name,optional"`
	Port        string   `hcl:"port,optional"`
	Tags        []string `hcl:"tags,optional"`
	Provider    string   `hcl:"provider,optional"`
	Task        string   `hcl:"task,optional"`
	AddressMode string   `hcl:"address_mode,optional"`
	Checks      []*Check `hcl:"check,block"`
}

// Check is a service health check; Barque runs it as a readiness probe.
type Check struct {
	Type         string   `hcl:"type"`
	Name         string   `hcl:"name,optional"`
	Path         string   `hcl:"path,optional"`
	Port         string   `hcl:"port,optional"`
	Protocol     string   `hcl:"protocol,optional"`
	Method       string   `hcl:"method,optional"`
	Command      string   `hcl:"command,optional"`
	Args         []string `hcl:"args,optional"`
	Task         string   `hcl:"task,optional"`
	Interval     string   `hcl:"interval,optional"`
	Timeout      string   `hcl:"timeout,optional"`
	CheckRestart *Ignored `hcl:"check_restart,block"`
}

// Restart is how often a failed task restarts in place.
type Restart struct {
	Attempts *int   `hcl:"attempts,optional"`
	Interval string `hcl:"interval,optional"`
	Delay    string `hcl:"delay,optional"`
	Mode     string `hcl:"mode,optional"`
}

// Update is the rolling update policy.
type Update struct {
	MaxParallel      *int   `hcl:"max_parallel,optional"`
	MinHealthyTime   string `hcl:"min_healthy_time,optional"`
	HealthyDeadline  string `hcl:"healthy_deadline,optional"`
	ProgressDeadline string `hcl:"progress_deadline,optional"`
	HealthCheck      string `hcl:"health_check,optional"`
	AutoRevert       bool   `hcl:"auto_revert,optional"`
	AutoPromote      bool   `hcl:"auto_promote,optional"`
	Canary           int    `hcl:"canary,optional"`
	Stagger          string `hcl:"stagger,optional"`
}

// Periodic runs a batch job on a cron schedule.
type Periodic struct {
	Cron            string   `hcl:"cron,optional"`
	Crons           []string `hcl:"crons,optional"`
	ProhibitOverlap bool     `hcl:"prohibit_overlap,optional"`
	TimeZone        string   `hcl:"time_zone,optional"`
	Enabled         *bool    `hcl:"enabled,optional"`
}

// Volume is a group's storage. Barque runs host volumes only, and its
// agents have no host_volume table: Source is the node's directory.
type Volume struct {
	Name           string `hcl:"name,label"`
	Type           string `hcl:"type,optional"`
	Source         string `hcl:"source,optional"`
	ReadOnly       bool   `hcl:"read_only,optional"`
	AccessMode     string `hcl:"access_mode,optional"`
	AttachmentMode string `hcl:"attachment_mode,optional"`
	PerAlloc       bool   `hcl:"per_alloc,optional"`
	Sticky         bool   `hcl:"sticky,optional"`
}

// VolumeMount mounts a group volume into a task.
type VolumeMount struct {
	Volume          string `hcl:"volume"`
	Destination     string `hcl:"destination"`
	ReadOnly        bool   `hcl:"read_only,optional"`
	PropagationMode string `hcl:"propagation_mode,optional"`
}

// Constraint restricts placement; operators are spelled as in Nomad.
type Constraint struct {
	Attribute        string `hcl:"attribute,optional"`
	Operator         string `hcl:"operator,optional"`
	Value            string `hcl:"value,optional"`
	DistinctHosts    bool   `hcl:"distinct_hosts,optional"`
	DistinctProperty string `hcl:"distinct_property,optional"`
}

// Map is a block of arbitrary string attributes (meta, env).
type Map struct {
	Body hcl.Body `hcl:",remain"`
}

// Ignored is a block Barque accepts without acting on it (see Warnings).
type Ignored struct {
	Body hcl.Body `hcl:",remain"`
}
