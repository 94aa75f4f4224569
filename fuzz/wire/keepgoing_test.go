package wire

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/fuzz/corpus"
)

// TestFuzzKeepGoingServerCmd is the acceptance test of issue #18:
// "fuzz --server-cmd ... --cases 2000 --keep-going" against a server
// process that crashes on a class of input (a KEEP header with Args 13)
// runs all 2000 cases, restarting the server after each crash, and writes
// each distinct finding once.
func TestFuzzKeepGoingServerCmd(t *testing.T) {
	if testing.Short() {
		t.Skip("2000 cases and server processes")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errs strings.Builder
	start := time.Now()
	code := fuzzCommand(ctx, nil, []string{"--server-cmd", crashDoubleCmd(), "--seed", "1", "--cases", "2000",
		"--keep-going", "--findings", dir, "--timeout", "1s", "--max-minimize-runs", "60", "--slow-read", "20ms"}, &out, &errs)
	t.Logf("wall time %v\n%s", time.Since(start), lastLines(out.String(), 12))
	require.Equal(t, 1, code, "stderr: %s", errs.String())

	m := regexp.MustCompile(`fuzz: (\d+) cases .*; (\d+) failing cases \((\d+) crashes\), (\d+) distinct findings, (\d+) duplicates; (\d+) server restarts`).
		FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	cases, failing, crashes, distinct, dups, restarts := n(1), n(2), n(3), n(4), n(5), n(6)
	assert.Equal(t, 2000, cases)
	assert.GreaterOrEqual(t, crashes, 2, "the double crashes more than once in 2000 cases")
	assert.GreaterOrEqual(t, restarts, crashes, "every crash is followed by a restart")
	assert.Equal(t, failing, distinct+dups)
	assert.Positive(t, dups, "repeated crashes are deduplicated")
	assert.NotContains(t, out.String(), "stopped early")

	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, distinct)
	sigs := map[string]string{}
	crashFindings := 0
	for _, f := range files {
		sig := scenarioSignature(t, f)
		require.NotEmpty(t, sig, f)
		require.NotContains(t, sigs, sig, "%s and %s have one signature", f, sigs[sig])
		sigs[sig] = f
		if strings.HasPrefix(sig, kindCrash+" ") && strings.Contains(sig, "KEEP") {
			crashFindings++
		}
	}
	assert.Positive(t, crashFindings, "the crash on KEEP Args 13 is a finding: %v", sigs)
}

// scenarioSignature reads the "# Signature:" line of a written finding.
func scenarioSignature(t *testing.T, file string) string {
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "# Signature: "); ok {
			return s
		}
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestCorpusServerCmd: "corpus --server-cmd" against the crashing server
// process: the case that kills it is CRASH, the server is started again
// and the cases after it pass; the exit status is 1.
func TestCorpusServerCmd(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"n_args_above_max_keep_13", "n_version_0", "y_keep_after_login"} {
		b, err := corpus.Files.ReadFile(name + corpus.Ext)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+corpus.Ext), b, 0o644))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errs strings.Builder
	code := corpusCommand(ctx, nil, []string{"--server-cmd", crashDoubleCmd(), "--dir", dir, "--timeout", "2s"}, &out, &errs)
	t.Log(out.String())
	require.Equal(t, 1, code, "stderr: %s", errs.String())
	assert.Regexp(t, `(?m)^CRASH n_args_above_max_keep_13 .*no HELLO`, out.String())
	assert.Regexp(t, `(?m)^pass  n_version_0 `, out.String())
	assert.Regexp(t, `(?m)^pass  y_keep_after_login `, out.String())
	assert.Contains(t, out.String(), "corpus: 2 pass, 0 FAIL, 1 CRASH, 0 ERROR, 0 warn, 0 note")
}
