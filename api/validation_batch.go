package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() {
	kindValidators["Job"] = func(o Object, errs *FieldErrors) { validateJobSpec(&o.(*Job).Spec, "spec", errs) }
	kindValidators["CronJob"] = func(o Object, errs *FieldErrors) { validateCronJob(&o.(*CronJob).Spec, errs) }
}

// Jobs run to completion, so Always is not a choice for their pods.
var jobRestartPolicies = []string{string(RestartOnFailure), string(RestartNever)}

// validateJobSpec checks a job's spec at path ("spec", or
// "spec.jobTemplate.spec" inside a CronJob).
func validateJobSpec(s *JobSpec, path string, errs *FieldErrors) {
	nonNegative32(s.Parallelism, path+".parallelism", errs)
	nonNegative32(s.Completions, path+".completions", errs)
	nonNegative32(s.BackoffLimit, path+".backoffLimit", errs)
	nonNegative32(s.TTLSecondsAfterFinished, path+".ttlSecondsAfterFinished", errs)
	if d := s.ActiveDeadlineSeconds; d != nil && *d <= 0 {
		errs.Invalid(path+".activeDeadlineSeconds", *d, "must be greater than 0")
	}
	if m := s.CompletionMode; m != nil && *m != NonIndexedCompletion && *m != IndexedCompletion {
		errs.NotSupported(path+".completionMode", *m, []string{NonIndexedCompletion, IndexedCompletion})
	}
	if m := s.CompletionMode; m != nil && *m == IndexedCompletion && s.Completions == nil {
		errs.Required(path+".completions", "when completion mode is Indexed")
	}
	tpl := path + ".template"
	validateLabels(s.Template.Labels, tpl+".metadata.labels", errs)
	validatePodSpec(&s.Template.Spec, tpl+".spec", errs)
	switch rp := string(s.Template.Spec.RestartPolicy); {
	case rp == "":
		errs.Required(tpl+".spec.restartPolicy", `valid values: "OnFailure", "Never"`)
	case contains(restartPolicies, rp) && !contains(jobRestartPolicies, rp):
		errs.NotSupported(tpl+".spec.restartPolicy", rp, jobRestartPolicies)
	}
	if s.Selector != nil {
		validateLabelSelector(s.Selector, path+".selector", errs)
		if sel, err := SelectorFromLabelSelector(s.Selector); err == nil && !sel.Matches(s.Template.Labels) {
			errs.Invalid(tpl+".metadata.labels", s.Template.Labels, "`selector` does not match template `labels`")
		}
	}
}

var concurrencyPolicies = []string{AllowConcurrent, ForbidConcurrent, ReplaceConcurrent}

func validateCronJob(s *CronJobSpec, errs *FieldErrors) {
	if s.Schedule == "" {
		errs.Required("spec.schedule", "")
	} else if err := checkCronSchedule(s.Schedule); err != nil {
		errs.Invalid("spec.schedule", s.Schedule, err.Error())
	}
	if tz := s.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "" || strings.EqualFold(*tz, "local") {
			errs.Invalid("spec.timeZone", *tz, "unknown time zone "+*tz)
		}
	}
	if p := s.ConcurrencyPolicy; p != "" && !contains(concurrencyPolicies, p) {
		errs.NotSupported("spec.concurrencyPolicy", p, concurrencyPolicies)
	}
	nonNegative64(s.StartingDeadlineSeconds, "spec.startingDeadlineSeconds", errs)
	nonNegative32(s.SuccessfulJobsHistoryLimit, "spec.successfulJobsHistoryLimit", errs)
	nonNegative32(s.FailedJobsHistoryLimit, "spec.failedJobsHistoryLimit", errs)
	validateJobSpec(&s.JobTemplate.Spec, "spec.jobTemplate.spec", errs)
}

// cronFields are the five fields of a schedule with their ranges and the
// names the month and weekday fields accept.
var cronFields = []struct {
	name     string
	min, max int
	names    []string
}{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var cronDescriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

// checkCronSchedule accepts standard five-field cron expressions and the
// descriptors (@daily…), as Kubernetes' cron parser does.
func checkCronSchedule(s string) error {
	if strings.HasPrefix(s, "@") {
		if contains(cronDescriptors, s) || strings.HasPrefix(s, "@every ") {
			return nil
		}
		return fmt.Errorf("unrecognized descriptor: %s", s)
	}
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return fmt.Errorf("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return fmt.Errorf("expected exactly 5 fields, found %d: %s", len(fields), s)
	}
	for i, f := range fields {
		if err := checkCronField(f, i); err != nil {
			return err
		}
	}
	return nil
}

func checkCronField(f string, i int) error {
	spec := cronFields[i]
	for _, part := range strings.Split(f, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n <= 0 {
				return fmt.Errorf("invalid step %q in %s field", step, spec.name)
			}
		}
		if rng == "*" || rng == "?" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		if !isRange {
			hi = lo
		}
		for _, v := range []string{lo, hi} {
			if err := checkCronValue(v, spec.min, spec.max, spec.names, spec.name); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkCronValue(v string, lo, hi int, names []string, field string) error {
	for _, n := range names {
		if strings.EqualFold(v, n) {
			return nil
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("failed to parse int from %s: %q in %s field", v, v, field)
	}
	if n < lo || n > hi {
		return fmt.Errorf("%s value %d out of range %d-%d", field, n, lo, hi)
	}
	return nil
}
