package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/explore"
	"github.com/gochatproto/gochat/conformance/internal/mutant"
	"github.com/gochatproto/gochat/conformance/load"
	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

// comparedScenarios is the slice of the catalogue the comparison test
// runs: registration and login (which the broken server answers wrongly)
// and a scenario that applies to the spec dialect only.
const comparedScenarios = `^(REG-|LOGIN-|ARG-cov-crlf-der-key$)`

// runToJSON runs the compared scenarios against tgt and writes the JSON
// report to path, returning the results.
func runToJSON(t *testing.T, s *conformance.Suite, tgt target.Target, d spec.Dialect, path string) []*result.Result {
	t.Helper()
	out, err := conformance.Run(context.Background(), conformance.Options{Suite: s, Target: tgt, Dialect: d, Seed: 3,
		Run: comparedScenarios, TimeoutScale: engine.DefaultTimeoutScale()})
	require.NoError(t, err)
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, report.JSON(f, out.Results, out.Info))
	require.NoError(t, f.Close())
	return out.Results
}

func embeddedServer(t *testing.T, s *conformance.Suite, d spec.Dialect) target.Target {
	t.Helper()
	admin, owner := s.Accounts(3, "")
	tgt, err := embedded.New(context.Background(), embedded.Options{Dialect: d, Admin: admin, Owner: owner})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tgt.Close() })
	return tgt
}

