package spec

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchemasHaveOneDelimitedArg checks the rule SplitArgs relies on, for
// every schema in both directions and dialects.
func TestSchemasHaveOneDelimitedArg(t *testing.T) {
	for _, d := range []Dialect{DialectSpec, DialectGochat1} {
		for _, dir := range []Direction{ServerBound, ClientBound} {
			for a := Action(0); a < 0x20; a++ {
				for info := 0; info < 256; info++ {
					s, ok := SchemaFor(dir, a, uint8(info))
					if !ok {
						continue
					}
					require.True(t, a.Allowed(dir), "%s %s", dir, a)
					require.Len(t, s.Kinds, s.Max)
					require.LessOrEqual(t, s.Min, s.Max)
					require.LessOrEqual(t, s.Max, MaxArgs)
					n := 0
					for _, k := range s.Kinds {
						if k.Delimited(d) {
							n++
						}
					}
					assert.LessOrEqual(t, n, 1, "%s %s %s info %d: %v", d, dir, a, info, s.Kinds)
				}
			}
		}
	}
}

func TestSchemaTable(t *testing.T) {
	k := func(ks ...Kind) []Kind { return ks }
	tests := []struct {
		dir      Direction
		a        Action
		info     uint8
		min, max int
		kinds    []Kind
	}{
		{ServerBound, KEEP, 0xFF, 0, 0, nil},
		{ServerBound, REG, 0xFF, 2, 2, k(KindUsername, KindKey)},
		{ServerBound, LOGIN, 0xFF, 1, 2, k(KindUsername, KindOpaque)},
		{ServerBound, VERIF, 0xFF, 2, 2, k(KindUsername, KindOpaque)},
		{ServerBound, REQ, 0xFF, 1, 1, k(KindUsername)},
		{ServerBound, MSG, 0xFF, 3, 3, k(KindUsername, KindTimestamp, KindOpaque)},
		{ServerBound, USRS, 1, 0, 0, nil},
		{ServerBound, ADMIN, uint8(AdminShtdwn), 1, 1, k(KindTimestamp)},
		{ServerBound, ADMIN, uint8(AdminChgPerms), 2, 2, k(KindUsername, KindPerm)},
		{ServerBound, ADMIN, uint8(AdminMotd), 1, 1, k(KindText)},
		{ClientBound, HELLO, 0xFF, 1, 1, k(KindText)},
		{ClientBound, VERIF, 0xFF, 1, 1, k(KindOpaque)},
		{ClientBound, REQ, 0xFF, 3, 3, k(KindUsername, KindKey, KindPerm)},
		{ClientBound, RECIV, 0xFF, 3, 3, k(KindUsername, KindTimestamp, KindOpaque)},
		{ClientBound, SHTDWN, 0xFF, 1, 1, k(KindTimestamp)},
		{ClientBound, HOOK, uint8(HookNewLogin), 2, 2, k(KindUsername, KindPerm)},
		{ClientBound, HOOK, uint8(HookDupSess), 1, 1, k(KindText)},
	}
	for _, tt := range tests {
		s, ok := SchemaFor(tt.dir, tt.a, tt.info)
		require.True(t, ok, "%s %s", tt.dir, tt.a)
		assert.Equal(t, tt.min, s.Min, "%s %s", tt.dir, tt.a)
		assert.Equal(t, tt.max, s.Max, "%s %s", tt.dir, tt.a)
		if tt.kinds != nil {
			assert.Equal(t, tt.kinds, s.Kinds, "%s %s", tt.dir, tt.a)
		}
	}
	_, ok := SchemaFor(ClientBound, HOOK, uint8(HookAll))
	assert.False(t, ok)
	_, ok = SchemaFor(ServerBound, OK, 0xFF)
	assert.False(t, ok)
	_, ok = SchemaFor(ClientBound, MSG, 0xFF)
	assert.False(t, ok)
}

func payloadOf(args ...[]byte) []byte {
	var b []byte
	for _, a := range args {
		b = append(append(b, a...), crlf...)
	}
	return b
}

