package scenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const good = `
id: REG-example
title: An example
requirements: [REG-1]
level: must
tags: [accounts]
actors:
  alice: {}
  twin: {key: alice, name: "${alice.name|upper}"}
steps:
  - connect: alice
  - register: alice
  - send: {action: REQ, args: ["${twin.name}", {key: twin}, {stamp: now+60}, {perm: 1}, "hex:0d0a",
      {encrypt: {to: alice, text: hi, contains_crlf: true}}, {bytes: {len: 3, fill: 0x41}}]}
  - expect: {action: REQ, id: $req, args: [any, {key_of: alice}, {stamp_near: now, within: 5s}, {perm: 0}, {re: "^a"}, {capture: c}, {decrypts_to: {actor: alice, text: hi}}]}
  - decrypt: {actor: alice, from: c, into: p}
  - send_raw: {header: {version: 2, action: KEEP, id: 0}, header_sep: "0a0d"}
  - expect_close: {err: ERR_VERSION, within: 2s}
---
id: CONN-second
title: Second document
requirements: [CONN-1]
level: should
steps:
  - connect: {conn: c1, hello: false}
  - expect_any_order:
      - {conn: c1, action: HELLO, id: 0}
  - expect_none: {conn: c1, for: 100ms}
  - disconnect: c1
`

func TestParseGood(t *testing.T) {
	scs, err := Parse("server/x.yaml", []byte(good), "server", LoadOptions{Keys: map[string]bool{"alice": true}})
	require.NoError(t, err)
	require.Len(t, scs, 2)
	s := scs[0]
	assert.Equal(t, "REG-example", s.ID)
	assert.Equal(t, "alice", s.Actors["twin"].Key)
	require.Len(t, s.Steps, 7)
	assert.Equal(t, "alice", s.Steps[1].Register.Conn, "register defaults to the actor's connection")
	assert.Equal(t, "alice", s.Steps[2].Send.Conn, "send defaults to the last connection")
	assert.Equal(t, "encrypt", s.Steps[2].Send.Args[5].Kind)
	assert.True(t, s.Steps[2].Send.Args[5].Encrypt.ContainsCRLF)
	assert.True(t, s.Steps[3].Expect.ID.Req)
	assert.Equal(t, "c", s.Steps[3].Expect.Args[5].Capture)
	assert.Equal(t, 13, s.Steps[2].Pos.Line)
	assert.Equal(t, Should, scs[1].Level)
}

func TestParseErrorsHavePositions(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown top key", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nbogus: 1\n", "x.yaml:5:"},
		{"unknown step", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - jump: {}\n", "x.yaml:6:5: unknown step \"jump\""},
		{"unknown step key", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a, colour: red}\n", "x.yaml:6:"},
		{"unknown conn", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - send: {conn: b, action: KEEP}\n", "x.yaml:7:5: unknown connection \"b\""},
		{"bad action", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - expect: {action: NOPE}\n", "x.yaml:7:13:"},
		{"bad info", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - expect: {action: ERR, info: ERR_NOPE}\n", "info"},
		{"unknown matcher", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - expect: {action: OK, args: [{frob: 1}]}\n", "x.yaml:7:34: unknown matcher \"frob\""},
		{"var before capture", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - send: {action: KEEP, args: [{var: v}]}\n", "variable \"v\" used before"},
		{"unknown actor", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a, actor: zed}\n", "unknown actor \"zed\""},
		{"unknown requirement", "id: A-b\ntitle: t\nrequirements: [NOPE-1]\nlevel: must\n", "unknown requirement \"NOPE-1\""},
		{"bad level", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: maybe\n", "level must be"},
		{"tls without need", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a, tls: true}\n", "needs: [tls]"},
		{"bad hex", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - send: {action: KEEP, args: [\"hex:zz\"]}\n", "x.yaml:7:33: bad hex"},
		{"yaml syntax", "id: [\n", "x.yaml:"},
	}
	known := func(id string) bool { return id == "X-1" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.doc), "server", LoadOptions{KnownRequirement: known})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "x.yaml:"), "error %q has no position", err)
		})
	}
}
