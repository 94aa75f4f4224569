package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The page groups scenarios by section in document order, and every byte
// from the implementation is escaped (the browser test shows it also
// runs nothing).
func TestHTMLGroupsAndEscapes(t *testing.T) {
	rs, in := fixtureRun(t)
	var b bytes.Buffer
	require.NoError(t, HTML(&b, rs, in))
	page := b.String()
	assert.NotContains(t, page, "<script>window.pwned")
	assert.NotContains(t, page, "<img src=x")
	assert.Contains(t, page, "&lt;script&gt;window.pwned")
	assert.Equal(t, 1, strings.Count(page, "<script>"), "only the page's own script")
	i21, i51, i62 := strings.Index(page, "§2.1 Header"), strings.Index(page, "§5.1 "), strings.Index(page, "§6.2 ")
	assert.True(t, i21 > 0 && i21 < i51 && i51 < i62, "sections in document order: %d %d %d", i21, i51, i62)
	assert.Contains(t, page, `data-copy="gochat-conformance server --addr 127.0.0.1:9037 --run &#39;^REG-dup$&#39; --seed 42"`)
	assert.Contains(t, page, "server/reg.yaml:15:7 (expect) REG-3", "not-run records are listed")
	assert.Contains(t, page, "Note (decision level)")
	assert.Contains(t, page, `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`,
		"the browser fetches nothing and runs only the page's own script (hash checked by the browser tests, whose filters need it)")
	assert.NotContains(t, page, "http://", "no network")
	assert.NotContains(t, page, "https://", "no network")
}

func TestCountRows(t *testing.T) {
	rs, _ := fixtureRun(t)
	got := map[string]countRow{}
	for _, c := range countRows(rs) {
		got[c.Verdict] = c
	}
	assert.Equal(t, countRow{Verdict: "pass", Total: 2, Must: 2}, got["pass"])
	assert.Equal(t, countRow{Verdict: "warn", Total: 1, Should: 1}, got["warn"])
	assert.Equal(t, 2, got["skip"].Total)
	assert.Equal(t, 1, got["crash"].Total)
}

// A JSON report reads back into the results and context it was written
// from (the registry aside), and another schema is refused.
func TestJSONReadsBack(t *testing.T) {
	rs, in := fixtureRun(t)
	var b bytes.Buffer
	require.NoError(t, JSON(&b, rs, in))
	run, err := ReadJSON(&b)
	require.NoError(t, err)
	want := in
	want.Registry = nil
	assert.Equal(t, want, run.Info)
	require.Len(t, run.Results, len(rs))
	assert.Equal(t, rs[1].Notes, run.Results[1].Notes)
	assert.Equal(t, rs[2].NotRun, run.Results[2].NotRun)
	assert.Equal(t, rs[2].Transcript, run.Results[2].Transcript)

	_, err = ReadJSON(strings.NewReader(`{"schema":"gochat-conformance/v0","scenarios":[]}`))
	assert.ErrorContains(t, err, "schema")
	_, err = ReadJSON(strings.NewReader(`{"schema":"gochat-conformance/v1","scenarios":[null]}`))
	assert.Error(t, err)
}