func TestSplitArgsCRLFArguments(t *testing.T) {
	ct := crlfBlob(512, 11)
	require.True(t, bytes.Contains(ct, []byte(crlf)))
	der := derOf(t, crlfKey())
	require.True(t, bytes.Contains(der, []byte(crlf)), "fixture key DER must contain CRLF")
	stamp := DialectSpec.AppendTimestamp(nil, crlfTime)
	vstamp := DialectGochat1.AppendTimestamp(nil, crlfTime)
	tests := []struct {
		name string
		dir  Direction
		a    Action
		info uint8
		d    Dialect
		args [][]byte
	}{
		{"MSG", ServerBound, MSG, 0xFF, DialectSpec, [][]byte{[]byte("bob"), stamp, ct}},
		{"MSG gochat1", ServerBound, MSG, 0xFF, DialectGochat1, [][]byte{[]byte("bob"), vstamp, ct}},
		{"MSG ct is CRLF", ServerBound, MSG, 0xFF, DialectSpec, [][]byte{[]byte("bob"), stamp, []byte(crlf)}},
		{"MSG empty ct", ServerBound, MSG, 0xFF, DialectSpec, [][]byte{[]byte("bob"), stamp, {}}},
		{"RECIV", ClientBound, RECIV, 0xFF, DialectSpec, [][]byte{[]byte("alice"), stamp, ct}},
		{"RECIV gochat1", ClientBound, RECIV, 0xFF, DialectGochat1, [][]byte{[]byte("alice"), vstamp, ct}},
		{"VERIF to client", ClientBound, VERIF, 0xFF, DialectSpec, [][]byte{ct}},
		{"VERIF to server", ServerBound, VERIF, 0xFF, DialectSpec, [][]byte{[]byte("alice"), ct}},
		{"LOGIN token", ServerBound, LOGIN, 0xFF, DialectSpec, [][]byte{[]byte("alice"), ct}},
		{"REG DER", ServerBound, REG, 0xFF, DialectSpec, [][]byte{[]byte("alice"), der}},
		{"REQ reply DER", ClientBound, REQ, 0xFF, DialectSpec, [][]byte{[]byte("alice"), der, {'\n'}}},
		{"REQ reply perm CR", ClientBound, REQ, 0xFF, DialectSpec, [][]byte{[]byte("alice"), der, {'\r'}}},
		{"SHTDWN stamp", ClientBound, SHTDWN, 0xFF, DialectSpec, [][]byte{stamp}},
		{"ADMIN SHTDWN", ServerBound, ADMIN, 0, DialectSpec, [][]byte{stamp}},
		{"ADMIN BRDCAST", ServerBound, ADMIN, 2, DialectSpec, [][]byte{[]byte("a\r\nb\r\n")}},
		{"CHGPERMS CR", ServerBound, ADMIN, 3, DialectSpec, [][]byte{[]byte("bob"), {'\r'}}},
		{"CHGPERMS LF", ServerBound, ADMIN, 3, DialectGochat1, [][]byte{[]byte("bob"), {'\n'}}},
		{"varint ending in CR", ClientBound, SHTDWN, 0xFF, DialectGochat1, [][]byte{{0xC2, 0xCF, 0xAD, 0xB0, 0x0D}}},
		{"HOOK DUPSESS", ClientBound, HOOK, 3, DialectSpec, [][]byte{[]byte("127.0.0.1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := SchemaFor(tt.dir, tt.a, tt.info)
			require.True(t, ok)
			got, err := SplitArgs(nil, payloadOf(tt.args...), len(tt.args), s, tt.d)
			require.NoError(t, err)
			assert.Equal(t, tt.args, got)
		})
	}
}

func TestSplitArgsErrors(t *testing.T) {
	msg, _ := SchemaFor(ServerBound, MSG, 0xFF)
	req, _ := SchemaFor(ServerBound, REQ, 0xFF)
	reqReply, _ := SchemaFor(ClientBound, REQ, 0xFF)
	chg, _ := SchemaFor(ServerBound, ADMIN, uint8(AdminChgPerms))
	hello, _ := SchemaFor(ClientBound, HELLO, 0xFF)
	long := bytes.Repeat([]byte("a"), 2048)
	tests := []struct {
		name    string
		payload []byte
		n       int
		s       Schema
		d       Dialect
		err     error
		code    ErrCode
	}{
		{"missing final CRLF", []byte("bob"), 1, req, DialectSpec, ErrSplit, CodeArgs},
		{"trailing junk", []byte("bob\r\nxx"), 1, req, DialectSpec, ErrSplit, CodeArgs},
		{"too many pieces", []byte("a\r\nb\r\n"), 1, req, DialectSpec, ErrSplit, CodeArgs},
		{"too few pieces", []byte("a\r\n"), 2, chg, DialectSpec, ErrSplit, CodeArgs},
		{"perm two bytes", []byte("a\r\n12\r\n"), 2, chg, DialectSpec, ErrSplit, CodeArgs},
		{"perm empty", []byte("a\r\n\r\n"), 2, chg, DialectSpec, ErrSplit, CodeArgs},
		{"stamp 5 bytes", []byte("a\r\n12345\r\nct\r\n"), 3, msg, DialectSpec, ErrSplit, CodeArgs},
		{"stamp 3 bytes", []byte("a\r\n123\r\nct\r\n"), 3, msg, DialectSpec, ErrSplit, CodeArgs},
		{"msg ct no CRLF", []byte("a\r\n1234\r\nct"), 3, msg, DialectSpec, ErrSplit, CodeArgs},
		{"msg no name CRLF", []byte("a"), 3, msg, DialectSpec, ErrSplit, CodeArgs},
		{"reply perm missing", []byte("a\r\nkey\r\n"), 3, reqReply, DialectSpec, ErrSplit, CodeArgs},
		{"reply key lacks CRLF", []byte("a\r\nkey\x01\r\n"), 3, reqReply, DialectSpec, ErrSplit, CodeArgs},
		{"reply tail short", []byte("\r\n"), 3, reqReply, DialectSpec, ErrSplit, CodeArgs},
		{"hello lacks CRLF", []byte("hi"), 1, hello, DialectSpec, ErrSplit, CodeArgs},
		{"zero args with payload", []byte("\r\n"), 0, Schema{}, DialectSpec, ErrSplit, CodeArgs},
		{"count above max", []byte("a\r\nb\r\n"), 2, req, DialectSpec, ErrArgCount, CodeHeader},
		{"arg over spec limit", payloadOf(long), 1, req, DialectSpec, ErrArgTooLong, CodeMaxSize},
		{"arg over gochat1 limit", payloadOf(long[:2046]), 1, req, DialectGochat1, ErrArgTooLong, CodeMaxSize},
		{"delimited arg too long", payloadOf(long), 1, hello, DialectSpec, ErrArgTooLong, CodeMaxSize},
		{"payload over n limits", payloadOf(long, long), 1, hello, DialectSpec, ErrArgTooLong, CodeMaxSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitArgs(nil, tt.payload, tt.n, tt.s, tt.d)
			assertProtoErr(t, err, tt.err, tt.code)
			assert.Empty(t, got)
		})
	}
	// Limits are inclusive.
	for _, d := range []Dialect{DialectSpec, DialectGochat1} {
		got, err := SplitArgs(nil, payloadOf(long[:d.MaxArgSize()]), 1, req, d)
		require.NoError(t, err, d)
		assert.Len(t, got[0], d.MaxArgSize())
	}
}

func TestSplitCRLF(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  []string
	}{
		{"", 16, nil},
		{"a\r\n", 16, []string{"a"}},
		{"a\r\nb", 16, []string{"a", "b"}},
		{"\r\n\r\n", 16, []string{"", ""}},
		{"a\r\nb\r\nc\r\n", 2, []string{"a", "b\r\nc\r\n"}},
	}
	for _, tt := range tests {
		got := SplitCRLF(nil, []byte(tt.in), tt.limit)
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		assert.Equal(t, tt.want, gs, "%q", tt.in)
	}
}
