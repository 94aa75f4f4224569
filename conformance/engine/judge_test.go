package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/spec"
)

// refuseAll answers every request with ERR_UNDEFINED carrying its ID.
func refuseAll(p *spec.Packet, _ error) ([]*spec.Packet, bool) {
	return []*spec.Packet{errPkt(p.ID, spec.CodeUndefined)}, false
}

// judgeDoc: FRAME-1 is a spec MUST, FRAME-4 a decision MUST, CONN-7 a
// spec SHOULD (docs/requirements.yaml). Against refuseAll every
// expectation after the first fails.
const judgeDoc = `
id: T-judge
title: judge
requirements: [FRAME-1]
level: must
setup:
  - connect: {conn: c}
steps:
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: ERR, info: ERR_ARGS}
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: USRS, req: FRAME-4, soft: true}
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: USRS, req: CONN-7, soft: true}
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: USRS}
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: USRS, req: FRAME-4}
  - expect_close: {conn: c}
`

func TestVerdictLevels(t *testing.T) {
	reg := withRegistry(t)
	r := run(t, startFake(t, refuseAll), judgeDoc, reg)
	require.Equal(t, result.Fail, r.Verdict)
	require.Len(t, r.Failures, 1, "only the hard spec MUST judges")
	assert.Equal(t, "t.yaml:16:5", r.Failures[0].Pos)
	assert.Equal(t, result.SourceSpec, r.Failures[0].Source)
	require.Len(t, r.Warnings, 1, "the spec SHOULD warns")
	assert.Equal(t, []string{"CONN-7"}, r.Warnings[0].Requirements)
	require.Len(t, r.Notes, 2, "the ERR code (E-60) and the FRAME-4 decision are notes")
	assert.Contains(t, r.Notes[0].Message, "E-60")
	assert.Equal(t, []string{"FRAME-4"}, r.Notes[1].Requirements)
	require.Len(t, r.NotRun, 2, "the checks after the hard failure are listed")
	assert.Equal(t, []string{"FRAME-4"}, r.NotRun[0].Requirements)
	assert.Equal(t, "expect_close", r.NotRun[1].Step)

	r = run(t, startFake(t, refuseAll), judgeDoc, strict(reg))
	require.Equal(t, result.Fail, r.Verdict)
	assert.Len(t, r.Failures, 3, "under --strict the decisions judge too")
	assert.Empty(t, r.Notes)
}

func TestDecisionOnlyFailureIsNeverAFail(t *testing.T) {
	doc := `
id: T-dec
title: dec
requirements: [FRAME-4]
level: must
steps:
  - connect: {conn: c}
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: USRS}
`
	r := run(t, startFake(t, refuseAll), doc, withRegistry(t))
	assert.Equal(t, result.Pass, r.Verdict, "a scenario of decisions only gives notes by default")
	require.Len(t, r.Notes, 1)
	assert.Equal(t, result.Must, r.Notes[0].Level)
	assert.Equal(t, result.SourceDecision, r.Source)
	r = run(t, startFake(t, refuseAll), doc, strict(withRegistry(t)))
	assert.Equal(t, result.Fail, r.Verdict)
}

func TestSpecCodeJudgesTheCode(t *testing.T) {
	doc := `
id: T-code
title: code
requirements: [FRAME-1]
level: must
steps:
  - connect: {conn: c}
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: ERR, info: ERR_ARGS, spec_code: true}
`
	r := run(t, startFake(t, refuseAll), doc, withRegistry(t))
	assert.Equal(t, result.Fail, r.Verdict)
}

func TestFailedSetupIsAPreconditionError(t *testing.T) {
	doc := `
id: T-pre
title: pre
requirements: [FRAME-1]
level: must
actors:
  alice: {}
setup:
  - connect: alice
  - register: alice
steps:
  - send: {conn: alice, action: USRS, info: USRS_ALL}
  - expect: {conn: alice, action: USRS}
`
	r := run(t, startFake(t, refuseAll), doc, withRegistry(t))
	require.Equal(t, result.Error, r.Verdict, "%+v", r.Failures)
	assert.Equal(t, result.KindPrecondition, r.Kind)
	assert.Contains(t, r.Reason, "key in use")
	assert.Empty(t, r.Failures)
	assert.Equal(t, 2, result.ExitCode([]*result.Result{r}))
}

func TestShouldScenarioMakesNoMustFailure(t *testing.T) {
	doc := `
id: T-should
title: should
requirements: [FRAME-1]
level: should
steps:
  - connect: {conn: c}
  - send: {conn: c, action: USRS, info: USRS_ALL}
  - expect: {conn: c, action: USRS}
`
	r := run(t, startFake(t, refuseAll), doc, withRegistry(t))
	assert.Equal(t, result.Warn, r.Verdict, "%+v", r.Failures)
	require.Len(t, r.Warnings, 1)
	assert.Equal(t, result.Should, r.Warnings[0].Level)
}

func TestSetupStepAmongStepsIsAPrecondition(t *testing.T) {
	doc := `
id: T-mid
title: mid
requirements: [FRAME-1]
level: must
actors:
  alice: {}
steps:
  - connect: alice
  - send: {conn: alice, action: USRS, info: USRS_ALL}
  - expect: {conn: alice, action: ERR, soft: true}
  - setup:
      - register: alice
  - send: {conn: alice, action: USRS, info: USRS_ALL}
  - expect: {conn: alice, action: USRS}
`
	r := run(t, startFake(t, refuseAll), doc, withRegistry(t))
	require.Equal(t, result.Error, r.Verdict, "%+v", r.Failures)
	assert.Equal(t, result.KindPrecondition, r.Kind)
}

// Two ERR expectations in any order: each takes the packet with its own
// code, even though either would match the other loosely.
func TestAnyOrderPrefersTheExactCode(t *testing.T) {
	h := func(p *spec.Packet, _ error) ([]*spec.Packet, bool) {
		code := spec.CodeNotFound
		if p.ID == 2 {
			code = spec.CodeArgs
		}
		return []*spec.Packet{errPkt(p.ID, code)}, false
	}
	doc := `
id: T-two
title: two
requirements: [FRAME-1]
level: must
steps:
  - connect: {conn: c}
  - send: {conn: c, action: USRS, info: USRS_ALL, id: 1}
  - send: {conn: c, action: USRS, info: USRS_ALL, id: 2}
  - expect_any_order:
      - {conn: c, action: ERR, id: any, info: ERR_ARGS}
      - {conn: c, action: ERR, id: any, info: ERR_NOTFOUND}
`
	r := run(t, startFake(t, h), doc, withRegistry(t))
	assert.Equal(t, result.Pass, r.Verdict, "%+v", r.Failures)
	assert.Empty(t, r.Notes, "no code note when every packet has its exact match")
}
