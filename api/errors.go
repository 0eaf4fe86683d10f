package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Reasons, as Kubernetes names them in Status.reason.
const (
	ReasonBadRequest       = "BadRequest"
	ReasonNotFound         = "NotFound"
	ReasonAlreadyExists    = "AlreadyExists"
	ReasonConflict         = "Conflict"
	ReasonGone             = "Expired"
	ReasonInvalid          = "Invalid"
	ReasonTooLarge         = "RequestEntityTooLarge"
	ReasonServiceUnavail   = "ServiceUnavailable"
	ReasonTimeout          = "Timeout"
	ReasonInternal         = "InternalError"
	ReasonMethodNotAllowed = "MethodNotAllowed"
	ReasonUnauthorized     = "Unauthorized"
)

// StatusCause names one field and what is wrong with it.
type StatusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// StatusDetails says which object an error is about.
type StatusDetails struct {
	Name              string        `json:"name,omitempty"`
	Group             string        `json:"group,omitempty"`
	Kind              string        `json:"kind,omitempty"`
	Causes            []StatusCause `json:"causes,omitempty"`
	RetryAfterSeconds int           `json:"retryAfterSeconds,omitempty"`
}

// Status is the error body of every failed request, in Kubernetes' shape, so
// that Kubernetes clients understand Barque's errors.
type Status struct {
	TypeMeta `json:",inline"`
	Metadata StatusMeta     `json:"metadata"`
	Status   string         `json:"status"`
	Message  string         `json:"message"`
	Reason   string         `json:"reason"`
	Details  *StatusDetails `json:"details,omitempty"`
	Code     int            `json:"code"`
}

// StatusMeta is a Status's metadata. Continue is set on the 410 of a list
// continued past the retained history: the token that goes on from the
// current state instead (an inconsistent list), as Kubernetes offers it.
type StatusMeta struct {
	Continue string `json:"continue,omitempty"`
}

// StatusError is an error carrying a Status. Every layer returns these (or
// wraps them), and the HTTP layer writes them as they are.
type StatusError struct{ Status Status }

func (e *StatusError) Error() string { return e.Status.Message }

// Code is the HTTP status code.
func (e *StatusError) Code() int { return e.Status.Code }

// NewStatusError builds an error with the given code, reason and message.
func NewStatusError(code int, reason, msg string) *StatusError {
	return &StatusError{Status: Status{
		TypeMeta: TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   "Failure", Message: msg, Reason: reason, Code: code,
	}}
}

// Sentinel errors, matched with errors.Is against a StatusError's reason.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrConflict      = errors.New("conflict")
	ErrGone          = errors.New("resource version too old")
	ErrInvalid       = errors.New("invalid")
	ErrNotLeader     = errors.New("not the leader")
)

// Is lets errors.Is(err, api.ErrNotFound) match a StatusError by reason.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status.Reason == ReasonNotFound
	case ErrAlreadyExists:
		return e.Status.Reason == ReasonAlreadyExists
	case ErrConflict:
		return e.Status.Reason == ReasonConflict
	case ErrGone:
		return e.Status.Reason == ReasonGone
	case ErrInvalid:
		return e.Status.Reason == ReasonInvalid || e.Status.Reason == ReasonBadRequest
	}
	return false
}

func withDetails(e *StatusError, kind, name string) *StatusError {
	e.Status.Details = &StatusDetails{Kind: kind, Name: name}
	return e
}

// NotFound: the object does not exist.
func NotFound(resource, name string) *StatusError {
	return withDetails(NewStatusError(http.StatusNotFound, ReasonNotFound,
		fmt.Sprintf("%s %q not found", resource, name)), resource, name)
}

// AlreadyExists: a create named an object that exists.
func AlreadyExists(resource, name string) *StatusError {
	return withDetails(NewStatusError(http.StatusConflict, ReasonAlreadyExists,
		fmt.Sprintf("%s %q already exists", resource, name)), resource, name)
}

// Conflict: a compare-and-swap failed.
func Conflict(resource, name, why string) *StatusError {
	return withDetails(NewStatusError(http.StatusConflict, ReasonConflict,
		fmt.Sprintf("Operation cannot be fulfilled on %s %q: %s", resource, name, why)), resource, name)
}

// Gone: a watch asked for history that is no longer kept.
func Gone(msg string) *StatusError {
	return NewStatusError(http.StatusGone, ReasonGone, msg)
}

// BadRequest: the request itself is malformed.
func BadRequest(msg string) *StatusError {
	return NewStatusError(http.StatusBadRequest, ReasonBadRequest, msg)
}

// TooLarge: the object is over the size limit.
func TooLarge(msg string) *StatusError {
	return NewStatusError(http.StatusRequestEntityTooLarge, ReasonTooLarge, msg)
}

// Unavailable: no leader, or this replica cannot serve the request now.
func Unavailable(msg string) *StatusError {
	e := NewStatusError(http.StatusServiceUnavailable, ReasonServiceUnavail, msg)
	e.Status.Details = &StatusDetails{RetryAfterSeconds: 1}
	return e
}

// Timeout: the outcome of a write is unknown (leadership was lost while it
// was in flight); it may or may not have been committed.
func Timeout(msg string) *StatusError {
	return NewStatusError(http.StatusGatewayTimeout, ReasonTimeout, msg)
}

// Internal: a bug or an unexpected failure.
func Internal(err error) *StatusError {
	return NewStatusError(http.StatusInternalServerError, ReasonInternal, err.Error())
}

// FieldError names one field and its problem.
type FieldError struct {
	Field  string
	Detail string
}

func (f FieldError) Error() string { return f.Field + ": " + f.Detail }

// FieldErrors collects validation problems.
type FieldErrors []FieldError

// Add appends a problem with field.
func (fe *FieldErrors) Add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// Invalid turns field errors into a 422 Status naming each field, or nil.
func Invalid(kind, name string, errs FieldErrors) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	causes := make([]StatusCause, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
		causes[i] = StatusCause{Type: causeType(e.Detail), Message: e.Detail, Field: e.Field}
	}
	e := NewStatusError(http.StatusUnprocessableEntity, ReasonInvalid,
		fmt.Sprintf("%s %q is invalid: %s", kind, name, strings.Join(msgs, "; ")))
	e.Status.Details = &StatusDetails{Kind: kind, Name: name, Causes: causes}
	return e
}

// causeType names a cause as Kubernetes does, from the wording of its
// detail ("Required value…" is FieldValueRequired).
func causeType(detail string) string {
	for _, c := range []struct{ prefix, typ string }{
		{"Required value", "FieldValueRequired"},
		{"Unsupported value", "FieldValueNotSupported"},
		{"Duplicate value", "FieldValueDuplicate"},
		{"Forbidden", "FieldValueForbidden"},
		{"Not found", "FieldValueNotFound"},
		{"Too long", "FieldValueTooLong"},
	} {
		if strings.HasPrefix(detail, c.prefix) {
			return c.typ
		}
	}
	return "FieldValueInvalid"
}

// AsStatus converts any error to a StatusError (500 for unknown errors).
func AsStatus(err error) *StatusError {
	var se *StatusError
	if errors.As(err, &se) {
		return se
	}
	return Internal(err)
}

// Forbidden: the request is understood and refused (e.g. creating in a
// namespace that is being deleted).
func Forbidden(msg string) *StatusError {
	return NewStatusError(http.StatusForbidden, "Forbidden", msg)
}
