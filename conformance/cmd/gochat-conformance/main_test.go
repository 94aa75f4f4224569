package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestServerEmbeddedWithReports(t *testing.T) {
	dir := t.TempDir()
	js, junit, md := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.md")
	code, out, errs := runCLI("server", "--run", "^(REG-ok|MSG-online|CONN-idle-timeout)$", "--seed", "7",
		"--json", js, "--junit", junit, "--report", md)
	require.Equal(t, 0, code, out+errs)
	assert.Contains(t, out, "3 scenarios: 3 pass")

	var rep struct {
		Schema    string         `json:"schema"`
		Seed      int64          `json:"seed"`
		Summary   map[string]int `json:"summary"`
		Scenarios []struct {
			ID, Verdict, Rerun string
		} `json:"scenarios"`
	}
	b, err := os.ReadFile(js)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, "gochat-conformance/v1", rep.Schema)
	assert.Equal(t, int64(7), rep.Seed)
	assert.Equal(t, 3, rep.Summary["pass"])
	assert.Contains(t, rep.Scenarios[0].Rerun, "--seed 7")

	x, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(x), `<testcase name="REG-ok"`)
	m, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(m), "| REG-1 | MUST | pass |")

	page := filepath.Join(dir, "r.html")
	code, out, errs = runCLI("server", "--run", "^REG-ok$", "--seed", "7", "--report", page)
	require.Equal(t, 0, code, out+errs)
	h, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Contains(t, string(h), `<tr data-count="pass"><td class="v-pass">pass</td><td class="n">1</td>`)
	assert.Contains(t, string(h), `id="sc-REG-ok"`)
}

func TestExpectationsUnexpectedPass(t *testing.T) {
	f := filepath.Join(t.TempDir(), "expect.yaml")
	require.NoError(t, os.WriteFile(f, []byte("REG-ok: \"pretend it is broken\"\n"), 0o600))
	code, out, _ := runCLI("server", "--run", "^REG-ok$", "--expect", f)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "unexpected pass")
	// The re-run line carries the effective timeout scale (make test sets
	// GOCHAT_TIMEOUT_SCALE), so it reproduces the run.
	assert.Regexp(t, `rerun: gochat-conformance server( --timeout-scale [0-9.]+)? --run '\^REG-ok\$' --seed \d+`, out)

	require.NoError(t, os.WriteFile(f, []byte("NOPE-x: reason\n"), 0o600))
	code, _, errs := runCLI("server", "--expect", f)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "NOPE-x")
}

func TestUsageErrors(t *testing.T) {
	code, _, _ := runCLI()
	assert.Equal(t, 2, code)
	code, _, _ = runCLI("server", "--level", "sometimes")
	assert.Equal(t, 2, code)
	code, _, _ = runCLI("frobnicate")
	assert.Equal(t, 2, code)
	code, _, errs := runCLI("server", "--addr", "127.0.0.1:1", "--admin-user", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "admin")
}

func TestScenarioFileErrorsArePositioned(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "server"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "server", "bad.yaml"),
		[]byte("id: REG-x\ntitle: t\nrequirements: [REG-1]\nlevel: must\nsteps:\n  - connect: {conn: a, tsl: true}\n"), 0o600))
	code, _, errs := runCLI("list", "--scenarios", dir)
	assert.Equal(t, 2, code)
	assert.True(t, strings.HasPrefix(errs, "server/bad.yaml:6:"), errs)
}

func TestListAndCoverage(t *testing.T) {
	code, out, _ := runCLI("list")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "REG-dup-name")
	code, out, _ = runCLI("coverage")
	assert.Contains(t, out, "server requirements:")
	assert.Contains(t, []int{0, 1}, code)
}

func TestCorpusAgainstEmbeddedServer(t *testing.T) {
	code, _, errs := runCLI("corpus")
	assert.Equal(t, 0, code, errs)
	code, _, errs = runCLI("corpus", "--dialect=gochat1")
	assert.Equal(t, 0, code, errs)
	code, _, _ = runCLI("corpus", "--dialect", "klingon")
	assert.Equal(t, 2, code)
}

func TestFuzzShortRunAgainstEmbeddedServer(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := runCLI("fuzz", "--cases", "30", "--seed", "1", "--findings", dir)
	assert.Equal(t, 0, code, errs)
}
