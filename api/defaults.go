package api

import "reflect"

// Default fills the values Kubernetes' API server fills when a field is left
// out, so that controllers and agents never have to guess. It changes obj in
// place and is idempotent: defaulting a defaulted object changes nothing.
func Default(obj Object) {
	switch o := obj.(type) {
	case *Namespace:
		if o.Status.Phase == "" {
			o.Status.Phase = NamespaceActive
		}
	case *Pod:
		defaultPodSpec(&o.Spec)
		if o.Status.Phase == "" {
			o.Status.Phase = PodPending
		}
	case *PersistentVolumeClaim:
		setString(&o.Status.Phase, ClaimPending)
	case *Service:
		defaultService(&o.Spec)
	case *Secret:
		defaultSecret(o)
	case *Endpoints:
		defaultEndpoints(o)
	case *ReplicaSet:
		setInt32(&o.Spec.Replicas, 1)
		defaultPodSpec(&o.Spec.Template.Spec)
	case *Deployment:
		defaultDeployment(&o.Spec)
	case *DaemonSet:
		defaultDaemonSet(&o.Spec)
	case *StatefulSet:
		defaultStatefulSet(&o.Spec)
	case *Job:
		defaultJob(&o.Spec)
	case *CronJob:
		defaultCronJob(&o.Spec)
	case *NomadJob:
		setString(&o.Spec.Type, NomadJobService)
	case *NomadJobVersion:
		setString(&o.Spec.Job.Type, NomadJobService)
	case *Event:
		if o.Type == "" {
			o.Type = EventTypeNormal
		}
	}
}

func setInt32(p **int32, v int32) {
	if *p == nil {
		*p = &v
	}
}

func setInt64(p **int64, v int64) {
	if *p == nil {
		*p = &v
	}
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func defaultService(s *ServiceSpec) {
	setString((*string)(&s.Type), string(ServiceTypeClusterIP))
	setString(&s.SessionAffinity, "None")
	for i := range s.Ports {
		p := &s.Ports[i]
		setString((*string)(&p.Protocol), string(ProtocolTCP))
		if p.TargetPort.IsZero() {
			p.TargetPort = FromInt(int(p.Port))
		}
	}
}

func defaultEndpoints(e *Endpoints) {
	for i := range e.Subsets {
		for j := range e.Subsets[i].Ports {
			setString((*string)(&e.Subsets[i].Ports[j].Protocol), string(ProtocolTCP))
		}
	}
}

// defaultSecret merges the write-only stringData into data (stringData wins,
// as in Kubernetes) and then drops it, so the stored object has one source
// of truth and defaulting again is a no-op.
func defaultSecret(s *Secret) {
	setString(&s.Type, SecretTypeOpaque)
	if len(s.StringData) == 0 {
		s.StringData = nil
		return
	}
	if s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

// ResetStatusForCreate clears the status a client sent with a create, as
// Kubernetes' API server does: status is what controllers and agents
// observe, and a Job created "succeeded" or a Deployment created with
// ready replicas would be believed. A Node keeps it: its agent registers
// it with what it found on the machine.
func ResetStatusForCreate(obj Object) {
	if obj.GetTypeMeta().Kind == "Node" {
		return
	}
	if f := reflect.ValueOf(obj).Elem().FieldByName("Status"); f.IsValid() && f.CanSet() {
		f.Set(reflect.Zero(f.Type()))
	}
}
