package api

// validateContainer checks one container at path. names collects container
// names across init and regular containers, which must all differ.
func validateContainer(c *Container, path string, vols, names map[string]bool, errs *FieldErrors) {
	switch {
	case c.Name == "":
		errs.Required(path+".name", "")
	case names[c.Name]:
		errs.Duplicate(path+".name", c.Name)
	default:
		errs.addMsgs(path+".name", c.Name, IsDNS1123Label(c.Name))
	}
	names[c.Name] = true
	// Kubernetes requires an image; Barque's exec driver runs a host
	// command instead, so either will do.
	switch {
	case c.Image == "" && c.Driver == "docker":
		errs.Required(path+".image", "the docker driver needs an image")
	case c.Image == "" && len(c.Command) == 0:
		errs.Required(path+".image", "image or command is required")
	}
	if c.Driver != "" && !contains(drivers, c.Driver) {
		errs.NotSupported(path+".driver", c.Driver, drivers)
	}
	if p := c.ImagePullPolicy; p != "" && p != PullAlways && p != PullNever && p != PullIfNotPresent {
		errs.NotSupported(path+".imagePullPolicy", p, []string{PullAlways, PullIfNotPresent, PullNever})
	}
	if p := c.TerminationMessagePolicy; p != "" && p != "File" && p != "FallbackToLogsOnError" {
		errs.NotSupported(path+".terminationMessagePolicy", p, []string{"File", "FallbackToLogsOnError"})
	}
	if sig := c.StopSignalOf(); sig != "" && !contains(StopSignals, sig) {
		errs.NotSupported(path+".lifecycle.stopSignal", sig, StopSignals)
	}
	validateContainerPorts(c.Ports, path+".ports", errs)
	validateEnvFrom(c.EnvFrom, path+".envFrom", errs)
	validateEnv(c.Env, path+".env", errs)
	validateResources(&c.Resources, path+".resources", errs)
	validateMounts(c.VolumeMounts, path+".volumeMounts", vols, errs)
	validateProbe(c.LivenessProbe, path+".livenessProbe", true, errs)
	validateProbe(c.ReadinessProbe, path+".readinessProbe", false, errs)
	validateProbe(c.StartupProbe, path+".startupProbe", true, errs)
}

func validateContainerPorts(ports []ContainerPort, path string, errs *FieldErrors) {
	names := map[string]bool{}
	for i, p := range ports {
		pp := idx(path, i)
		if p.Name != "" {
			if names[p.Name] {
				errs.Duplicate(pp+".name", p.Name)
			}
			names[p.Name] = true
			errs.addMsgs(pp+".name", p.Name, IsPortName(p.Name))
		}
		// A named port may leave containerPort 0: it is a dynamic port
		// (barque.io/dynamic-ports), reached inside the task on the host
		// port the scheduler allocates.
		if p.ContainerPort == 0 && p.Name == "" {
			errs.Required(pp+".containerPort", "a port without a name needs a number")
		} else if p.ContainerPort != 0 {
			validatePortNumber(p.ContainerPort, pp+".containerPort", errs)
		}
		if p.HostPort != 0 {
			validatePortNumber(p.HostPort, pp+".hostPort", errs)
		}
		if p.Protocol != "" && !contains(protocols, string(p.Protocol)) {
			errs.NotSupported(pp+".protocol", string(p.Protocol), protocols)
		}
	}
}

func validateEnv(env []EnvVar, path string, errs *FieldErrors) {
	for i, e := range env {
		p := idx(path, i)
		if e.Name == "" {
			errs.Required(p+".name", "")
		} else {
			errs.addMsgs(p+".name", e.Name, IsEnvVarName(e.Name))
		}
		if e.ValueFrom == nil {
			continue
		}
		if e.Value != "" {
			errs.Invalid(p+".valueFrom", "", "may not be specified when `value` is not empty")
		}
		validateEnvSource(e.ValueFrom, p+".valueFrom", errs)
	}
}

func validateEnvFrom(srcs []EnvFromSource, path string, errs *FieldErrors) {
	for i, s := range srcs {
		p := idx(path, i)
		if s.Prefix != "" {
			errs.addMsgs(p+".prefix", s.Prefix, IsEnvVarName(s.Prefix))
		}
		switch {
		case s.ConfigMapRef == nil && s.SecretRef == nil:
			errs.Invalid(p, "", "must specify one of: `configMapRef` or `secretRef`")
		case s.ConfigMapRef != nil && s.SecretRef != nil:
			errs.Invalid(p, "", "may not have more than one field specified at a time")
		case s.ConfigMapRef != nil && s.ConfigMapRef.Name == "":
			errs.Required(p+".configMapRef.name", "")
		case s.SecretRef != nil && s.SecretRef.Name == "":
			errs.Required(p+".secretRef.name", "")
		}
	}
}

