package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/result"
)

const checks = `
id: MSG-checks
title: The check vocabulary
requirements: [MSG-1]
level: must
actors:
  alice: {}
setup:
  - connect: alice
  - register: alice
steps:
  - send: {action: MSG, args: ["x"]}
  - expect: {action: ERR, info: ERR_ARGS, req: ARG-1, soft: true}
  - expect: {action: ERR, info: ERR_ARGS, spec_code: true, level: should}
  - expect: {action: RECIV, args: [any, {stamp_near: "1700000000", within: 0s}, any]}
  - expect: {action: RECIV, args: [any, {stamp_near: "1700000000"}, any]}
  - expect_none: {for: 100ms, req: ARG-1, soft: true}
  - expect_close: {err: ERR_HEADER, err_req: CONN-8, spec_code: true, req: CONN-1}
  - setup:
      - connect: {conn: c2, actor: alice}
      - login: alice
  - send: {conn: c2, action: KEEP}
`

func TestParseChecks(t *testing.T) {
	known := func(id string) bool { return id != "NOPE-1" }
	scs, err := Parse("server/x.yaml", []byte(checks), RoleServer, LoadOptions{KnownRequirement: known})
	require.NoError(t, err)
	s := scs[0]
	require.Nil(t, s.Setup, "setup steps are merged into Steps")
	// connect, REG, OK (setup) + send, 4 expects, expect_none, expect_close
	// + connect and the 5 login steps (setup) + send
	require.Len(t, s.Steps, 17)
	for i, st := range s.Steps {
		assert.Equal(t, i < 3 || (i >= 10 && i < 16), st.Setup, "step %d (%s)", i, st.Kind)
	}
	assert.Equal(t, "c2", s.Steps[16].Send.Conn)
	e := s.Steps[4].Expect
	assert.Equal(t, Check{Req: "ARG-1", Soft: true}, e.Check)
	assert.False(t, e.SpecCode)
	e = s.Steps[5].Expect
	assert.True(t, e.SpecCode)
	assert.Equal(t, result.Should, e.Level)
	assert.Equal(t, time.Duration(0), s.Steps[6].Expect.Args[1].Within, "within: 0s means exactly equal")
	assert.Equal(t, 5*time.Second, s.Steps[7].Expect.Args[1].Within, "an absent within takes the default")
	assert.Equal(t, Check{Req: "ARG-1", Soft: true}, s.Steps[8].ExpectNone.Check)
	cl := s.Steps[9].ExpectClose
	assert.Equal(t, "CONN-8", cl.ErrReq)
	assert.True(t, cl.SpecCode)
	assert.Equal(t, "CONN-1", cl.Req)
}

func TestParseCheckErrors(t *testing.T) {
	known := func(id string) bool { return id != "NOPE-1" }
	doc := func(body string) string {
		return "id: X-y\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: c}\n  " + body + "\n"
	}
	_, err := Parse("server/x.yaml", []byte(doc(`- expect: {action: ERR, info: ERR_ARGS, spec_code: true, req: X-2}`)),
		RoleServer, LoadOptions{KnownRequirement: known})
	require.NoError(t, err)
	for name, body := range map[string]string{
		"unknown req":         `- expect: {action: OK, req: NOPE-1}`,
		"spec_code on OK":     `- expect: {action: OK, spec_code: true}`,
		"spec_code no info":   `- expect: {action: ERR, spec_code: true}`,
		"err_req without err": `- expect_close: {err_req: CONN-8}`,
		"negative within":     `- expect: {action: RECIV, args: [{stamp_near: now, within: -1s}]}`,
		"nested setup":        "- setup: [setup: [disconnect: c]]",
		"empty setup":         "- setup: []",
	} {
		_, err := Parse("server/x.yaml", []byte(doc(body)), RoleServer, LoadOptions{KnownRequirement: known})
		assert.Error(t, err, name)
	}
}
