package jobspec

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Job types, as Nomad spells them.
const (
	TypeService  = "service"
	TypeBatch    = "batch"
	TypeSystem   = "system"
	TypeSysbatch = "sysbatch"
)

var (
	drivers   = []string{"exec", "raw_exec", "docker"}
	hooks     = []string{"prestart", "poststart", "poststop"}
	operators = []string{"=", "==", "is", "!=", "not", "<", "<=", ">", ">=", "regexp", "version", "semver",
		"set_contains", "set_contains_all", "set_contains_any", "is_set", "is_not_set",
		"distinct_hosts", "distinct_property"}
)

// validate checks what the HCL schema cannot: enumerations, references
// between blocks, durations. Semantics that need the mapping (unsupported
// combinations) are checked by Objects.
func validate(job *Job) error {
	if diags := validPreferences(job); diags.HasErrors() {
		return errDiags(diags)
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if job.Type == "" {
		job.Type = TypeService
	}
	add(oneOf("job type", job.Type, []string{TypeService, TypeBatch, TypeSystem, TypeSysbatch}))
	if len(job.Groups) == 0 {
		add(fmt.Errorf("job %q has no group", job.Name))
	}
	add(validConstraints("job "+job.Name, job.Constraints))
	add(validUpdate("job "+job.Name, job.Update))
	job.Warnings = append(job.Warnings, updateWarnings(job)...)
	job.Warnings = append(job.Warnings, templateWarnings(job)...)
	for _, g := range job.Groups {
		add(validGroup(g))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("job %q: %w", job.Name, err)
	}
	return nil
}

func validGroup(g *Group) error {
	where := "group " + g.Name
	errs := []error{validConstraints(where, g.Constraints), validUpdate(where, g.Update)}
	if g.Count != nil && *g.Count < 0 {
		errs = append(errs, fmt.Errorf("%s: count %d is negative", where, *g.Count))
	}
	if len(g.Tasks) == 0 {
		errs = append(errs, fmt.Errorf("%s has no task", where))
	}
	ports := map[string]bool{}
	if g.Network != nil {
		for _, p := range g.Network.Ports {
			if ports[p.Label] {
				errs = append(errs, fmt.Errorf("%s: port %q is declared twice", where, p.Label))
			}
			ports[p.Label] = true
		}
	}
	for _, s := range g.Services {
		errs = append(errs, validService(where, s, ports))
	}
	for _, t := range g.Tasks {
		errs = append(errs, validTask(where+" task "+t.Name, t, ports))
	}
	return errors.Join(errs...)
}

// validUpdate checks the canary settings as Nomad does: a count of zero
// or more (it may exceed the group's count), auto_promote only with one.
func validUpdate(where string, u *Update) error {
	if u == nil {
		return nil
	}
	var errs []error
	if u.Canary < 0 {
		errs = append(errs, fmt.Errorf("%s: update canary %d is negative", where, u.Canary))
	}
	if u.AutoPromote && u.Canary <= 0 {
		errs = append(errs, fmt.Errorf("%s: update auto_promote needs a canary count greater than 0", where))
	}
	return errors.Join(errs...)
}

// updateWarnings names the update blocks whose auto_revert does nothing:
// Barque reverts only canaries (see deploymentUpdate).
func updateWarnings(job *Job) []string {
	var out []string
	check := func(where string, u *Update) {
		if u != nil && u.AutoRevert && u.Canary <= 0 {
			out = append(out, where+`: update "auto_revert" has no effect without canaries in Barque (it reverts canaries past their progress deadline)`)
		}
	}
	check("job "+job.Name, job.Update)
	for _, g := range job.Groups {
		if g.Update != nil {
			check("group "+g.Name, g.Update)
		}
	}
	return out
}

func validTask(where string, t *Task, ports map[string]bool) error {
	errs := []error{validDriver(where, t.Driver), validConstraints(where, t.Constraints),
		validDuration(where+": kill_timeout", t.KillTimeout)}
	if t.Lifecycle != nil {
		errs = append(errs, oneOf(where+": lifecycle hook", t.Lifecycle.Hook, hooks))
	}
	if t.Config != nil {
		for _, p := range t.Config.Ports {
			if !ports[p] {
				errs = append(errs, fmt.Errorf("%s: config.ports names %q, which the group's network block does not declare", where, p))
			}
		}
	}
	for _, s := range t.Services {
		errs = append(errs, validService(where, s, ports))
	}
	return errors.Join(errs...)
}

func validService(where string, s *Service, ports map[string]bool) error {
	var errs []error
	if s.Port != "" && !ports[s.Port] {
		errs = append(errs, fmt.Errorf("%s: service %q port %q is not a port of the group's network block", where, s.Name, s.Port))
	}
	for _, c := range s.Checks {
		errs = append(errs, oneOf(where+": check type", c.Type, []string{"http", "tcp", "script"}),
			validDuration(where+": check interval", c.Interval), validDuration(where+": check timeout", c.Timeout))
		if c.Port != "" && !ports[c.Port] {
			errs = append(errs, fmt.Errorf("%s: check port %q is not a port of the group's network block", where, c.Port))
		}
	}
	return errors.Join(errs...)
}

func validConstraints(where string, cs []Constraint) error {
	var errs []error
	for _, c := range cs {
		if c.Operator != "" {
			errs = append(errs, oneOf(where+": constraint operator", c.Operator, operators))
		}
	}
	return errors.Join(errs...)
}

func validDriver(where, driver string) error {
	if oneOf("", driver, drivers) != nil {
		return fmt.Errorf("%s: driver %q (Barque runs %s): %w", where, driver, strings.Join(drivers, ", "), ErrUnsupported)
	}
	return nil
}

func oneOf(what, v string, valid []string) error {
	for _, s := range valid {
		if v == s {
			return nil
		}
	}
	return fmt.Errorf("%s %q is not one of %s", what, v, strings.Join(valid, ", "))
}

func validDuration(what, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.ParseDuration(s); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