func validateEnvSource(s *EnvVarSource, path string, errs *FieldErrors) {
	n := 0
	if s.FieldRef != nil {
		n++
		if s.FieldRef.FieldPath == "" {
			errs.Required(path+".fieldRef.fieldPath", "")
		}
	}
	refs := []struct {
		name string
		ref  *KeySelector
	}{{"configMapKeyRef", s.ConfigMapKeyRef}, {"secretKeyRef", s.SecretKeyRef}}
	for _, r := range refs {
		name, ref := r.name, r.ref
		if ref == nil {
			continue
		}
		n++
		if ref.Name == "" {
			errs.Required(path+"."+name+".name", "")
		}
		if ref.Key == "" {
			errs.Required(path+"."+name+".key", "")
		} else {
			errs.addMsgs(path+"."+name+".key", ref.Key, IsConfigMapKey(ref.Key))
		}
	}
	switch {
	case n == 0:
		errs.Invalid(path, "", "must specify one of: `fieldRef`, `configMapKeyRef` or `secretKeyRef`")
	case n > 1:
		errs.Invalid(path, "", "may not have more than one field specified at a time")
	}
}

// validateResources checks each quantity and that requests do not exceed
// limits, since the scheduler packs by requests and the agent enforces limits.
func validateResources(r *ResourceRequirements, path string, errs *FieldErrors) {
	limits := map[string]Quantity{}
	for _, name := range sortedKeys(r.Limits) {
		if q, ok := validateQuantity(r.Limits[name], key(path+".limits", name), errs); ok {
			limits[name] = q
		}
	}
	for _, name := range sortedKeys(r.Requests) {
		q, ok := validateQuantity(r.Requests[name], key(path+".requests", name), errs)
		if lim, has := limits[name]; ok && has && q.Cmp(lim) > 0 {
			errs.Invalid(key(path+".requests", name), r.Requests[name],
				"must be less than or equal to "+name+" limit of "+r.Limits[name])
		}
	}
}

func validateMounts(ms []VolumeMount, path string, vols map[string]bool, errs *FieldErrors) {
	paths := map[string]bool{}
	for i, m := range ms {
		p := idx(path, i)
		switch {
		case m.Name == "":
			errs.Required(p+".name", "")
		case !vols[m.Name]:
			errs.NotFound(p+".name", m.Name)
		}
		switch {
		case m.MountPath == "":
			errs.Required(p+".mountPath", "")
		case paths[m.MountPath]:
			errs.Invalid(p+".mountPath", m.MountPath, "must be unique")
		}
		paths[m.MountPath] = true
	}
}

// validateProbe checks a probe; liveness and startup probes must have
// successThreshold 1, as a single success is all they can act on.
func validateProbe(pr *Probe, path string, singleSuccess bool, errs *FieldErrors) {
	if pr == nil {
		return
	}
	n := 0
	if pr.Exec != nil {
		n++
		if len(pr.Exec.Command) == 0 {
			errs.Required(path+".exec.command", "")
		}
	}
	if pr.HTTPGet != nil {
		n++
		validatePortRef(pr.HTTPGet.Port, path+".httpGet.port", errs)
		if s := pr.HTTPGet.Scheme; s != "" && s != "HTTP" && s != "HTTPS" {
			errs.NotSupported(path+".httpGet.scheme", s, []string{"HTTP", "HTTPS"})
		}
	}
	if pr.TCPSocket != nil {
		n++
		validatePortRef(pr.TCPSocket.Port, path+".tcpSocket.port", errs)
	}
	switch {
	case n == 0:
		errs.Required(path, "must specify a handler type")
	case n > 1:
		errs.Forbidden(path, "may not specify more than 1 handler type")
	}
	nonNegative32(&pr.InitialDelaySeconds, path+".initialDelaySeconds", errs)
	nonNegative32(&pr.TimeoutSeconds, path+".timeoutSeconds", errs)
	nonNegative32(&pr.PeriodSeconds, path+".periodSeconds", errs)
	nonNegative32(&pr.SuccessThreshold, path+".successThreshold", errs)
	nonNegative32(&pr.FailureThreshold, path+".failureThreshold", errs)
	if singleSuccess && pr.SuccessThreshold > 1 {
		errs.Invalid(path+".successThreshold", pr.SuccessThreshold, "must be 1")
	}
}
