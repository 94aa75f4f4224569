package core

import (
	"errors"
	"fmt"

	"github.com/gochatproto/gochat/spec"
)

var (
	// ErrClosed is returned by operations on a client whose connection is
	// closed (locally or by the server). The error returned may wrap the
	// cause as well; test with errors.Is.
	ErrClosed = errors.New("gochat: connection closed")
	// ErrTimeout means no reply arrived within Config.RequestTimeout. The
	// request ID stays reserved until a late reply or the connection's end,
	// so a late reply can never be mistaken for the answer to a later request.
	ErrTimeout = errors.New("gochat: request timed out")
	// ErrBusy means all 1023 request IDs are waiting for replies.
	ErrBusy = errors.New("gochat: too many requests in flight")
	// ErrKeyChanged means the server returned a public key for a user that
	// differs from the key pinned earlier (trust on first use). The caller
	// must accept the new key (in the client's store) before it is used.
	ErrKeyChanged = errors.New("gochat: public key of user changed")
	// ErrNotSecure is returned, before anything is sent, for operations
	// that would expose a secret over plain TCP: a reusable token or the
	// clear text of an administrative broadcast.
	ErrNotSecure = errors.New("gochat: operation requires a TLS connection")
	// ErrNotLoggedIn is returned by operations that need the logged-in
	// user's private key (decryption) when there is none.
	ErrNotLoggedIn = errors.New("gochat: not logged in")
	// ErrTooLong means a message does not fit one RSA-OAEP block of the
	// recipient's key (spec.MaxPlaintext).
	ErrTooLong = errors.New("gochat: message too long")
	// ErrUnexpectedReply means the server answered a request with an
	// action that is not a legal reply to it, or with malformed arguments.
	ErrUnexpectedReply = errors.New("gochat: unexpected reply")
)

// ServerError is an ERR packet from the server: the reply to a request
// (Action and Info are the request's) or a null-ID notice (Action is
// spec.NullAction).
type ServerError struct {
	Code   spec.ErrCode
	Action spec.Action
	// Info is the request's Info byte: the ADMIN operation, the hook of
	// SUB and UNSUB, the USRS list kind.
	Info uint8
}

func (e *ServerError) Error() string {
	if e.Action == spec.NullAction {
		return fmt.Sprintf("server error %s", e.Code)
	}
	return fmt.Sprintf("server refused %s: %s", e.Action, e.Code)
}

// IsCode reports whether err is a *ServerError with the given code.
func IsCode(err error, code spec.ErrCode) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Code == code
}

// KeyChangedError carries the details of ErrKeyChanged.
type KeyChangedError struct {
	User string
	// Fingerprint is spec.Fingerprint of the new (unaccepted) key.
	Fingerprint string
}

func (e *KeyChangedError) Error() string {
	return fmt.Sprintf("gochat: public key of %q changed (new fingerprint %s); accept it before use", e.User, e.Fingerprint)
}

// Unwrap makes errors.Is(err, ErrKeyChanged) true.
func (e *KeyChangedError) Unwrap() error { return ErrKeyChanged }

func unexpected(req spec.Action, p *spec.Packet, why string) error {
	return fmt.Errorf("%w to %s: %s (%s)", ErrUnexpectedReply, req, p.Action, why)
}
