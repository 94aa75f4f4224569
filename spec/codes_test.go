package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestActionNamesAndDirections(t *testing.T) {
	server := "KEEP REG DEREG LOGIN LOGOUT VERIF REQ USRS MSG RECIV ADMIN SUB UNSUB"
	client := "OK ERR VERIF REQ USRS RECIV SHTDWN HOOK HELLO"
	tests := []struct {
		a    Action
		name string
		code uint8
	}{
		{OK, "OK", 1}, {ERR, "ERR", 2}, {KEEP, "KEEP", 3}, {REG, "REG", 4},
		{DEREG, "DEREG", 5}, {LOGIN, "LOGIN", 6}, {LOGOUT, "LOGOUT", 7},
		{VERIF, "VERIF", 8}, {REQ, "REQ", 9}, {USRS, "USRS", 0x0A}, {MSG, "MSG", 0x0B},
		{RECIV, "RECIV", 0x0C}, {SHTDWN, "SHTDWN", 0x0D}, {ADMIN, "ADMIN", 0x0E},
		{SUB, "SUB", 0x0F}, {UNSUB, "UNSUB", 0x10}, {HOOK, "HOOK", 0x11}, {HELLO, "HELLO", 0x12},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.code, uint8(tt.a))
		assert.Equal(t, tt.name, tt.a.String())
		assert.True(t, tt.a.Valid())
		got, err := ParseAction(tt.name)
		require.NoError(t, err)
		assert.Equal(t, tt.a, got)
		assert.Equal(t, containsWord(server, tt.name), tt.a.ServerBound(), tt.name)
		assert.Equal(t, containsWord(client, tt.name), tt.a.ClientBound(), tt.name)
	}
	for _, a := range []Action{NullAction, 0x13, 0xFF} {
		assert.False(t, a.Valid())
		assert.False(t, a.ServerBound())
		assert.False(t, a.ClientBound())
	}
	assert.Equal(t, "Action(0x13)", Action(0x13).String())
	a, err := ParseAction("0x13")
	require.NoError(t, err)
	assert.Equal(t, Action(0x13), a)
	a, err = ParseAction("msg")
	require.NoError(t, err)
	assert.Equal(t, MSG, a)
	_, err = ParseAction("NOPE")
	assert.Error(t, err)
	_, err = ParseAction("256")
	assert.Error(t, err)
}

func containsWord(list, w string) bool {
	for i := 0; i+len(w) <= len(list); i++ {
		if list[i:i+len(w)] == w && (i == 0 || list[i-1] == ' ') && (i+len(w) == len(list) || list[i+len(w)] == ' ') {
			return true
		}
	}
	return false
}

func TestCodeNames(t *testing.T) {
	errNames := []string{"ERR_UNDEFINED", "ERR_INVALID", "ERR_NOTFOUND", "ERR_VERSION", "ERR_HANDSHAKE",
		"ERR_ARGS", "ERR_MAXSIZE", "ERR_HEADER", "ERR_NOSESS", "ERR_LOGIN", "ERR_CONN", "ERR_EMPTY",
		"ERR_PACKET", "ERR_PERMS", "ERR_SERVER", "ERR_IDLE", "ERR_EXISTS", "ERR_DEREG", "ERR_DUPSESS",
		"ERR_NOSECURE", "ERR_CORRUPTED", "ERR_OPTION", "ERR_DISCN"}
	consts := []ErrCode{CodeUndefined, CodeInvalid, CodeNotFound, CodeVersion, CodeHandshake, CodeArgs,
		CodeMaxSize, CodeHeader, CodeNoSess, CodeLogin, CodeConn, CodeEmpty, CodePacket, CodePerms,
		CodeServer, CodeIdle, CodeExists, CodeDereg, CodeDupSess, CodeNoSecure, CodeCorrupted, CodeOption, CodeDiscn}
	require.Len(t, consts, len(errNames))
	for i, n := range errNames {
		c := consts[i]
		assert.Equal(t, uint8(i), uint8(c))
		assert.Equal(t, n, c.String())
		assert.True(t, c.Valid())
		got, err := ParseErrCode(n)
		require.NoError(t, err)
		assert.Equal(t, c, got)
	}
	assert.False(t, ErrCode(0x17).Valid())
	assert.Equal(t, "ErrCode(0x17)", ErrCode(0x17).String())
	c, err := ParseErrCode("args")
	require.NoError(t, err)
	assert.Equal(t, CodeArgs, c)

	usrs := map[UsrsKind]string{UsrsAll: "USRS_ALL", UsrsOnline: "USRS_ONLINE", UsrsAllPerms: "USRS_ALLPERMS", UsrsOnlinePerms: "USRS_ONLINEPERMS"}
	for k, n := range usrs {
		assert.Equal(t, n, k.String())
		got, err := ParseUsrsKind(n)
		require.NoError(t, err)
		assert.Equal(t, k, got)
	}
	assert.True(t, UsrsOnlinePerms.WithPerms())
	assert.False(t, UsrsOnline.WithPerms())
	assert.False(t, UsrsKind(4).Valid())

	admin := map[AdminOp]string{AdminShtdwn: "ADMIN_SHTDWN", AdminDereg: "ADMIN_DEREG", AdminBrdcast: "ADMIN_BRDCAST",
		AdminChgPerms: "ADMIN_CHGPERMS", AdminKick: "ADMIN_KICK", AdminMotd: "ADMIN_MOTD"}
	for o, n := range admin {
		assert.Equal(t, n, o.String())
		got, err := ParseAdminOp(n)
		require.NoError(t, err)
		assert.Equal(t, o, got)
	}
	assert.Equal(t, uint8(5), uint8(AdminMotd))
	assert.False(t, AdminOp(6).Valid())

	hooks := map[Hook]string{HookAll: "HOOK_ALL", HookNewLogin: "HOOK_NEWLOGIN", HookNewLogout: "HOOK_NEWLOGOUT",
		HookDupSess: "HOOK_DUPSESS", HookPermsChg: "HOOK_PERMSCHG"}
	for h, n := range hooks {
		assert.Equal(t, n, h.String())
		got, err := ParseHook(n)
		require.NoError(t, err)
		assert.Equal(t, h, got)
	}
	assert.Equal(t, uint8(4), uint8(HookPermsChg))
	h, err := ParseHook("dupsess")
	require.NoError(t, err)
	assert.Equal(t, HookDupSess, h)
}

func TestDialect(t *testing.T) {
	assert.Equal(t, DialectSpec, Dialect(0))
	for _, d := range []Dialect{DialectSpec, DialectGochat1} {
		got, err := ParseDialect(d.String())
		require.NoError(t, err)
		assert.Equal(t, d, got)
	}
	assert.Equal(t, "spec", DialectSpec.String())
	assert.Equal(t, "gochat1", DialectGochat1.String())
	assert.Equal(t, 2047, DialectSpec.MaxArgSize())
	assert.Equal(t, 2045, DialectGochat1.MaxArgSize())
	_, err := ParseDialect("gochat2")
	assert.Error(t, err)
}
