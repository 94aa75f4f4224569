package spec

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeaderBytes(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want [8]byte
	}{
		{"hello", Header{1, HELLO, 0xFF, 1, 24, 0, 0xFFFF}, [8]byte{0x11, 0x2F, 0xF1, 0x00, 0x60, 0x00, 0xFF, 0xFF}},
		{"zero", Header{}, [8]byte{}},
		{"all ones", Header{0xF, 0xFF, 0xFF, 0xF, MaxLen, MaxID, 0xFFFF}, [8]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{"keep id 1", Header{1, KEEP, 0xFF, 0, 0, 1, 0xFFFF}, [8]byte{0x10, 0x3F, 0xF0, 0x00, 0x00, 0x01, 0xFF, 0xFF}},
		{"msg", Header{1, MSG, 0xFF, 3, 600, 1023, 0}, [8]byte{0x10, 0xBF, 0xF3, 0x09, 0x63, 0xFF, 0x00, 0x00}},
		{"err header", Header{1, ERR, uint8(CodeHeader), 0, 0, 0, 0xFFFF}, [8]byte{0x10, 0x20, 0x70, 0, 0, 0, 0xFF, 0xFF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.h.Bytes())
			assert.Equal(t, tt.h, ParseHeader(tt.want[:]))
		})
	}
}

func TestHeaderBytesMasksForgedFields(t *testing.T) {
	h := Header{Version: 0x12, Action: MSG, Info: 0xFF, Args: 0x13, Len: 0x4005, ID: 0x401, Reserved: 7}
	got := ParseHeader(func() []byte { b := h.Bytes(); return b[:] }())
	assert.Equal(t, Header{Version: 2, Action: MSG, Info: 0xFF, Args: 3, Len: 5, ID: 1, Reserved: 7}, got)
}

func TestHeaderString(t *testing.T) {
	h := Header{1, HELLO, 0xFF, 1, 24, 0, 0xFFFF}
	assert.Equal(t, "v1 HELLO info=0xFF args=1 len=24 id=0 rsv=0xFFFF", h.String())
	h = Header{1, ERR, 5, 0, 0, 3, 0xFFFF}
	assert.Contains(t, h.String(), "info=ERR_ARGS")
	h = Header{1, USRS, 1, 0, 0, 3, 0xFFFF}
	assert.Contains(t, h.String(), "info=USRS_ONLINE")
}

func hdr(a Action, info, args uint8, l, id uint16) Header {
	return Header{Version: 1, Action: a, Info: info, Args: args, Len: l, ID: id, Reserved: DefaultReserved}
}

func TestCheckServerBound(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		err  error // nil: accepted
		code ErrCode
	}{
		{"keep", hdr(KEEP, 0xFF, 0, 0, 1), nil, 0},
		{"reserved ignored", Header{1, KEEP, 0xFF, 0, 0, 1, 0}, nil, 0},
		{"max id", hdr(LOGOUT, 0xFF, 0, 0, MaxID), nil, 0},
		{"version 0", Header{0, KEEP, 0xFF, 0, 0, 1, 0xFFFF}, ErrBadVersion, CodeVersion},
		{"version 2", Header{2, KEEP, 0xFF, 0, 0, 1, 0xFFFF}, ErrBadVersion, CodeVersion},
		{"version before action", Header{15, 0, 0, 0, 0, 0, 0}, ErrBadVersion, CodeVersion},
		{"null action", hdr(NullAction, 0xFF, 0, 0, 1), ErrNullAction, CodeHeader},
		{"unknown action", hdr(0x13, 0xFF, 0, 0, 1), ErrUnknownAction, CodeHeader},
		{"unknown action ff", hdr(0xFF, 0xFF, 0, 0, 1), ErrUnknownAction, CodeHeader},
		{"OK from client", hdr(OK, 0xFF, 0, 0, 1), ErrWrongDirection, CodeHeader},
		{"HELLO from client", hdr(HELLO, 0xFF, 1, 2, 1), ErrWrongDirection, CodeHeader},
		{"ERR from client", hdr(ERR, 1, 0, 0, 1), ErrWrongDirection, CodeHeader},
		{"null id", hdr(KEEP, 0xFF, 0, 0, 0), ErrNullID, CodeHeader},
		{"usrs no info", hdr(USRS, 0xFF, 0, 0, 1), ErrInfoRequired, CodeHeader},
		{"admin no info", hdr(ADMIN, 0xFF, 1, 3, 1), ErrInfoRequired, CodeHeader},
		{"sub no info", hdr(SUB, 0xFF, 0, 0, 1), ErrInfoRequired, CodeHeader},
		{"unsub no info", hdr(UNSUB, 0xFF, 0, 0, 1), ErrInfoRequired, CodeHeader},
		{"usrs unknown kind passes header", hdr(USRS, 9, 0, 0, 1), nil, 0},
		{"logout with info", hdr(LOGOUT, 5, 0, 0, 1), ErrInfoForbidden, CodeHeader},
		{"keep with info 0", hdr(KEEP, 0, 0, 0, 1), ErrInfoForbidden, CodeHeader},
		{"reg 1 arg", hdr(REG, 0xFF, 1, 7, 1), ErrArgCount, CodeHeader},
		{"reg 3 args", hdr(REG, 0xFF, 3, 9, 1), ErrArgCount, CodeHeader},
		{"login 0 args", hdr(LOGIN, 0xFF, 0, 0, 1), ErrArgCount, CodeHeader},
		{"login 2 args", hdr(LOGIN, 0xFF, 2, 10, 1), nil, 0},
		{"login 3 args", hdr(LOGIN, 0xFF, 3, 10, 1), ErrArgCount, CodeHeader},
		{"keep with arg", hdr(KEEP, 0xFF, 1, 2, 1), ErrArgCount, CodeHeader},
		{"msg 2 args", hdr(MSG, 0xFF, 2, 10, 1), ErrArgCount, CodeHeader},
		{"admin chgperms 1 arg", hdr(ADMIN, uint8(AdminChgPerms), 1, 3, 1), ErrArgCount, CodeHeader},
		{"admin unknown op 15 args", hdr(ADMIN, 0x30, 15, 30, 1), nil, 0},
		{"admin unknown op 0 args", hdr(ADMIN, 0x30, 0, 0, 1), nil, 0},
		{"args without len", hdr(REQ, 0xFF, 1, 0, 1), ErrLenMismatch, CodeHeader},
		{"len without args", hdr(KEEP, 0xFF, 0, 4, 1), ErrLenMismatch, CodeHeader},
		{"len below 2 per arg", hdr(REG, 0xFF, 2, 3, 1), ErrLenMismatch, CodeHeader},
		{"len exactly 2 per arg", hdr(REG, 0xFF, 2, 4, 1), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckServerBound(tt.h)
			assertProtoErr(t, err, tt.err, tt.code)
			assert.Equal(t, err == nil, CheckHeader(ServerBound, tt.h) == nil)
		})
	}
}

