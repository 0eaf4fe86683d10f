package api

import (
	"regexp"
	"strconv"
	"strings"
)

func init() {
	kindValidators["Deployment"] = func(o Object, errs *FieldErrors) { validateDeployment(&o.(*Deployment).Spec, errs) }
	kindValidators["ReplicaSet"] = func(o Object, errs *FieldErrors) {
		s := &o.(*ReplicaSet).Spec
		nonNegative32(s.Replicas, "spec.replicas", errs)
		nonNegative32(&s.MinReadySeconds, "spec.minReadySeconds", errs)
		validateSelectorTemplate(s.Selector, &s.Template, alwaysOnly, errs)
	}
	kindValidators["DaemonSet"] = func(o Object, errs *FieldErrors) {
		ds := o.(*DaemonSet)
		policies := alwaysOnly
		if RunOncePerNode(ds) {
			policies = jobRestartPolicies
		}
		validateDaemonSet(&ds.Spec, policies, errs)
	}
	kindValidators["StatefulSet"] = func(o Object, errs *FieldErrors) {
		s := o.(*StatefulSet)
		validateStatefulSet(s.Name, &s.Spec, errs)
	}
}

// Controllers that keep pods running only accept restartPolicy Always.
var alwaysOnly = []string{string(RestartAlways)}

// validateSelectorTemplate checks the selector every controller needs, and
// that it selects the template's own pods: otherwise the controller would
// create pods it cannot see and never stop.
func validateSelectorTemplate(ls *LabelSelector, tpl *PodTemplateSpec, policies []string, errs *FieldErrors) {
	validateTemplate(tpl, policies, errs)
	if ls == nil {
		errs.Required("spec.selector", "")
		return
	}
	validateLabelSelector(ls, "spec.selector", errs)
	if len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0 {
		errs.Invalid("spec.selector", "{}", "empty selector is invalid for this controller")
		return
	}
	sel, err := SelectorFromLabelSelector(ls)
	if err != nil {
		errs.Invalid("spec.selector", ls, err.Error())
		return
	}
	if !sel.Matches(tpl.Labels) {
		errs.Invalid("spec.template.metadata.labels", tpl.Labels, "`selector` does not match template `labels`")
	}
}

// validateTemplate checks a pod template: its labels and annotations, its
// spec, and the restart policies the owning controller can honour.
func validateTemplate(tpl *PodTemplateSpec, policies []string, errs *FieldErrors) {
	validateLabels(tpl.Labels, "spec.template.metadata.labels", errs)
	validateAnnotations(tpl.Annotations, "spec.template.metadata.annotations", errs)
	validatePodSpec(&tpl.Spec, "spec.template.spec", errs)
	rp := string(tpl.Spec.RestartPolicy)
	if rp != "" && contains(restartPolicies, rp) && !contains(policies, rp) {
		errs.NotSupported("spec.template.spec.restartPolicy", rp, policies)
	}
}

func validateDeployment(s *DeploymentSpec, errs *FieldErrors) {
	nonNegative32(s.Replicas, "spec.replicas", errs)
	nonNegative32(&s.MinReadySeconds, "spec.minReadySeconds", errs)
	nonNegative32(s.RevisionHistoryLimit, "spec.revisionHistoryLimit", errs)
	if p := s.ProgressDeadlineSeconds; p != nil && *p <= s.MinReadySeconds {
		errs.Invalid("spec.progressDeadlineSeconds", *p, "must be greater than minReadySeconds")
	}
	validateSelectorTemplate(s.Selector, &s.Template, alwaysOnly, errs)
	st := s.Strategy
	switch st.Type {
	case "", RollingUpdateDeploymentStrategy:
		if ru := st.RollingUpdate; ru != nil {
			validateRollingBounds(ru.MaxSurge, ru.MaxUnavailable, "spec.strategy.rollingUpdate", errs)
		}
		validateCanary(st.Canary, errs)
	case RecreateDeploymentStrategy:
		if st.RollingUpdate != nil {
			errs.Forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
		}
		if st.Canary != nil {
			errs.Forbidden("spec.strategy.canary", "may not be specified when strategy `type` is 'Recreate'")
		}
	default:
		errs.NotSupported("spec.strategy.type", st.Type, []string{RecreateDeploymentStrategy, RollingUpdateDeploymentStrategy})
	}
}

