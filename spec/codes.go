package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// Protocol constants fixed by the header layout and the specification.
const (
	Version         = 1
	HeaderSize      = 8
	MaxArgs         = 15    // 4-bit Args field
	MaxLen          = 16383 // 14-bit Len field
	MaxID           = 1023  // 10-bit ID field
	NullID          = 0
	EmptyInfo       = 0xFF
	DefaultReserved = 0xFFFF
	MaxUsernameLen  = 32
	KeyBits         = 4096
)

// Action is the 8-bit action code of a header.
type Action uint8

// Action codes. NullAction is never valid on the wire.
const (
	NullAction Action = 0x00
	OK         Action = 0x01
	ERR        Action = 0x02
	KEEP       Action = 0x03
	REG        Action = 0x04
	DEREG      Action = 0x05
	LOGIN      Action = 0x06
	LOGOUT     Action = 0x07
	VERIF      Action = 0x08
	REQ        Action = 0x09
	USRS       Action = 0x0A
	MSG        Action = 0x0B
	RECIV      Action = 0x0C
	SHTDWN     Action = 0x0D
	ADMIN      Action = 0x0E
	SUB        Action = 0x0F
	UNSUB      Action = 0x10
	HOOK       Action = 0x11
	HELLO      Action = 0x12
)

var actionNames = [...]string{
	"NULL", "OK", "ERR", "KEEP", "REG", "DEREG", "LOGIN", "LOGOUT", "VERIF",
	"REQ", "USRS", "MSG", "RECIV", "SHTDWN", "ADMIN", "SUB", "UNSUB", "HOOK", "HELLO",
}

// Bit sets over action codes, indexed by code.
const (
	serverBoundSet = 1<<KEEP | 1<<REG | 1<<DEREG | 1<<LOGIN | 1<<LOGOUT | 1<<VERIF |
		1<<REQ | 1<<USRS | 1<<MSG | 1<<RECIV | 1<<ADMIN | 1<<SUB | 1<<UNSUB
	clientBoundSet = 1<<OK | 1<<ERR | 1<<VERIF | 1<<REQ | 1<<USRS | 1<<RECIV |
		1<<SHTDWN | 1<<HOOK | 1<<HELLO
)

// String returns the protocol name ("MSG"), or "Action(0xNN)" for codes
// outside the table.
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(0x%02X)", uint8(a))
}

// Valid reports whether a is one of OK..HELLO.
func (a Action) Valid() bool { return a >= OK && a <= HELLO }

// ServerBound reports whether a client may send a.
func (a Action) ServerBound() bool { return a <= HELLO && serverBoundSet&(1<<a) != 0 }

// ClientBound reports whether a server may send a.
func (a Action) ClientBound() bool { return a <= HELLO && clientBoundSet&(1<<a) != 0 }

// Allowed reports whether a may travel in direction dir.
func (a Action) Allowed(dir Direction) bool {
	if dir == ClientBound {
		return a.ClientBound()
	}
	return a.ServerBound()
}

// ParseAction accepts a protocol name (case-insensitive) or a number
// ("11", "0x0B"), so scenario files can name forged codes too.
func ParseAction(s string) (Action, error) {
	v, err := parseCode(s, "", actionNames[:])
	return Action(v), err
}

// ErrCode is the Info value of an ERR packet.
type ErrCode uint8

// Error codes of ERR.
const (
	CodeUndefined ErrCode = 0x00
	CodeInvalid   ErrCode = 0x01
	CodeNotFound  ErrCode = 0x02
	CodeVersion   ErrCode = 0x03
	CodeHandshake ErrCode = 0x04
	CodeArgs      ErrCode = 0x05
	CodeMaxSize   ErrCode = 0x06
	CodeHeader    ErrCode = 0x07
	CodeNoSess    ErrCode = 0x08
	CodeLogin     ErrCode = 0x09
	CodeConn      ErrCode = 0x0A
	CodeEmpty     ErrCode = 0x0B
	CodePacket    ErrCode = 0x0C
	CodePerms     ErrCode = 0x0D
	CodeServer    ErrCode = 0x0E
	CodeIdle      ErrCode = 0x0F
	CodeExists    ErrCode = 0x10
	CodeDereg     ErrCode = 0x11
	CodeDupSess   ErrCode = 0x12
	CodeNoSecure  ErrCode = 0x13
	CodeCorrupted ErrCode = 0x14
	CodeOption    ErrCode = 0x15
	CodeDiscn     ErrCode = 0x16
)

