package api

import (
	"strconv"
)

func init() {
	kindValidators["Pod"] = func(o Object, errs *FieldErrors) {
		validatePodSpec(&o.(*Pod).Spec, "spec", errs)
	}
}

var (
	restartPolicies = []string{string(RestartAlways), string(RestartOnFailure), string(RestartNever)}
	protocols       = []string{string(ProtocolTCP), string(ProtocolUDP), string(ProtocolSCTP)}
	drivers         = []string{"exec", "docker"}
	dnsPolicies     = []string{"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"}
)

// validatePodSpec checks a pod's spec at path ("spec" for pods,
// "spec.template.spec" for controllers).
func validatePodSpec(s *PodSpec, path string, errs *FieldErrors) {
	vols := validateVolumes(s.Volumes, path+".volumes", errs)
	if len(s.Containers) == 0 {
		errs.Required(path+".containers", "")
	}
	names := map[string]bool{}
	for i := range s.InitContainers {
		c := &s.InitContainers[i]
		p := idx(path+".initContainers", i)
		validateContainer(c, p, vols, names, errs)
		if c.RestartPolicy != nil && *c.RestartPolicy != RestartAlways {
			errs.NotSupported(p+".restartPolicy", string(*c.RestartPolicy), []string{string(RestartAlways)})
		}
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		validateContainer(c, idx(path+".containers", i), vols, names, errs)
		if c.RestartPolicy != nil {
			errs.Forbidden(idx(path+".containers", i)+".restartPolicy", "may only be set on init containers")
		}
	}
	if s.RestartPolicy != "" && !contains(restartPolicies, string(s.RestartPolicy)) {
		errs.NotSupported(path+".restartPolicy", string(s.RestartPolicy), restartPolicies)
	}
	nonNegative64(s.TerminationGracePeriodSeconds, path+".terminationGracePeriodSeconds", errs)
	if s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds <= 0 {
		errs.Invalid(path+".activeDeadlineSeconds", *s.ActiveDeadlineSeconds, "must be between 1 and 2147483647, inclusive")
	}
	if p := s.DNSPolicy; p != "" && !contains(dnsPolicies, p) {
		errs.NotSupported(path+".dnsPolicy", p, dnsPolicies)
	}
	if p := s.PreemptionPolicy; p != nil && *p != "PreemptLowerPriority" && *p != "Never" {
		errs.NotSupported(path+".preemptionPolicy", *p, []string{"Never", "PreemptLowerPriority"})
	}
	validateLabels(s.NodeSelector, path+".nodeSelector", errs)
	if s.NodeName != "" {
		errs.addMsgs(path+".nodeName", s.NodeName, IsDNS1123Subdomain(s.NodeName))
	}
	if s.Hostname != "" {
		errs.addMsgs(path+".hostname", s.Hostname, IsDNS1123Label(s.Hostname))
	}
	if s.PriorityClassName != "" {
		errs.addMsgs(path+".priorityClassName", s.PriorityClassName, IsDNS1123Subdomain(s.PriorityClassName))
	}
	validateTolerations(s.Tolerations, path+".tolerations", errs)
	validateAffinity(s.Affinity, path+".affinity", errs)
	validateSpread(s.TopologySpreadConstraints, path+".topologySpreadConstraints", errs)
}

// validateVolumes checks volumes and returns the declared names, which
// volume mounts must refer to.
func validateVolumes(vols []Volume, path string, errs *FieldErrors) map[string]bool {
	names := map[string]bool{}
	for i := range vols {
		v, p := &vols[i], idx(path, i)
		switch {
		case v.Name == "":
			errs.Required(p+".name", "")
		case names[v.Name]:
			errs.Duplicate(p+".name", v.Name)
		default:
			errs.addMsgs(p+".name", v.Name, IsDNS1123Label(v.Name))
		}
		names[v.Name] = true
		validateVolumeSource(&v.VolumeSource, p, errs)
	}
	return names
}

func validateVolumeSource(v *VolumeSource, p string, errs *FieldErrors) {
	n := 0
	if v.EmptyDir != nil {
		n++
		if v.EmptyDir.SizeLimit != "" {
			validateQuantity(v.EmptyDir.SizeLimit, p+".emptyDir.sizeLimit", errs)
		}
	}
	if v.HostPath != nil {
		n++
		if v.HostPath.Path == "" {
			errs.Required(p+".hostPath.path", "")
		}
	}
	if v.ConfigMap != nil {
		n++
		if v.ConfigMap.Name == "" {
			errs.Required(p+".configMap.name", "")
		}
		validateKeyToPaths(v.ConfigMap.Items, p+".configMap.items", errs)
		validateFileMode(v.ConfigMap.DefaultMode, p+".configMap.defaultMode", errs)
	}
	if v.Secret != nil {
		n++
		if v.Secret.SecretName == "" {
			errs.Required(p+".secret.secretName", "")
		}
		validateKeyToPaths(v.Secret.Items, p+".secret.items", errs)
		validateFileMode(v.Secret.DefaultMode, p+".secret.defaultMode", errs)
	}
	if v.PersistentVolumeClaim != nil {
		n++
		if c := v.PersistentVolumeClaim.ClaimName; c == "" {
			errs.Required(p+".persistentVolumeClaim.claimName", "")
		} else {
			errs.addMsgs(p+".persistentVolumeClaim.claimName", c, IsDNS1123Subdomain(c))
		}
	}
	switch {
	case n == 0:
		errs.Required(p, "must specify a volume type")
	case n > 1:
		errs.Forbidden(p, "may not specify more than 1 volume type")
	}
}

