package jobspec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// ErrUnsupported marks a valid Nomad feature that Barque does not implement.
var ErrUnsupported = errors.New("not supported by Barque")

// Error is a job file's problems, each with its file:line:column.
type Error struct {
	Diags hcl.Diagnostics
}

func (e *Error) Error() string {
	var lines []string
	for _, d := range e.Diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		lines = append(lines, msg)
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is find ErrUnsupported in a diagnostic about an
// unsupported feature.
func (e *Error) Unwrap() error {
	for _, d := range e.Diags {
		if d.Summary == unsupportedSummary {
			return ErrUnsupported
		}
	}
	return nil
}

const unsupportedSummary = "Not supported by Barque"

func errDiags(diags hcl.Diagnostics) error {
	if !diags.HasErrors() {
		return nil
	}
	return &Error{Diags: diags}
}

func diag(summary, detail string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}

func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrUnsupported)
}