var errCodeNames = [...]string{
	"ERR_UNDEFINED", "ERR_INVALID", "ERR_NOTFOUND", "ERR_VERSION", "ERR_HANDSHAKE",
	"ERR_ARGS", "ERR_MAXSIZE", "ERR_HEADER", "ERR_NOSESS", "ERR_LOGIN", "ERR_CONN",
	"ERR_EMPTY", "ERR_PACKET", "ERR_PERMS", "ERR_SERVER", "ERR_IDLE", "ERR_EXISTS",
	"ERR_DEREG", "ERR_DUPSESS", "ERR_NOSECURE", "ERR_CORRUPTED", "ERR_OPTION", "ERR_DISCN",
}

// String returns the protocol name ("ERR_ARGS").
func (c ErrCode) String() string { return codeName(uint8(c), errCodeNames[:], "ErrCode") }

// Valid reports whether c is a defined error code.
func (c ErrCode) Valid() bool { return int(c) < len(errCodeNames) }

// ParseErrCode accepts "ERR_ARGS", "args" or a number.
func ParseErrCode(s string) (ErrCode, error) {
	v, err := parseCode(s, "ERR_", errCodeNames[:])
	return ErrCode(v), err
}

// UsrsKind is the Info value of a server-bound USRS.
type UsrsKind uint8

// USRS list kinds.
const (
	UsrsAll         UsrsKind = 0
	UsrsOnline      UsrsKind = 1
	UsrsAllPerms    UsrsKind = 2
	UsrsOnlinePerms UsrsKind = 3
)

var usrsNames = [...]string{"USRS_ALL", "USRS_ONLINE", "USRS_ALLPERMS", "USRS_ONLINEPERMS"}

// String returns the protocol name ("USRS_ONLINE").
func (k UsrsKind) String() string { return codeName(uint8(k), usrsNames[:], "UsrsKind") }

// Valid reports whether k is a defined list kind.
func (k UsrsKind) Valid() bool { return int(k) < len(usrsNames) }

// WithPerms reports whether the list carries permission levels.
func (k UsrsKind) WithPerms() bool { return k == UsrsAllPerms || k == UsrsOnlinePerms }

// ParseUsrsKind accepts "USRS_ONLINE", "online" or a number.
func ParseUsrsKind(s string) (UsrsKind, error) {
	v, err := parseCode(s, "USRS_", usrsNames[:])
	return UsrsKind(v), err
}

// AdminOp is the Info value of ADMIN.
type AdminOp uint8

// Administrative operations.
const (
	AdminShtdwn   AdminOp = 0
	AdminDereg    AdminOp = 1
	AdminBrdcast  AdminOp = 2
	AdminChgPerms AdminOp = 3
	AdminKick     AdminOp = 4
	AdminMotd     AdminOp = 5
)

var adminNames = [...]string{"ADMIN_SHTDWN", "ADMIN_DEREG", "ADMIN_BRDCAST", "ADMIN_CHGPERMS", "ADMIN_KICK", "ADMIN_MOTD"}

// String returns the protocol name ("ADMIN_KICK").
func (o AdminOp) String() string { return codeName(uint8(o), adminNames[:], "AdminOp") }

// Valid reports whether o is a defined operation.
func (o AdminOp) Valid() bool { return int(o) < len(adminNames) }

// ParseAdminOp accepts "ADMIN_KICK", "kick" or a number.
func ParseAdminOp(s string) (AdminOp, error) {
	v, err := parseCode(s, "ADMIN_", adminNames[:])
	return AdminOp(v), err
}

// Hook is the Info value of SUB, UNSUB and HOOK.
type Hook uint8

// Hooks. HookAll is only meaningful in SUB and UNSUB.
const (
	HookAll       Hook = 0
	HookNewLogin  Hook = 1
	HookNewLogout Hook = 2
	HookDupSess   Hook = 3
	HookPermsChg  Hook = 4
)

var hookNames = [...]string{"HOOK_ALL", "HOOK_NEWLOGIN", "HOOK_NEWLOGOUT", "HOOK_DUPSESS", "HOOK_PERMSCHG"}

// String returns the protocol name ("HOOK_DUPSESS").
func (h Hook) String() string { return codeName(uint8(h), hookNames[:], "Hook") }

// Valid reports whether h is a defined hook (HookAll included).
func (h Hook) Valid() bool { return int(h) < len(hookNames) }

// ParseHook accepts "HOOK_DUPSESS", "dupsess" or a number.
func ParseHook(s string) (Hook, error) {
	v, err := parseCode(s, "HOOK_", hookNames[:])
	return Hook(v), err
}

func codeName(v uint8, names []string, typ string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(0x%02X)", typ, v)
}

// parseCode resolves a name (with or without prefix, any case) or a
// decimal/0x-hex number in 0..255.
func parseCode(s, prefix string, names []string) (uint8, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range names {
		if t == n || (prefix != "" && prefix+t == n) {
			return uint8(i), nil
		}
	}
	if v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 8); err == nil {
		return uint8(v), nil
	}
	return 0, fmt.Errorf("spec: unknown %scode %q", strings.ToLower(prefix), s)
}
