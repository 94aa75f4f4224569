package app

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/spec"
)

// dialectHint ends the sentences for refusals a dialect mismatch causes.
const dialectHint = " (if it runs the original gochat, connect with -dialect gochat1)"

// errWords says what each ERR code means to a user when no command gives
// it a sharper meaning.
var errWords = [...]string{
	spec.CodeUndefined: "the server reported an unspecified error",
	spec.CodeInvalid:   "the server says this is not possible right now",
	spec.CodeNotFound:  "not found",
	spec.CodeVersion:   "the server speaks another protocol version",
	spec.CodeHandshake: "the server did not accept the login proof",
	spec.CodeArgs:      "the server refused the arguments" + dialectHint,
	spec.CodeMaxSize:   "too long for the server",
	spec.CodeHeader:    "the server could not read the request",
	spec.CodeNoSess:    "not logged in",
	spec.CodeLogin:     "the server cannot log you in now",
	spec.CodeConn:      "the server had a connection problem",
	spec.CodeEmpty:     "nothing there",
	spec.CodePacket:    "the server could not build its reply",
	spec.CodePerms:     "you are not allowed to do that",
	spec.CodeServer:    "the server failed; try again later",
	spec.CodeIdle:      "disconnected for being idle too long",
	spec.CodeExists:    "already exists",
	spec.CodeDereg:     "that account was deleted",
	spec.CodeDupSess:   "already logged in elsewhere",
	spec.CodeNoSecure:  "this needs a TLS connection (connect with -tls)",
	spec.CodeCorrupted: "the server's data is corrupted",
	spec.CodeOption:    "the server does not support this option",
	spec.CodeDiscn:     "the server closed the connection",
}

// requestWords gives a code its meaning for one request (docs/spec.md
// lists which codes each request can get).
var requestWords = map[spec.Action]map[spec.ErrCode]string{
	spec.REG: {
		spec.CodeExists:  "that name (or this key) is already registered",
		spec.CodeDereg:   "this name was deleted and cannot be registered again",
		spec.CodeInvalid: "log out before registering another account",
		spec.CodeArgs:    "the server refused the name or the key" + dialectHint,
	},
	spec.LOGIN: {
		spec.CodeNotFound:  "no such user on this server",
		spec.CodeDereg:     "this account was deleted",
		spec.CodeDupSess:   "already logged in elsewhere",
		spec.CodeInvalid:   "already logged in on this connection",
		spec.CodeHandshake: "the server refused the saved login token",
		spec.CodeNoSecure:  "a login token needs a TLS connection",
	},
	spec.VERIF: {
		spec.CodeHandshake: "the server did not accept the login proof (is this the key the account was registered with?)",
		spec.CodeDupSess:   "already logged in elsewhere",
		spec.CodeInvalid:   "the login took too long; try again",
	},
	spec.LOGOUT: {spec.CodeNoSess: "not logged in"},
	spec.DEREG:  {spec.CodeNoSess: "not logged in"},
	spec.REQ: {
		spec.CodeNotFound: "no such user",
		spec.CodeDereg:    "that account was deleted",
	},
	spec.MSG: {
		spec.CodeNotFound: "no such user",
		spec.CodeDereg:    "that account was deleted",
		spec.CodeInvalid:  "you cannot message yourself",
		spec.CodeArgs:     "the server refused the message" + dialectHint,
	},
	spec.RECIV: {spec.CodeEmpty: "no messages were waiting"},
	spec.USRS:  {spec.CodePacket: "the user list is too long for one reply"},
	spec.SUB:   {spec.CodeExists: "already subscribed to this hook"},
	spec.UNSUB: {spec.CodeNotFound: "not subscribed to this hook"},
}

// adminWords gives a code its meaning for one administrative operation.
var adminWords = map[spec.AdminOp]map[spec.ErrCode]string{
	spec.AdminShtdwn: {
		spec.CodePerms: "you need admin rights for /admin shutdown",
		spec.CodeArgs:  "the shutdown time must be in the future",
	},
	spec.AdminDereg: {
		spec.CodePerms:    "you need admin rights for /admin dereg (and a higher level than the user)",
		spec.CodeNotFound: "no such user",
	},
	spec.AdminBrdcast: {
		spec.CodePerms:    "you need admin rights for /admin broadcast",
		spec.CodeArgs:     "the broadcast is too long",
		spec.CodeNoSecure: "a broadcast needs a TLS connection",
	},
	spec.AdminChgPerms: {
		spec.CodePerms:    "you need owner rights for /admin chgperms (and a higher level than the user)",
		spec.CodeNotFound: "no such user",
		spec.CodeInvalid:  "that user already has this level",
	},
	spec.AdminKick: {
		spec.CodePerms:    "you need admin rights for /admin kick (and a higher level than the user)",
		spec.CodeNotFound: "that user is not online",
	},
	spec.AdminMotd: {spec.CodePerms: "you need owner rights for /admin motd"},
}

// ServerErrorText words a server's ERR for a user, by the request it
// answered: one table for the shell and the TUI.
func ServerErrorText(se *core.ServerError) string {
	if se.Action == spec.ADMIN {
		if w, ok := adminWords[spec.AdminOp(se.Info)][se.Code]; ok {
			return w
		}
		if se.Code == spec.CodeOption {
			return "the server does not know this admin operation"
		}
	}
	if w, ok := requestWords[se.Action][se.Code]; ok {
		return w
	}
	if se.Code.Valid() {
		return errWords[se.Code]
	}
	return fmt.Sprintf("the server sent an unknown error code 0x%02X", uint8(se.Code))
}

// Explain words an error from a session for a user. Server errors come
// from ServerErrorText; the end of a connection says why it ended.
func Explain(err error) string {
	var se *core.ServerError
	var pe *spec.ProtocolError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return ServerErrorText(se)
	case errors.Is(err, ErrWrongPassword):
		return "wrong password"
	case errors.Is(err, core.ErrTimeout):
		return "the server did not answer in time"
	case errors.Is(err, core.ErrNotSecure):
		return "this needs a TLS connection (connect with -tls)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection"
	case errors.As(err, &pe):
		return "the server sent something this client cannot read (" + pe.Error() + ")"
	case errors.Is(err, core.ErrClosed):
		return "not connected"
	case errors.As(err, &ne) && ne.Timeout():
		return "the connection timed out"
	}
	return err.Error()
}

// DisconnectText words why a connection ended. A null-ID ERR_DISCN is
// what the server sends both to a kicked user and to everyone when it
// shuts down (ADMIN-11, SHTDWN-5), so a shutdown announced earlier
// (shutdownAt, zero if none) tells the two apart.
func DisconnectText(err error, shutdownAt time.Time, loc *time.Location) string {
	switch {
	case err == nil:
		return "disconnected"
	case core.IsCode(err, spec.CodeDiscn) && !shutdownAt.IsZero():
		return "the server is shutting down (announced for " + shutdownAt.In(loc).Format("15:04") + ")"
	case core.IsCode(err, spec.CodeDiscn):
		return "the server closed the connection (kicked by an admin, or the server stopped)"
	case core.IsCode(err, spec.CodeIdle):
		return "disconnected for being idle too long"
	}
	return Explain(err)
}