func TestCheckClientBound(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		err  error
		code ErrCode
	}{
		{"hello", hdr(HELLO, 0xFF, 1, 24, 0), nil, 0},
		{"hello with id", hdr(HELLO, 0xFF, 1, 24, 3), ErrIDNotNull, CodeHeader},
		{"reciv with id", hdr(RECIV, 0xFF, 3, 12, 3), ErrIDNotNull, CodeHeader},
		{"hook with id", hdr(HOOK, 2, 1, 3, 3), ErrIDNotNull, CodeHeader},
		{"shtdwn with id", hdr(SHTDWN, 0xFF, 1, 6, 3), ErrIDNotNull, CodeHeader},
		{"ok null id", hdr(OK, 0xFF, 0, 0, 0), ErrNullID, CodeHeader},
		{"verif null id", hdr(VERIF, 0xFF, 1, 514, 0), ErrNullID, CodeHeader},
		{"req null id", hdr(REQ, 0xFF, 3, 10, 0), ErrNullID, CodeHeader},
		{"usrs null id", hdr(USRS, 0xFF, 1, 7, 0), ErrNullID, CodeHeader},
		{"err null id", hdr(ERR, uint8(CodeHeader), 0, 0, 0), nil, 0},
		{"err with id", hdr(ERR, uint8(CodeNoSess), 0, 0, 9), nil, 0},
		{"err unknown code", hdr(ERR, 0x40, 0, 0, 9), nil, 0},
		{"err no info", hdr(ERR, 0xFF, 0, 0, 9), ErrInfoRequired, CodeHeader},
		{"hook no info", hdr(HOOK, 0xFF, 1, 3, 0), ErrInfoRequired, CodeHeader},
		{"hook all", hdr(HOOK, 0, 0, 0, 0), ErrBadInfo, CodeHeader},
		{"hook unknown", hdr(HOOK, 5, 1, 3, 0), ErrBadInfo, CodeHeader},
		{"ok with info", hdr(OK, 0, 0, 0, 1), ErrInfoForbidden, CodeHeader},
		{"usrs with info", hdr(USRS, 1, 1, 3, 1), ErrInfoForbidden, CodeHeader},
		{"keep to client", hdr(KEEP, 0xFF, 0, 0, 1), ErrWrongDirection, CodeHeader},
		{"msg to client", hdr(MSG, 0xFF, 3, 9, 1), ErrWrongDirection, CodeHeader},
		{"version 3", Header{3, OK, 0xFF, 0, 0, 1, 0xFFFF}, ErrBadVersion, CodeVersion},
		{"ok with args", hdr(OK, 0xFF, 1, 2, 1), ErrArgCount, CodeHeader},
		{"usrs 0 args", hdr(USRS, 0xFF, 0, 0, 1), ErrArgCount, CodeHeader},
		{"usrs 15 args", hdr(USRS, 0xFF, 15, 30, 1), nil, 0},
		{"req 2 args", hdr(REQ, 0xFF, 2, 4, 1), ErrArgCount, CodeHeader},
		{"newlogin 1 arg", hdr(HOOK, 1, 1, 3, 0), ErrArgCount, CodeHeader},
		{"hello len 0", hdr(HELLO, 0xFF, 1, 0, 0), ErrLenMismatch, CodeHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProtoErr(t, CheckClientBound(tt.h), tt.err, tt.code)
		})
	}
}

func assertProtoErr(t *testing.T, err, want error, code ErrCode) {
	t.Helper()
	if want == nil {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	assert.True(t, errors.Is(err, want), "got %v, want %v", err, want)
	c, ok := CodeOf(err)
	require.True(t, ok, "not a ProtocolError: %v", err)
	assert.Equal(t, code, c, "%v", err)
}
