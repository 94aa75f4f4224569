package expr

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

func testEnv() *Env {
	e := NewEnv(spec.DialectSpec, 1, "T-x")
	e.Names["alice"] = "Alice7"
	e.Vars["tok"] = []byte{0xab, 0x01}
	e.Now = func() time.Time { return time.Unix(1000, 0) }
	return e
}

func tmpl(s string) scenario.Template { return scenario.MustTemplate(s) }

func TestExpand(t *testing.T) {
	e := testEnv()
	x := tmpl("hi ${alice.name}|${alice.name|upper}|${tok|hex}")
	got, err := e.Expand(&x)
	require.NoError(t, err)
	assert.Equal(t, "hi Alice7|ALICE7|ab01", string(got))
	x = tmpl("${bob.name}")
	_, err = e.Expand(&x)
	assert.ErrorContains(t, err, "${bob.name} has no value")
	x = tmpl("${nope}")
	_, err = e.Expand(&x)
	assert.ErrorContains(t, err, "${nope} has no value")
}

func TestEval(t *testing.T) {
	e := testEnv()
	fill := uint8('z')
	v := scenario.Value{Kind: "concat", Parts: []scenario.Value{
		{Kind: "text", Text: tmpl("${alice.name}")}, {Kind: "hex", Hex: []byte{0x0d, 0x0a}}, {Kind: "perm", Perm: 3},
		{Kind: "bytes", Bytes: &scenario.BytesSpec{Len: 2, Fill: &fill}}, {Kind: "var", Var: "tok"},
		{Kind: "stamp", Stamp: scenario.Stamp{Relative: true, Secs: 5}},
	}}
	got, err := e.Eval(&v)
	require.NoError(t, err)
	assert.Equal(t, []byte("Alice7\r\n\x03zz\xab\x01\x00\x00\x03\xed"), got)

	// Random bytes are reproducible from the seed and scenario ID.
	r := scenario.Value{Kind: "bytes", Bytes: &scenario.BytesSpec{Len: 16, Random: true}}
	a, errA := NewEnv(spec.DialectSpec, 1, "T-x").Eval(&r)
	b, errB := NewEnv(spec.DialectSpec, 1, "T-x").Eval(&r)
	c, errC := NewEnv(spec.DialectSpec, 1, "T-y").Eval(&r)
	require.NoError(t, errors.Join(errA, errB, errC))
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)

	_, err = e.EvalAll([]scenario.Value{{Line: 4, Col: 9, Kind: "key", Actor: "bob"}})
	assert.EqualError(t, err, "4:9: actor bob has no key")
}

func TestMatch(t *testing.T) {
	e := testEnv()
	caps := map[string][]byte{}
	eq := &scenario.Matcher{Kind: "eq", Value: &scenario.Value{Kind: "text", Text: tmpl("${alice.name}")}, Capture: "who"}
	assert.Empty(t, e.Match(eq, []byte("Alice7"), caps))
	assert.Equal(t, "Alice7", string(caps["who"]))
	assert.Equal(t, `is "Bob", want "Alice7"`, e.Match(eq, []byte("Bob"), caps))
	assert.Equal(t, "is 3 bytes, want 2", e.Match(&scenario.Matcher{Kind: "len", Len: 2}, []byte("abc"), caps))
	near := &scenario.Matcher{Kind: "stamp_near", Stamp: scenario.Stamp{Relative: true}, Within: 2 * time.Second}
	assert.Empty(t, e.Match(near, []byte{0, 0, 0x03, 0xe9}, caps))
	assert.Contains(t, e.Match(near, []byte{0, 0, 0x04, 0xe8}, caps), "is 4m16s away from 1000")
	assert.Contains(t, e.Match(&scenario.Matcher{Kind: "user_list_equals"}, nil, caps), "whole USRS reply")
}

func TestMatchUserList(t *testing.T) {
	e := testEnv()
	caps := map[string][]byte{}
	args := [][]byte{[]byte("Alice7 2\nbob 0"), []byte("carol 1")}
	m := &scenario.Matcher{Kind: "user_list_contains", List: []scenario.Template{tmpl("${alice.name}"), tmpl("carol 1")}, Capture: "l"}
	assert.Empty(t, e.MatchUserList(m, args, caps))
	assert.Equal(t, "Alice7 2\nbob 0\ncarol 1", string(caps["l"]))
	m = &scenario.Matcher{Kind: "user_list_equals", List: []scenario.Template{tmpl("bob")}}
	assert.Equal(t, "user list has 3 entries, want 1", e.MatchUserList(m, args, caps))
	m = &scenario.Matcher{Kind: "user_list_excludes", List: []scenario.Template{tmpl("bob")}}
	assert.Equal(t, `user list contains "bob"`, e.MatchUserList(m, args, caps))
}

func TestShow(t *testing.T) {
	assert.Equal(t, `"a\nb"`, Show([]byte("a\nb")))
	assert.Equal(t, "0x00ff", Show([]byte{0, 0xff}))
	assert.Equal(t, `"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"...(50 bytes)`,
		Show([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")))
}

// TestEvalPEM shows that {pem: ...} armours any bytes, so a synthetic DER
// key can be sent in the form every server accepts.
func TestEvalPEM(t *testing.T) {
	e := testEnv()
	v := scenario.Value{Kind: "pem", Parts: []scenario.Value{{Kind: "hex", Hex: []byte{0x30, 0x01, 0xff}}}}
	got, err := e.Eval(&v)
	require.NoError(t, err)
	assert.Equal(t, "-----BEGIN RSA PUBLIC KEY-----\nMAH/\n-----END RSA PUBLIC KEY-----\n", string(got))
}

// TestStampWithinZeroIsExact: "within: 0s", as a scenario writes it,
// accepts only the very timestamp (the loader once widened it to 5 s).
func TestStampWithinZeroIsExact(t *testing.T) {
	doc := "id: MSG-x\ntitle: t\nrequirements: [MSG-1]\nlevel: must\nsteps:\n  - connect: {conn: c}\n" +
		"  - expect: {action: RECIV, args: [{stamp_near: \"1700000000\", within: 0s}]}\n"
	scs, err := scenario.Parse("server/x.yaml", []byte(doc), scenario.RoleServer, scenario.LoadOptions{})
	require.NoError(t, err)
	m := &scs[0].Steps[1].Expect.Args[0]
	e := testEnv()
	exact := codec.AppendStamp(nil, spec.DialectSpec, 1700000000)
	off := codec.AppendStamp(nil, spec.DialectSpec, 1700000002)
	assert.Empty(t, e.Match(m, exact, nil))
	assert.Contains(t, e.Match(m, off, nil), "2s away")
}
