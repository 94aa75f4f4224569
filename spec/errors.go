package spec

import (
	"errors"
	"fmt"
)

// ProtocolError is a violation of the protocol. Code is the ERR code a
// server answers with; Err is one of the sentinels below, so callers can
// test with errors.Is; Detail is free text for logs and transcripts.
type ProtocolError struct {
	Code   ErrCode
	Err    error
	Detail string
}

func (e *ProtocolError) Error() string {
	msg := "gochat: " + e.Code.String()
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// Sentinels carried in ProtocolError.Err.
var (
	// Header errors (ERR_VERSION / ERR_HEADER).
	ErrBadVersion     = errors.New("unsupported protocol version")
	ErrNullAction     = errors.New("null action")
	ErrUnknownAction  = errors.New("unknown action")
	ErrWrongDirection = errors.New("action not valid in this direction")
	ErrNullID         = errors.New("null ID not allowed")
	ErrIDNotNull      = errors.New("ID must be null")
	ErrInfoRequired   = errors.New("info required")
	ErrInfoForbidden  = errors.New("info must be empty")
	ErrBadInfo        = errors.New("info value not valid for action")
	ErrArgCount       = errors.New("argument count out of range")
	ErrLenMismatch    = errors.New("length inconsistent with argument count")
	ErrBadSeparator   = errors.New("header separator is not CRLF")

	// Payload errors (ERR_MAXSIZE / ERR_ARGS).
	ErrArgTooLong = errors.New("argument too long")
	ErrSplit      = errors.New("payload does not split into the declared arguments")

	// Encoding errors (ERR_PACKET): the packet cannot be represented.
	ErrTooManyArgs    = errors.New("too many arguments")
	ErrIDRange        = errors.New("ID out of range")
	ErrPayloadTooLong = errors.New("payload too long")

	// Argument content errors (ERR_ARGS).
	ErrBadTimestamp = errors.New("malformed timestamp")
	ErrBadKey       = errors.New("malformed public key")
	ErrKeySize      = errors.New("public key size is not 4096 bits")
	ErrBadUsername  = errors.New("malformed username")
	ErrBadUserList  = errors.New("malformed user list")
)

func perr(code ErrCode, sentinel error, format string, args ...any) *ProtocolError {
	e := &ProtocolError{Code: code, Err: sentinel}
	if format != "" {
		e.Detail = fmt.Sprintf(format, args...)
	}
	return e
}

// CodeOf extracts the ERR code from an error chain containing a
// *ProtocolError.
func CodeOf(err error) (ErrCode, bool) {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Code, true
	}
	return 0, false
}
