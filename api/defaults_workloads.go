package api

import "strings"

func defaultPodSpec(s *PodSpec) {
	setString((*string)(&s.RestartPolicy), string(RestartAlways))
	setInt64(&s.TerminationGracePeriodSeconds, 30)
	setString(&s.SchedulerName, "default-scheduler")
	setString(&s.DNSPolicy, "ClusterFirst")
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = Ptr(true)
	}
	if s.Priority == nil && s.PriorityClassName == "" {
		s.Priority = Ptr(int32(0))
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
	for i := range s.Volumes {
		defaultVolume(&s.Volumes[i])
	}
}

func defaultContainer(c *Container) {
	setString(&c.TerminationMessagePath, "/dev/termination-log")
	setString(&c.TerminationMessagePolicy, "File")
	if c.Image != "" {
		setString(&c.ImagePullPolicy, defaultPullPolicy(c.Image))
	}
	for i := range c.Ports {
		setString((*string)(&c.Ports[i].Protocol), string(ProtocolTCP))
	}
	// Barque implements only the stop signal: a lifecycle left empty once
	// its hooks were dropped is not stored.
	if c.Lifecycle != nil && c.Lifecycle.StopSignal == "" {
		c.Lifecycle = nil
	}
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil {
			defaultProbe(p)
		}
	}
}

// defaultPullPolicy is Kubernetes' rule: a floating tag (":latest" or none)
// is pulled every time, a pinned one only when absent.
func defaultPullPolicy(image string) string {
	if strings.Contains(image, "@") {
		return PullIfNotPresent
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, hasTag := strings.Cut(name, ":")
	if !hasTag || tag == "latest" {
		return PullAlways
	}
	return PullIfNotPresent
}

func defaultProbe(p *Probe) {
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.HTTPGet != nil {
		setString(&p.HTTPGet.Path, "/")
		setString(&p.HTTPGet.Scheme, "HTTP")
	}
}

func defaultVolume(v *Volume) {
	if v.EmptyDir == nil && v.HostPath == nil && v.Secret == nil && v.ConfigMap == nil && v.PersistentVolumeClaim == nil {
		v.EmptyDir = &EmptyDirVolumeSource{}
	}
	mode := int32(0o644)
	if v.Secret != nil && v.Secret.DefaultMode == nil {
		v.Secret.DefaultMode = Ptr(mode)
	}
	if v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil {
		v.ConfigMap.DefaultMode = Ptr(mode)
	}
}

func defaultDeployment(s *DeploymentSpec) {
	setInt32(&s.Replicas, 1)
	setInt32(&s.RevisionHistoryLimit, 10)
	setInt32(&s.ProgressDeadlineSeconds, 600)
	setString(&s.Strategy.Type, RollingUpdateDeploymentStrategy)
	if s.Strategy.Type == RollingUpdateDeploymentStrategy {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &RollingUpdateDeployment{}
		}
		ru := s.Strategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = Ptr(FromString("25%"))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = Ptr(FromString("25%"))
		}
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultDaemonSet(s *DaemonSetSpec) {
	setInt32(&s.RevisionHistoryLimit, 10)
	setString(&s.UpdateStrategy.Type, RollingUpdateStrategyType)
	if s.UpdateStrategy.Type == RollingUpdateStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateDaemonSet{}
		}
		ru := s.UpdateStrategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = Ptr(FromInt(1))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = Ptr(FromInt(0))
		}
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultStatefulSet(s *StatefulSetSpec) {
	setInt32(&s.Replicas, 1)
	setInt32(&s.RevisionHistoryLimit, 10)
	setString(&s.PodManagementPolicy, OrderedReadyPodManagement)
	setString(&s.UpdateStrategy.Type, RollingUpdateStrategyType)
	if s.UpdateStrategy.Type == RollingUpdateStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateStatefulSetStrategy{}
		}
		setInt32(&s.UpdateStrategy.RollingUpdate.Partition, 0)
	}
	if s.PersistentVolumeClaimRetentionPolicy == nil {
		s.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	setString(&s.PersistentVolumeClaimRetentionPolicy.WhenDeleted, RetainClaimRetention)
	setString(&s.PersistentVolumeClaimRetentionPolicy.WhenScaled, RetainClaimRetention)
	defaultPodSpec(&s.Template.Spec)
}

// defaultJob also sets restartPolicy Never on the template when absent:
// Kubernetes rejects Always for jobs, and Never is what users mean.
func defaultJob(s *JobSpec) {
	setString((*string)(&s.Template.Spec.RestartPolicy), string(RestartNever))
	// As in Kubernetes: a job with neither set runs one pod to one success;
	// parallelism alone means a work queue, where completions stays unset.
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = Ptr(int32(1))
	}
	setInt32(&s.Parallelism, 1)
	setInt32(&s.BackoffLimit, 6)
	if s.CompletionMode == nil {
		s.CompletionMode = Ptr(NonIndexedCompletion)
	}
	if s.Suspend == nil {
		s.Suspend = Ptr(false)
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultCronJob(s *CronJobSpec) {
	setString(&s.ConcurrencyPolicy, AllowConcurrent)
	if s.Suspend == nil {
		s.Suspend = Ptr(false)
	}
	setInt32(&s.SuccessfulJobsHistoryLimit, 3)
	setInt32(&s.FailedJobsHistoryLimit, 1)
	defaultJob(&s.JobTemplate.Spec)
}
