package scenario

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/spec"
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
	scs, err := Parse("server/x.yaml", []byte(good), RoleServer, LoadOptions{Keys: map[string]bool{"alice": true}})
	require.NoError(t, err)
	require.Len(t, scs, 2)
	s := scs[0]
	assert.Equal(t, "REG-example", s.ID)
	assert.Equal(t, "alice", s.Actors["twin"].Key)
	// connect, register (REG + OK), send, expect, decrypt, send_raw, expect_close
	require.Len(t, s.Steps, 8)
	reg := s.Steps[1]
	assert.Equal(t, KindSend, reg.Kind)
	assert.Equal(t, KindRegister, reg.Name())
	assert.Equal(t, spec.REG, reg.Send.Action.Action)
	assert.Equal(t, "alice", reg.Send.Conn, "register defaults to the actor's connection")
	send := s.Steps[3].Send
	assert.Equal(t, "alice", send.Conn, "send defaults to the last connection")
	assert.Equal(t, "encrypt", send.Args[5].Kind)
	assert.True(t, send.Args[5].Encrypt.ContainsCRLF)
	assert.Equal(t, []byte{0x0d, 0x0a}, send.Args[4].Hex)
	assert.Equal(t, Stamp{Relative: true, Secs: 60}, send.Args[2].Stamp)
	assert.Equal(t, uint8('A'), *send.Args[6].Bytes.Fill)
	exp := s.Steps[4].Expect
	assert.True(t, exp.ID.Req)
	assert.Equal(t, "c", exp.Args[5].Capture)
	assert.Equal(t, uint8(spec.EmptyInfo), exp.Info.Value)
	assert.Equal(t, 13, s.Steps[3].Pos.Line)
	raw := s.Steps[6].SendRaw
	assert.Equal(t, spec.KEEP, raw.Header.Action.Action)
	assert.Equal(t, []byte{0x0a, 0x0d}, []byte(raw.HeaderSep))
	assert.Equal(t, spec.CodeVersion, s.Steps[7].ExpectClose.Err.ErrCode)
	assert.Equal(t, result.Should, scs[1].Level)
}

func TestLoginExpands(t *testing.T) {
	doc := "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nactors: {bob: {}}\nsteps:\n  - connect: {conn: b, actor: bob}\n  - login: bob\n"
	scs, err := Parse("x.yaml", []byte(doc), RoleServer, LoadOptions{})
	require.NoError(t, err)
	var kinds []string
	for _, st := range scs[0].Steps[1:] {
		assert.Equal(t, KindLogin, st.Name())
		assert.Equal(t, 8, st.Pos.Line, "expanded steps keep the macro's position")
		kinds = append(kinds, st.Kind)
	}
	assert.Equal(t, []string{KindSend, KindExpect, KindDecrypt, KindSend, KindExpect}, kinds)
	assert.Equal(t, spec.VERIF, scs[0].Steps[2].Expect.Action.Action)
	assert.Equal(t, "b", scs[0].Steps[4].Send.Conn)
}

func TestParseErrorsHavePositions(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown top key", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nbogus: 1\n", "x.yaml:5:"},
		{"unknown step", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - jump: {}\n", "x.yaml:6:5: unknown step \"jump\""},
		{"unknown conn", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - send: {conn: b, action: KEEP}\n", "x.yaml:7:5: unknown connection \"b\""},
		{"unknown matcher", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: a}\n  - expect: {action: OK, args: [{frob: 1}]}\n", "x.yaml:7:34: unknown matcher \"frob\""},
		{"unknown requirement", "id: A-b\ntitle: t\nrequirements: [NOPE-1]\nlevel: must\n", "unknown requirement \"NOPE-1\""},
		{"bad level", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: maybe\n", "level must be"},
		{"yaml syntax", "id: [\n", "x.yaml:"},
		{"client needs", "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nneeds: [tls]\n", "client-role scenarios take neither"},
	}
	known := func(id string) bool { return id == "X-1" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := RoleServer
			if strings.HasPrefix(tt.name, "client") {
				role = RoleClient
			}
			_, err := Parse("x.yaml", []byte(tt.doc), role, LoadOptions{KnownRequirement: known})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "x.yaml:"), "error %q has no position", err)
		})
	}
}