func validateKeyToPaths(items []KeyToPath, path string, errs *FieldErrors) {
	for i, it := range items {
		p := idx(path, i)
		if it.Key == "" {
			errs.Required(p+".key", "")
		}
		if it.Path == "" {
			errs.Required(p+".path", "")
		}
		validateFileMode(it.Mode, p+".mode", errs)
	}
}

// validateFileMode checks a projected file's mode: permission bits only,
// 0 to 0777 (511), as Kubernetes allows.
func validateFileMode(mode *int32, path string, errs *FieldErrors) {
	if mode != nil && (*mode < 0 || *mode > 0o777) {
		errs.Invalid(path, strconv.Itoa(int(*mode)), "must be a number between 0 and 0777 (octal), both inclusive")
	}
}

func validateTolerations(ts []Toleration, path string, errs *FieldErrors) {
	for i, t := range ts {
		p := idx(path, i)
		if t.Key != "" {
			errs.addMsgs(p+".key", t.Key, IsQualifiedName(t.Key))
		}
		switch t.Operator {
		case "", TolerationOpEqual:
			if t.Key == "" {
				errs.Invalid(p+".operator", t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"")
			}
		case TolerationOpExists:
			if t.Value != "" {
				errs.Invalid(p+".operator", t.Value, "value must be empty when `operator` is 'Exists'")
			}
		default:
			errs.NotSupported(p+".operator", t.Operator, []string{TolerationOpEqual, TolerationOpExists})
		}
		if t.Effect != "" && !contains(taintEffects, string(t.Effect)) {
			errs.NotSupported(p+".effect", string(t.Effect), taintEffects)
		}
		if t.TolerationSeconds != nil && t.Effect != TaintNoExecute {
			errs.Invalid(p+".effect", string(t.Effect), "effect must be 'NoExecute' when `tolerationSeconds` is set")
		}
	}
}

var taintEffects = []string{string(TaintNoSchedule), string(TaintPreferNoSchedule), string(TaintNoExecute)}

func validateSpread(cs []TopologySpreadConstraint, path string, errs *FieldErrors) {
	for i, c := range cs {
		p := idx(path, i)
		if c.MaxSkew <= 0 {
			errs.Invalid(p+".maxSkew", c.MaxSkew, "must be greater than zero")
		}
		if c.TopologyKey == "" {
			errs.Required(p+".topologyKey", "can not be empty")
		}
		if w := c.WhenUnsatisfiable; w != DoNotSchedule && w != ScheduleAnyway {
			errs.NotSupported(p+".whenUnsatisfiable", w, []string{DoNotSchedule, ScheduleAnyway})
		}
		validateLabelSelector(c.LabelSelector, p+".labelSelector", errs)
	}
}

func nonNegative64(v *int64, path string, errs *FieldErrors) {
	if v != nil && *v < 0 {
		errs.Invalid(path, *v, "must be greater than or equal to 0")
	}
}

func nonNegative32(v *int32, path string, errs *FieldErrors) {
	if v != nil && *v < 0 {
		errs.Invalid(path, *v, "must be greater than or equal to 0")
	}
}

func validatePortNumber(port int32, path string, errs *FieldErrors) {
	if port < 1 || port > 65535 {
		errs.Invalid(path, port, "must be between 1 and 65535, inclusive")
	}
}

// validatePortRef checks an IntOrString port: a number in range or an IANA
// service name (a container port's name).
func validatePortRef(p IntOrString, path string, errs *FieldErrors) {
	if !p.IsString {
		validatePortNumber(p.IntVal, path, errs)
		return
	}
	errs.addMsgs(path, p.StrVal, IsPortName(p.StrVal))
}

func validateQuantity(s, path string, errs *FieldErrors) (Quantity, bool) {
	q, err := ParseQuantity(s)
	if err != nil {
		errs.Invalid(path, s, quantityFormatMsg)
		return q, false
	}
	if q.MilliValue() < 0 {
		errs.Invalid(path, s, "must be greater than or equal to 0")
		return q, false
	}
	return q, true
}

func itoa(i int) string { return strconv.Itoa(i) }