// validateCanary follows Nomad's update block: a non-negative canary
// count (it may exceed the replicas), and auto-promotion (and, in Barque,
// auto-revert) only of canaries.
func validateCanary(c *DeploymentCanary, errs *FieldErrors) {
	if c == nil {
		return
	}
	nonNegative32(&c.Replicas, "spec.strategy.canary.replicas", errs)
	if c.AutoPromote && c.Replicas <= 0 {
		errs.Invalid("spec.strategy.canary.autoPromote", true, "requires `replicas` greater than 0")
	}
	if c.AutoRevert && c.Replicas <= 0 {
		errs.Invalid("spec.strategy.canary.autoRevert", true, "requires `replicas` greater than 0")
	}
}

// validateRollingBounds checks maxSurge and maxUnavailable: non-negative
// ints or percents, unavailability at most 100%, and not both zero (a
// rollout could then never make progress).
func validateRollingBounds(surge, unavail *IntOrString, path string, errs *FieldErrors) {
	if surge != nil {
		validateIntOrPercent(*surge, path+".maxSurge", errs)
	}
	if unavail != nil {
		validateIntOrPercent(*unavail, path+".maxUnavailable", errs)
		if unavail.IsString {
			if n, err := unavail.percent(); err == nil && n > 100 {
				errs.Invalid(path+".maxUnavailable", unavail.StrVal, "must not be greater than 100%")
			}
		}
	}
	if surge != nil && unavail != nil && isZeroBound(*surge) && isZeroBound(*unavail) {
		errs.Invalid(path+".maxUnavailable", unavail.String(), "may not be 0 when `maxSurge` is 0")
	}
}

var percentRE = regexp.MustCompile(`^[0-9]+%$`)

func validateIntOrPercent(v IntOrString, path string, errs *FieldErrors) {
	switch {
	case v.IsString && !percentRE.MatchString(v.StrVal):
		errs.Invalid(path, v.StrVal, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")
	case !v.IsString && v.IntVal < 0:
		errs.Invalid(path, v.IntVal, "must be greater than or equal to 0")
	}
}

func isZeroBound(v IntOrString) bool {
	if v.IsString {
		n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
		return err == nil && n == 0
	}
	return v.IntVal == 0
}

// validateDaemonSet checks a DaemonSet's spec; policies are the restart
// policies its template may have (OnFailure and Never for a run-once set).
func validateDaemonSet(s *DaemonSetSpec, policies []string, errs *FieldErrors) {
	nonNegative32(&s.MinReadySeconds, "spec.minReadySeconds", errs)
	nonNegative32(s.RevisionHistoryLimit, "spec.revisionHistoryLimit", errs)
	validateSelectorTemplate(s.Selector, &s.Template, policies, errs)
	switch us := s.UpdateStrategy; us.Type {
	case "", RollingUpdateStrategyType:
		if ru := us.RollingUpdate; ru != nil {
			validateRollingBounds(ru.MaxSurge, ru.MaxUnavailable, "spec.updateStrategy.rollingUpdate", errs)
		}
	case OnDeleteStrategyType:
	default:
		errs.NotSupported("spec.updateStrategy.type", us.Type, []string{OnDeleteStrategyType, RollingUpdateStrategyType})
	}
}

func validateStatefulSet(name string, s *StatefulSetSpec, errs *FieldErrors) {
	nonNegative32(s.Replicas, "spec.replicas", errs)
	nonNegative32(&s.MinReadySeconds, "spec.minReadySeconds", errs)
	nonNegative32(s.RevisionHistoryLimit, "spec.revisionHistoryLimit", errs)
	if s.ServiceName != "" {
		errs.addMsgs("spec.serviceName", s.ServiceName, IsDNS1035Label(s.ServiceName))
	}
	validateSelectorTemplate(s.Selector, templateWithClaims(&s.Template, s.VolumeClaimTemplates), alwaysOnly, errs)
	validateClaimTemplates(name, s.VolumeClaimTemplates, errs)
	validateRetentionPolicy(s.PersistentVolumeClaimRetentionPolicy, errs)
	if p := s.PodManagementPolicy; p != "" && p != OrderedReadyPodManagement && p != ParallelPodManagement {
		errs.NotSupported("spec.podManagementPolicy", p, []string{OrderedReadyPodManagement, ParallelPodManagement})
	}
	switch us := s.UpdateStrategy; us.Type {
	case "", RollingUpdateStrategyType:
		if ru := us.RollingUpdate; ru != nil {
			nonNegative32(ru.Partition, "spec.updateStrategy.rollingUpdate.partition", errs)
		}
	case OnDeleteStrategyType:
		if us.RollingUpdate != nil {
			errs.Invalid("spec.updateStrategy.rollingUpdate", "", "only allowed for updateStrategy 'RollingUpdate'")
		}
	default:
		errs.NotSupported("spec.updateStrategy.type", us.Type, []string{OnDeleteStrategyType, RollingUpdateStrategyType})
	}
}
