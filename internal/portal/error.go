// Package portal holds Madoguchi's domain: its types, roles, error codes and
// rules. It imports nothing outside the standard library, so every other layer
// can depend on it and it can be tested without I/O.
package portal

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the server layer; only
// EINTERNAL is logged as an error.
const (
	ECONFLICT        = "conflict"
	EINTERNAL        = "internal"
	EINVALID         = "invalid"
	ENOTFOUND        = "not_found"
	EFORBIDDEN       = "forbidden"
	EUNAUTHENTICATED = "unauthenticated"
	ETOOMANY         = "too_many"
	EGONE            = "gone"
)

// Error is an error a user may be told about. Message is a translation key in
// locales/*.toml; Data fills its template (for example {{.Until}}). Field, when
// set, names the form field the message belongs beside.
type Error struct {
	Code    string
	Message string
	Field   string
	Data    map[string]any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("portal: %s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("portal: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and message key.
func Errorf(code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// FieldError returns an EINVALID error that belongs beside a form field.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Field: field, Message: message}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the message key of the first *Error in err's chain, or
// the generic internal-error key.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "error.internal"
}

// FieldErrors collects the messages of a form that failed validation, keyed by
// field name. The zero value is ready to use.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message: the first
// problem found is the one the user needs to fix first.
func (fe *FieldErrors) Add(field, msg string) {
	if *fe == nil {
		*fe = FieldErrors{}
	}
	if _, ok := (*fe)[field]; !ok {
		(*fe)[field] = msg
	}
}

// Err returns nil when there are no messages and a *ValidationError otherwise.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return &ValidationError{Fields: fe}
}

// ValidationError reports that a form had invalid fields.
type ValidationError struct {
	Fields FieldErrors
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("portal: invalid fields: %v", map[string]string(e.Fields))
}

// AsFieldErrors returns the field messages carried by err: those of a
// *ValidationError, or the single field of an *Error that names one.
func AsFieldErrors(err error) (FieldErrors, bool) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Fields, true
	}
	var e *Error
	if errors.As(err, &e) && e.Field != "" {
		return FieldErrors{e.Field: e.Message}, true
	}
	return nil, false
}
