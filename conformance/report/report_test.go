package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
)

func clientResults() []*result.Result {
	return []*result.Result{
		{ID: "CLI-a", Role: "client", Level: result.Must, Requirements: []string{"CLIENT-13"}, Verdict: result.Pass,
			Rerun: "gochat-conformance client --run '^CLI-a$' --seed 1"},
		{ID: "CLI-b", Role: "client", Level: result.Must, Requirements: []string{"CLIENT-16"}, Verdict: result.Fail,
			Failures:   []result.Failure{{Level: result.Must, Requirements: []string{"CLIENT-1"}, Message: "malformed"}},
			Transcript: []result.Event{{Conn: "c", Dir: result.Recv, Header: "v1 KEEP"}, {Conn: "driver", Dir: result.Note}}},
		{ID: "CLI-c", Role: "client", Verdict: result.Skip, Kind: result.KindUnsupported, Reason: "login"},
	}
}

// The matrix lists the requirements of the role that ran, never the
// other role's.
func TestMatrixReportsTheRoleThatRan(t *testing.T) {
	reg, err := registry.Embedded()
	require.NoError(t, err)
	rows := Matrix(clientResults(), Info{Registry: reg, Role: "client"})
	byID := map[string]Row{}
	for _, r := range rows {
		byID[r.ID] = r
		q, ok := reg.Get(r.ID)
		require.True(t, ok, r.ID)
		assert.Contains(t, []string{registry.RoleClient, registry.RoleBoth}, q.Role, "%s in a client matrix", r.ID)
	}
	assert.Equal(t, result.Pass, byID["CLIENT-13"].Verdict)
	assert.Equal(t, result.Fail, byID["CLIENT-16"].Verdict)
	assert.Equal(t, result.Fail, byID["CLIENT-1"].Verdict, "a failure's own requirement is marked too")
	assert.Empty(t, byID["CLIENT-2"].Scenarios, "uncovered client requirements are listed")
}

func TestReportsReadOnlyTheResult(t *testing.T) {
	rs := clientResults()
	info := Info{Role: "client", Seed: 1, Target: "x"}
	var con, js bytes.Buffer
	Console(&con, rs, info)
	assert.Contains(t, con.String(), "3 scenarios: 1 pass, 1 fail, 1 skip, 0 xfail, 0 error")
	assert.Contains(t, con.String(), "violates CLIENT-1")
	require.NoError(t, JSON(&js, rs, info))
	var rep struct {
		Role      string
		Scenarios []result.Result
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &rep))
	assert.Equal(t, "client", rep.Role)
	assert.Equal(t, result.KindUnsupported, rep.Scenarios[2].Kind)
	assert.Equal(t, []string{"c", "driver"}, rs[1].Connections())
	var line bytes.Buffer
	Line(&line, rs[2])
	assert.True(t, strings.HasPrefix(line.String(), "SKIP  CLI-c"), line.String())
	assert.Contains(t, line.String(), "(unsupported by the adapter: login)")
}

// Every report shows a check's level and source, warnings, notes and the
// checks that did not run.
func TestReportsShowLevelSourceAndNotes(t *testing.T) {
	note := result.Failure{Level: result.Must, Source: result.SourceDecision, Requirements: []string{"FRAME-4"},
		Pos: "s.yaml:9:5", Step: "expect", Message: "ERR code differs"}
	warn := result.Failure{Level: result.Should, Source: result.SourceSpec, Requirements: []string{"CONN-7"},
		Pos: "s.yaml:7:5", Step: "expect_close", Message: "closed without the recommended ERR"}
	fail := result.Failure{Level: result.Must, Source: result.SourceSpec, Pos: "s.yaml:8:5", Step: "expect", Message: "no OK"}
	rs := []*result.Result{
		{ID: "S-a", Role: "server", Level: result.Must, Source: result.SourceSpec, Verdict: result.Warn,
			Warnings: []result.Failure{warn}, Notes: []result.Failure{note}},
		{ID: "S-b", Role: "server", Level: result.Must, Source: result.SourceSpec, Verdict: result.Fail,
			Failures: []result.Failure{fail}, NotRun: []result.NotRun{{Pos: "s.yaml:10:5", Step: "expect_close"}}},
	}
	info := Info{Role: "server", Seed: 1, Target: "x"}
	var con, js, ju bytes.Buffer
	Console(&con, rs, info)
	out := con.String()
	assert.Contains(t, out, "warning: S-a: SHOULD, spec, CONN-7: closed without the recommended ERR")
	assert.Contains(t, out, "note: S-a: MUST, decision, FRAME-4: ERR code differs")
	assert.Contains(t, out, "--- FAIL: S-b (0.00s) [must, spec]")
	assert.Contains(t, out, "failure MUST, spec at s.yaml:8:5 (expect): no OK")
	assert.Contains(t, out, "not run: expect_close at s.yaml:10:5")
	assert.Contains(t, out, "1 notes (decision-level differences; --strict judges them)")

	require.NoError(t, JSON(&js, rs, info))
	assert.Contains(t, js.String(), `"notes": [`)
	assert.Contains(t, js.String(), `"source": "decision"`)
	assert.Contains(t, js.String(), `"not_run": [`)

	require.NoError(t, JUnit(&ju, rs, info))
	assert.Contains(t, ju.String(), `<property name="source" value="spec"></property>`)
	assert.Contains(t, ju.String(), `<property name="notes" value="1"></property>`)
	assert.Contains(t, ju.String(), "note MUST, decision, FRAME-4")
}
