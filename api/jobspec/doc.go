// Package jobspec reads Nomad-style job files (HCL2) and turns them into
// Barque's Kubernetes-shaped objects.
//
// Parse decodes one file: `variable` blocks (with -var overrides), `locals`,
// the usual functions (string and collection functions from cty's stdlib,
// file and templatefile relative to the job file's directory, try and can),
// and one `job` block. Runtime interpolations that only an agent can resolve
// (${node.unique.name}, ${attr.kernel.name}, ${meta.rack}, ${NOMAD_PORT_http}…)
// are kept as text for the scheduler and the agent. Unknown blocks and
// attributes are errors naming the valid ones; Nomad features Barque does
// not implement (vault, consul connect, csi…) are errors
// saying so; features that are accepted but have no effect yet
// (reschedule, migrate, logs…) are listed in Job.Warnings.
//
// Job.Objects maps the job:
//
//	service  -> a Deployment per group (a StatefulSet when the group has a
//	            volume), a Service per service block, and an Ingress per
//	            service block with urlprefix- tags
//	batch    -> a Job per group (completions = parallelism = count)
//	system   -> a DaemonSet per group
//	periodic -> a CronJob per group (batch jobs with a periodic block)
//	sysbatch -> a run-once DaemonSet per group (annotation
//	            barque.io/run-once-per-node: "true"): its pod runs to
//	            completion once on each eligible node, nodes joining
//	            later included; restartPolicy as for batch
//
// Eligible nodes, for system and sysbatch groups, are those the DaemonSet
// controller picks: Ready, with the drivers the tasks need, whose taints
// are tolerated and which satisfy the group's constraints and datacenters.
// A sysbatch pod that ended is not run again on its node, unless the job
// changes (a new version runs once more everywhere); its DaemonSet's
// Complete condition turns True once every eligible node has succeeded.
//
// Affinity blocks (job, group and task level) and spread blocks (job and
// group level) are placement preferences, which the scheduler scores
// (docs/SCHEDULER.md) and never enforces. A group's pod carries in the
// annotation barque.io/affinities the job's, the group's and all its
// tasks' affinities (the tasks share the pod), as a JSON list of
// {attribute, operator, value, weight}, and in barque.io/spreads the
// group's spreads, then the job's on attributes the group does not
// spread over, as {attribute, weight, targets: [{value, percent}]}. As in
// Nomad, an affinity's operator is "=" when not given and may be any
// constraint operator but distinct_hosts and distinct_property, and its
// weight is 50 when not given, from -100 to 100 and not 0 (negative
// weights avoid the nodes that match); a spread's weight is 50 when not
// given and from 1 to 100, and its targets name distinct values whose
// percents add up to 100 at most (the values without a target share
// what is left). A rule broken is an error at its line, naming the
// attribute.
//
// A service job's update block maps onto its Deployments: max_parallel is
// maxUnavailable (maxSurge 0), min_healthy_time minReadySeconds,
// progress_deadline progressDeadlineSeconds, canary and auto_promote the
// canary step (spec.strategy.canary, see docs/SCHEDULER.md), with
// auto_revert reverting canaries past their deadline. A canary in a system
// or batch job is an error; auto_revert without canaries is a warning.
//
// Every object carries the labels barque.io/job and barque.io/group, and the
// pod template selects on them. Each task is a container: exec and raw_exec
// run `command` with `args` (driver exec), docker runs `image`. Resources
// convert as follows: cpu in MHz becomes a cpu request in millicores at
// 1000 MHz = 1 core (so cpu = 500 is "500m"), cores = N is N cores; memory
// in MB becomes a memory request in Mi, and the memory limit is memory_max
// when given, else memory (Nomad enforces memory as a hard limit). Without a
// resources block a task gets Nomad's defaults, cpu = 100 and memory = 300.
//
// Ports come from the group's network block: a static port is a hostPort; a
// dynamic port is a named container port listed in the pod annotation
// barque.io/dynamic-ports, so that the scheduler allocates its host port;
// `to` is the container port (0, meaning "the host port", when absent). A
// port belongs to the docker task whose config.ports names it, else to the
// group's first main task. A service block becomes a Service selecting the
// group's pods, whose port is the network port's `to`, else its static
// value, else 80, with the port's label as the target port.
//
// A service tag "urlprefix-[HOST]/PATH" (the convention of Fabio, a load
// balancer often run beside Nomad, which has no ingress block) routes HTTP
// for HOST (every host when empty) under the path prefix /PATH to the
// service: the service block then also makes an Ingress of the same name.
//
// A group's `volume` block of type "host" becomes a hostPath volume of type
// DirectoryOrCreate. Barque agents have no host_volume table, so source is
// the node directory itself, and must be absolute; csi and per_alloc
// volumes are rejected. A task's volume_mount mounts it: at the
// destination for docker tasks, and for exec tasks, which run without a
// chroot in their task directory, at the destination taken relative to
// that directory ("/data" is <task dir>/data, as inside a Nomad exec
// task's chroot); its path is also in BARQUE_VOLUME_<NAME>. A
// service group with volumes is a StatefulSet, so that a replacement pod
// never runs beside the one it replaces on the same directory.
//
// A template block becomes a ConfigMap (named <job>-<group>-<task>-<n>)
// holding its data under the destination's file name, and a configMap
// volume mounted at the destination's directory; templates with the same
// directory share one ConfigMap. Relative destinations are made absolute
// ("local/app.conf" is mounted at /local): inside a docker task /local is
// the task directory; on the agent NOMAD_TASK_DIR is <pod dir>/<task>/local.
// An env template (env = true) gets a ConfigMap of its own, imported with
// envFrom. The data is stored as written and rendered by the agent when
// the task starts (docs/AGENT.md, package api/tmpl): the ConfigMap is
// annotated barque.io/template: "true", and barque.io/template-options
// holds each file's destination, left_delimiter, right_delimiter, perms,
// change_mode, change_signal and env as JSON. Templates are Go
// text/template with consul-template's functions that need no Consul:
// env, envOrDefault, mustEnv, file (inside the task directory),
// timestamp, toLower, toUpper, toTitle, trimSpace, trimPrefix, trimSuffix,
// split, join, replaceAll, contains, in, indent, regexMatch,
// regexReplaceAll, parseInt, parseUint, parseFloat, parseBool, parseJSON,
// toJSON, toJSONPretty, base64Encode/Decode, base64URLEncode/Decode,
// sha256Hex, md5sum, loop, add, subtract, multiply, divide, modulo. Each
// template is parsed here: a syntax error or an unknown function fails the
// job file, naming the destination and line, and a function that needs
// Consul, Vault or Nomad's catalogs (key, service, secret, nomadService,
// nomadVar…) or acts on the host (plugin, writeToFile) is an
// ErrUnsupported naming the function. An env template without actions
// must already be KEY=VALUE lines. `source` (a file on the client) is
// refused; use data = file("…"). change_mode is accepted but has no
// effect: without Consul a template's inputs do not change while its task
// runs, and templates are rendered afresh at every start of the task, from
// the ConfigMap as it then is; change_mode "signal" or "script" and splay
// are listed in Job.Warnings.
//
// An artifact block is fetched by the agent (docs/AGENT.md), and Barque
// has no network: its source is file:///abs/path or /abs/path, a file or
// directory on the node's own disk, or a file relative to the job file
// (file://rel/path too), which Parse reads and Objects ships with the job
// in a ConfigMap <job>-<group>-<task>-artifacts (binaryData, one key per
// artifact; at most api.ShippedArtifactMaxBytes, 256 KiB, for all of a
// job's shipped files, since they are kept in its record and versions
// too; a relative directory is an error). http, https, git, s3, gcs…
// sources and the headers block are ErrUnsupported naming the source. destination (default "local/") may not leave the task
// directory; mode is any, file or dir; options takes only checksum
// ("sha256:<hex>", or md5, sha1, sha512, checked for its length); chown
// is kept. Each group's pod template lists its tasks' artifacts in the
// annotation barque.io/artifacts. Errors name the file, line and
// attribute.
//
// A parameterized block (payload optional, required or forbidden,
// meta_required, meta_optional) is allowed on batch jobs that are not
// periodic. The job maps as any batch job (Job.Record gives the rules
// the CLI keeps in the job's record), but `barque job run` applies
// nothing: `barque job dispatch` makes child jobs of the recorded objects.
// A task's dispatch_payload { file = "…" } (only in a parameterized job)
// names the file under its local/ directory that receives the payload; the
// pod template lists them in the annotation
// barque.io/dispatch-payload-files.
package jobspec