// The comparison of the reference server in both dialects and a broken
// server marks exactly the scenarios whose verdicts are not the same in
// all three.
func TestReportCompareMarksExactlyTheDifferences(t *testing.T) {
	s, err := conformance.Load(nil)
	require.NoError(t, err)
	dir := t.TempDir()
	files := map[string]string{"spec": filepath.Join(dir, "spec.json"), "gochat1": filepath.Join(dir, "gochat1.json"),
		"broken": filepath.Join(dir, "broken.json")}
	specRs := runToJSON(t, s, embeddedServer(t, s, spec.DialectSpec), spec.DialectSpec, files["spec"])
	g1Rs := runToJSON(t, s, embeddedServer(t, s, spec.DialectGochat1), spec.DialectGochat1, files["gochat1"])
	i := slices.IndexFunc(mutant.All, func(m *mutant.Mutation) bool { return m.Name == "ok-for-err" })
	require.GreaterOrEqual(t, i, 0)
	broken, err := mutant.New(embeddedServer(t, s, spec.DialectSpec), mutant.All[i])
	require.NoError(t, err)
	t.Cleanup(func() { _ = broken.Close() })
	brokenRs := runToJSON(t, s, broken, spec.DialectSpec, files["broken"])

	// What differs, worked out from the results themselves.
	verdicts := map[string][]result.Verdict{}
	for _, rs := range [][]*result.Result{specRs, g1Rs, brokenRs} {
		for _, r := range rs {
			verdicts[r.ID] = append(verdicts[r.ID], r.Verdict)
		}
	}
	var want []string
	for id, vs := range verdicts {
		if len(vs) != 3 || vs[0] != vs[1] || vs[1] != vs[2] {
			want = append(want, id)
		}
	}
	slices.Sort(want)
	require.Contains(t, want, "ARG-cov-crlf-der-key", "the dialect skip differs")
	require.Greater(t, len(want), 1, "the broken server fails something")

	out := filepath.Join(dir, "matrix.html")
	code, _, errs := runCLI("report", "--compare", "spec="+files["spec"], "gochat1="+files["gochat1"],
		"broken="+files["broken"], "-o", out)
	require.Equal(t, 0, code, errs)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	var got []string
	for _, m := range regexp.MustCompile(`<tr class="differs" data-scenario="([^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		got = append(got, m[1])
	}
	slices.Sort(got)
	assert.Equal(t, want, got)
	rows := regexp.MustCompile(`<tr class="(differs|same)" data-scenario=`).FindAllIndex(page, -1)
	assert.Len(t, rows, len(verdicts), "one row per scenario")

	// The same JSON renders one run's page too.
	code, _, errs = runCLI("report", "-o", filepath.Join(dir, "broken.html"), files["broken"])
	require.Equal(t, 0, code, errs)
	one, err := os.ReadFile(filepath.Join(dir, "broken.html"))
	require.NoError(t, err)
	assert.Contains(t, string(one), `<tr data-count="fail">`)
}

func TestReportLoadAndUsage(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rate float64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		require.NoError(t, err)
		require.NoError(t, load.WriteJSON(f, []*load.Result{{Profile: "online", Target: name, Elapsed: time.Second,
			Ops: int64(rate), Unit: "msgs", Rate: rate, Latency: []load.Latency{{Name: "MSG→RECIV",
				Summary: load.Summary{Count: 10, P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 3 * time.Millisecond,
					P999: 4 * time.Millisecond, Max: 5 * time.Millisecond}}}}}))
		require.NoError(t, f.Close())
		return p
	}
	a, b := write("a.json", 1000), write("b.json", 2000)
	code, out, errs := runCLI("report", "--load", "before="+a, b)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "<svg")
	assert.Contains(t, out, "before")
	assert.Contains(t, out, ">b<", "a file without a label is named after itself")

	code, _, _ = runCLI("report", "--load", "--compare", a)
	assert.Equal(t, 2, code)
	code, _, _ = runCLI("report", a, b)
	assert.Equal(t, 2, code, "one run's page takes one file")
	code, _, errs = runCLI("report", "--compare", a, b)
	assert.Equal(t, 1, code, "a load file is no conformance report")
	assert.Contains(t, errs, "a.json")
}

// An explorer finding becomes a timeline: a column per actor and the
// observer, the events a violation cites marked.
func TestReportExploreTimeline(t *testing.T) {
	f := explore.Finding{Rerun: "gochat-conformance explore --replay x.json",
		Violations: []explore.Violation{{Invariant: "one-session", Source: "spec", Ref: "LOGIN", Actor: 1, Op: 1,
			Detail: "two sessions <b>at once</b>", Seqs: []int{3}}},
		Plan: &explore.Plan{Seed: 9, Actors: 2, Conns: 1, Ops: []explore.Op{{Index: 0, Actor: 0, Kind: explore.OpLogin},
			{Index: 1, Actor: 1, Kind: explore.OpLogin}}},
		History: []explore.Event{
			{Seq: 1, Kind: explore.EvCall, Actor: 0, Conn: "a0c0", Action: "LOGIN", Name: "alice"},
			{Seq: 2, Kind: explore.EvCall, Actor: 1, Conn: "a1c0", Action: "LOGIN", Name: "alice"},
			{Seq: 3, Kind: explore.EvReply, Actor: 1, Conn: "a1c0", Action: "OK", T: 1500 * time.Microsecond},
			{Seq: 4, Kind: explore.EvPhase, Actor: -1, Note: "quiescent"},
		}}
	f.Original = f.Plan
	dir := t.TempDir()
	in := filepath.Join(dir, "explore-9.json")
	b, err := json.Marshal(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, b, 0o600))
	code, out, errs := runCLI("report", "--explore", in)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "<th>a0</th><th>a1</th><th>observer</th>")
	assert.Regexp(t, `<tr id="ev-3" class="ev ev-reply marked"><td class="n">3</td><td class="n">1.5</td><td></td><td>reply a1c0 OK</td><td></td></tr>`, out)
	assert.Contains(t, out, `<tr id="ev-4" class="ev ev-phase same"><td class="n">4</td><td class="n">0.0</td><td>phase (quiescent)</td>`)
	assert.Contains(t, out, "two sessions &lt;b&gt;at once&lt;/b&gt;")
	assert.Contains(t, out, "#1 a1/c0 login")

	// The admin (actor N+1) gets its own column when it acted.
	f.History = append(f.History, explore.Event{Seq: 5, Kind: explore.EvCall, Actor: 3, Conn: "admin", Action: "ADMIN", Name: "bob"})
	b, err = json.Marshal(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, b, 0o600))
	code, out, errs = runCLI("report", "--explore", in)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "<th>a0</th><th>a1</th><th>observer</th><th>admin</th>")
	assert.Regexp(t, `<tr id="ev-5" [^>]*>.*<td></td><td>call admin ADMIN bob</td></tr>`, out)

	require.NoError(t, os.WriteFile(in, []byte(`{"rerun":"x"}`), 0o600))
	code, _, errs = runCLI("report", "--explore", in)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "not an explorer finding")
}