// badSteps holds, for every step kind, a step with one invalid field and
// what the error must say. Steps marked for one role are rejected in the
// other with a message naming the role. Every bad step sits on line 8.
var badSteps = []struct {
	kind, step, want string
}{
	{KindConnect, "connect: {conn: a2, actor: nobody}", `unknown actor "nobody"`},
	{KindRegister, "register: {actor: alice, conn: zz}", `unknown connection "zz"`},
	{KindLogin, "login: nobody", `unknown actor "nobody"`},
	{KindStopReading, "stop_reading: zz", `unknown connection "zz"`},
	{KindSend, "send: {action: REGG}", `unknown action "REGG"`},
	{KindSend, "send: {action: ERR, info: bogus}", `info`},
	{KindSend, `send: {action: MSG, args: ["${nobody.name}"]}`, `unknown actor "nobody"`},
	{KindSend, `send: {action: MSG, args: ["${x|shout}"]}`, `unknown filter "shout"`},
	{KindSendRaw, "send_raw: {hex: zz}", "bad hex"},
	{KindSendRaw, "send_raw: {header: {action: KEEP, info: ERR_NOPE}}", "info"},
	{KindExpect, "expect: {action: REGG}", `unknown action "REGG"`},
	{KindExpect, "expect: {action: ERR, info: bogus}", "info"},
	{KindExpect, `expect: {action: OK, args: ["hex:zz"]}`, "bad hex"},
	{KindExpect, "expect: {action: USRS, args: [{user_list_contains: [a]}, any]}", "only matcher"},
	{KindAnyOrder, "expect_any_order: [{action: OK}, {action: NOPE}]", `unknown action "NOPE"`},
	{KindExpectNone, "expect_none: {for: 0s}", "positive duration"},
	{KindExpectNone, "expect_none: {for: 1s, action: REGG}", `unknown action "REGG"`},
	{KindExpectClose, "expect_close: {err: ERR_BOGUS}", "ERR_BOGUS"},
	{KindSleep, "sleep: 2h", "between 0 and 1m"},
	{KindDecrypt, "decrypt: {actor: alice, from: never, into: p}", `variable "never" used before`},
	{KindDisconnect, "disconnect: zz", `unknown connection "zz"`},
	{KindSet, "set: {var: v, value: {stamp: yesterday}}", `bad stamp "yesterday"`},
	{KindAccept, "accept: {conn: c2, colour: red}", "colour"},
	{KindDrive, "drive: {cmd: regster}", `unknown driver command "regster"`},
	{KindDrive, "drive: {cmd: login, actor: nobody}", `unknown actor "nobody"`},
	{KindDrive, "drive: {cmd: subscribe, hook: newlogin}", `unknown driver hook name "newlogin"`},
	{KindDrive, "drive: {cmd: list_users, kind: everybody}", `unknown value "everybody"`},
	{KindDrive, "drive: {cmd: send_message, to: bob, txt: hi}", `unknown field "txt"`},
	{KindResponse, "response: {error: ERR_BOGUS}", `error "ERR_BOGUS"`},
	{KindResponse, `response: {fields: {user: "${nobody.name}"}}`, `unknown actor "nobody"`},
	{KindExpectEvent, "expect_event: {event: mesage}", `unknown event "mesage"`},
	{KindExpectEvent, "expect_event: {event: message, sender: bob}", `unknown field "sender"`},
	{KindExpectEvent, "expect_event: {event: hook, hook: new_login, level: maybe}", "level must be"},
}

// TestEveryStepKindRejectsBadFieldsInBothRoles is the load-time contract:
// a mistake in any step of either role is an error at its file:line:col.
func TestEveryStepKindRejectsBadFieldsInBothRoles(t *testing.T) {
	covered := map[string]map[string]bool{RoleServer: {}, RoleClient: {}}
	for _, role := range []string{RoleServer, RoleClient} {
		open := "  - connect: alice\n"
		if role == RoleClient {
			open = "  - accept: {}\n"
		}
		head := "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nactors: {alice: {}}\nsteps:\n" + open
		for _, tc := range badSteps {
			t.Run(fmt.Sprintf("%s/%s", role, tc.step), func(t *testing.T) {
				_, err := Parse("x.yaml", []byte(head+"  - "+tc.step+"\n"), role, LoadOptions{})
				require.Error(t, err)
				assert.Regexp(t, `^x\.yaml:8:\d+: `, err.Error())
				if r := roleOnly[tc.kind]; r != "" && r != role {
					assert.Contains(t, err.Error(), "is for "+r+"-role scenarios")
					return
				}
				assert.Contains(t, err.Error(), tc.want)
				covered[role][tc.kind] = true
			})
		}
	}
	for _, role := range []string{RoleServer, RoleClient} {
		for _, k := range KindsFor(role) {
			assert.True(t, covered[role][k], "no bad-field case for %s steps in %s-role scenarios", k, role)
		}
	}
}

func TestClientConnectionsDefaultToTheLastAccepted(t *testing.T) {
	doc := "id: A-b\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - accept: {}\n  - expect: {action: KEEP}\n" +
		"  - accept: {conn: c2}\n  - send: {action: OK}\n  - accept: {}\n"
	scs, err := Parse("x.yaml", []byte(doc), RoleClient, LoadOptions{})
	require.ErrorContains(t, err, `x.yaml:10:5: connection "c" opened twice`)
	assert.Equal(t, "c", scs[0].Steps[1].Expect.Conn)
	assert.Equal(t, "c2", scs[0].Steps[3].Send.Conn)
}
